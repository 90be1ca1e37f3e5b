#!/usr/bin/env node
// npm run bench: every figure is a ratio of two things measured side by side
// in one run, interleaved (A B A B ...), several rounds; medians and min-max.
// The references are built here from bench/c/: a minimal C ptrace tracer, a
// minimal C user-notification supervisor, a filter-only launcher, and the
// target that loops over one raw syscall and times its own loop.
//
//   node bench/run.js [--rounds N] [--json] [--only ROW[,ROW]]
//
// Writes bench/out/results.json and prints a Markdown table (or the JSON).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'bench', 'out');
const cli = path.join(root, 'bin', 'sysstub.js');

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const ROUNDS = Number(opt('--rounds', process.env.BENCH_ROUNDS ?? 5));
const ONLY = opt('--only', '')?.split(',').filter(Boolean) ?? [];

// ---- build the references ---------------------------------------------------

fs.mkdirSync(out, { recursive: true });
for (const name of ['target', 'filter_ref', 'machine_facts', 'cputime', 'threads']) {
  execFileSync('cc', ['-O2', '-Wall', '-Werror', '-pthread', '-o', path.join(out, name), path.join(root, 'bench', 'c', `${name}.c`)], { stdio: 'inherit' });
}
const cputime = path.join(out, 'cputime');
const threads = path.join(out, 'threads');
const target = path.join(out, 'target');
const ref = path.join(out, 'filter_ref');
const modFile = (name, text) => {
  const f = path.join(out, name);
  fs.writeFileSync(f, text);
  return f;
};
const h42 = modFile('h42.mjs', "export default { name: 'h42', syscalls: { getpmsg: () => 42 } };\n");
const mem4k = modFile('mem4k.mjs', "export default { name: 'mem4k', syscalls: { getpmsg: (c) => (c.read(c.ptr(0), 4096), 42) } };\n");
const eperm = modFile('eperm.mjs', "export default { name: 'eperm', syscalls: { getpmsg: { errno: 'EPERM' } } };\n");
const haveStrace = (() => {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

// ---- measuring ----------------------------------------------------------------

/** Run a command; resolve with stdout and the wall time in ms. */
function exec(cmd, args) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')}: exit ${code ?? signal}\n${stderr}`));
      else resolve({ stdout, ms });
    });
  });
}

/** ns per call as the target measured it (its first field), checking its last result. */
async function perCall(cmd, args, expect) {
  const { stdout } = await exec(cmd, args);
  const [ns, last] = stdout.trim().split(/\s+/);
  if (expect !== undefined && last !== String(expect)) throw new Error(`${cmd} ${args.join(' ')}: last result ${last}, expected ${expect}`);
  return Number(ns);
}

const sysstub = (...args) => [cli, ['run', ...args]];

/** Wall and CPU (user + system, the command and every descendant it reaped) ms of a command (bench/c/cputime.c). */
async function timed(cmd, args) {
  const file = path.join(out, `cputime.${process.pid}`);
  await exec(cputime, [file, cmd, ...args]);
  const [wall, user, sys] = fs.readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
  return { wall, cpu: user + sys };
}

/**
 * ns per call of the target attached by `sysstub attach -m mod` before its
 * loop: started by sh (a process cannot attach its own child: lib/attach.ts),
 * waiting for a byte on stdin, sent once sysstub says it is attached.
 */
function attached(mod, nr, n, expect) {
  return new Promise((resolve, reject) => {
    const sh = spawn('sh', ['-c', `exec 3<&0; "$@" <&3 3<&- & echo $!; wait $!`, 'sh', target, nr, n, 'wait'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    let sup;
    sh.stdout.on('data', (d) => {
      out += d;
      if (sup || !out.includes('\n')) return;
      sup = spawn(cli, ['attach', '-v', '-m', mod, out.split('\n')[0]], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      sup.stderr.on('data', (e) => {
        err += e;
        if (/attached to/.test(err)) sh.stdin.end('g');
      });
      sup.on('exit', (code) => code !== 0 && reject(new Error(`sysstub attach: exit ${code}\n${err}`)));
    });
    sh.on('close', (code) => {
      const [ns, last] = out.split('\n')[1]?.trim().split(/\s+/) ?? [];
      if (code !== 0) reject(new Error(`attach target: exit ${code}`));
      else if (last !== String(expect)) reject(new Error(`attach target: last result ${last}, expected ${expect}`));
      else resolve(Number(ns));
    });
  });
}
const extraStubs = Array.from({ length: 23 }, (_, i) => ['--stub', String(400 + i)]).flat(); // 17 kernel stubs + 23 = 40 slots
const traceWorkload = ['sh', '-c', 'tar cf - /usr/include/linux 2>/dev/null | wc -c >/dev/null'];
const workload = ['sh', '-c', 'for i in $(seq 24); do tar cf - /usr/include 2>/dev/null | wc -c; done >/dev/null'];
const forkWorkload = ['sh', '-c', 'for i in $(seq 1000); do /bin/true; done'];
const traceA = () => timed(cli, ['run', '-e', 'trace=all', '-o', '/dev/null', '--', ...traceWorkload]);
const traceB = () => timed('strace', ['-f', '-o', '/dev/null', ...traceWorkload]);

/** Each row: A (sysstub) / B (reference), a unit, and the target ratio. */
const rows = [
  {
    id: 'untouched', what: 'getppid under sysstub\'s filter with 40 slots wired / under a minimal arch-check+ALLOW filter', unit: 'ns/call', target: 1.05,
    a: () => perCall(...sysstub('-m', 'streams', ...extraStubs, '--', target, '110', '3000000')),
    b: () => perCall(ref, ['allow', target, '110', '3000000']),
  },
  {
    id: 'bpf errno', what: 'errno stub answered by the filter (--seal-constants) / C reference doing the same', unit: 'ns/call', target: 1.10,
    a: () => perCall(...sysstub('--seal-constants', '-m', eperm, '--', target, '181', '3000000'), -1),
    b: () => perCall(ref, ['errno', target, '181', '3000000'], -1),
  },
  {
    id: 'handler', what: 'JS handler returning a constant, fastest route (user notification) / C user-notif reference', unit: 'ns/call', target: 1.5,
    a: () => perCall(...sysstub('-m', h42, '--', target, '181', '20000'), 42),
    b: () => perCall(ref, ['notif', target, '181', '20000'], 42),
  },
  {
    id: 'handler vs strace', what: 'the same / strace -f --seccomp-bpf -e inject=getpmsg:retval=42', unit: 'ns/call', target: 0.25,
    skip: haveStrace ? undefined : 'strace not installed',
    a: () => perCall(...sysstub('-m', h42, '--', target, '181', '20000'), 42),
    b: () => perCall('strace', ['-f', '-qq', '--seccomp-bpf', '-o', '/dev/null', '-e', 'trace=getpmsg', '-e', 'inject=getpmsg:retval=42', target, '181', '20000'], 42),
  },
  {
    id: 'ptrace route', what: 'JS handler via --route ptrace / C ptrace reference', unit: 'ns/call', target: 2.0,
    a: () => perCall(...sysstub('--route', 'ptrace', '-m', h42, '--', target, '181', '10000'), 42),
    b: () => perCall(ref, ['trace', target, '181', '10000'], 42),
  },
  {
    id: 'attach', what: 'JS handler after sysstub attach (the injected filter: ptrace seccomp stops) / after sysstub run (fastest route)', unit: 'ns/call', target: null,
    a: () => attached(h42, '181', '10000', 42),
    b: () => perCall(...sysstub('-m', h42, '--', target, '181', '10000'), 42),
  },
  {
    id: 'memory', what: 'handler reading 4 KiB of tracee memory / constant handler (same route)', unit: 'ns/call', target: 1.3,
    a: () => perCall(...sysstub('-m', mem4k, '--', target, '181', '20000'), 42),
    b: () => perCall(...sysstub('-m', h42, '--', target, '181', '20000'), 42),
  },
  {
    id: 'whole program', what: `a real workload with no trapped calls (24 times tar c /usr/include piped to wc -c) under sysstub run -m streams / native`, unit: 'ms', target: 1.05,
    a: async () => (await exec(cli, ['run', '-m', 'streams', '--', ...workload])).ms,
    b: async () => (await exec(workload[0], workload.slice(1))).ms,
  },
  {
    id: 'whole program floor', what: 'the same workload under the C reference\'s filter alone (arch check, ALLOW) / native: what any seccomp filter costs it', unit: 'ms', target: null,
    a: async () => (await exec(ref, ['allow', ...workload])).ms,
    b: async () => (await exec(workload[0], workload.slice(1))).ms,
  },
  {
    id: 'fork-heavy', what: 'a shell loop of 1000 /bin/true under sysstub run -m streams / native', unit: 'ms', target: null,
    a: async () => (await exec(cli, ['run', '-m', 'streams', '--', ...forkWorkload])).ms,
    b: async () => (await exec(forkWorkload[0], forkWorkload.slice(1))).ms,
  },
  {
    id: 'thread-heavy', what: '20000 short threads, one after another (bench/c/threads.c), under sysstub run -m streams / native', unit: 'ms', target: null,
    a: async () => (await exec(cli, ['run', '-m', 'streams', '--', threads, '20000'])).ms,
    b: async () => (await exec(threads, ['20000'])).ms,
  },
  {
    id: 'trace', what: `a traced workload (tar c /usr/include/linux piped to wc -c) under sysstub run -e trace=all -o /dev/null / strace -f -o /dev/null: wall time`, unit: 'ms', target: 0.8,
    skip: haveStrace ? undefined : 'strace not installed',
    a: async () => (await traceA()).wall,
    b: async () => (await traceB()).wall,
  },
  {
    id: 'trace cpu', what: 'the same: CPU time (user + system, with every tracee)', unit: 'ms', target: 0.8,
    skip: haveStrace ? undefined : 'strace not installed',
    a: async () => (await traceA()).cpu,
    b: async () => (await traceB()).cpu,
  },
  {
    id: 'start-up', what: 'sysstub run -- /bin/true / node -e 0', unit: 'ms', target: 1.25,
    a: async () => (await exec(cli, ['run', '--', '/bin/true'])).ms,
    b: async () => (await exec(process.execPath, ['-e', '0'])).ms,
  },
  {
    id: 'spawn', what: "run(['/bin/true']) / child_process.spawn('/bin/true'), from one Node process", unit: 'ms', target: 1.5,
    inProcess: true,
  },
  {
    id: 'memory use', what: 'supervisor RSS with 100 tracees / with 1', unit: 'MiB', target: 1.5,
    a: () => rss(100),
    b: () => rss(1),
  },
];

async function rss(n) {
  const { stdout } = await exec(process.execPath, [path.join(root, 'bench', 'rss.js'), String(n)]);
  return Number(stdout.trim());
}

async function spawnRow(rounds) {
  const { run } = await import(path.join(root, 'dist', 'index.js'));
  const cp = (file) => new Promise((resolve, reject) => {
    const c = spawn(file, [], { stdio: 'ignore' });
    c.on('error', reject);
    c.on('exit', resolve);
  });
  const a = [];
  const b = [];
  for (let i = 0; i < 3; i++) {
    await run(['/bin/true']);
    await cp('/bin/true');
  }
  for (let r = 0; r < rounds * 10; r++) {
    let t = process.hrtime.bigint();
    await run(['/bin/true']);
    a.push(Number(process.hrtime.bigint() - t) / 1e6);
    t = process.hrtime.bigint();
    await cp('/bin/true');
    b.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return { a, b };
}

const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// ---- run ------------------------------------------------------------------------

/** The costs that explain the figures (bench/c/machine_facts.c), and whether page-table isolation is on. */
function machineFacts() {
  const [syscallNs, crossCpuNs, sameCpuNs] = execFileSync(path.join(out, 'machine_facts'), { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
  let meltdown = '?';
  try {
    meltdown = fs.readFileSync('/sys/devices/system/cpu/vulnerabilities/meltdown', 'utf8').trim();
  } catch {}
  // Whether `sysstub` (the bin, as every row runs it) starts from its startup snapshot (scripts/snapshot.mjs): its command line, read by the program it runs.
  const cmdline = execFileSync(cli, ['run', '--', 'sh', '-c', 'tr "\\0" " " </proc/$PPID/cmdline'], { encoding: 'utf8' });
  const snapshot = cmdline.includes(' --snapshot-blob ') ? 'yes' : 'no';
  return { syscallNs, crossCpuRoundTripNs: crossCpuNs, sameCpuRoundTripNs: sameCpuNs, pti: /PTI/.test(meltdown) ? 'on' : 'off', meltdown, snapshot };
}

const machine = {
  ...machineFacts(),
  kernel: os.release(),
  cpus: os.cpus().length,
  cpu: os.cpus()[0]?.model ?? '?',
  memGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  date: new Date().toISOString(),
  rounds: ROUNDS,
};
const results = [];
for (const row of rows) {
  if (ONLY.length && !ONLY.includes(row.id)) continue;
  process.stderr.write(`bench: ${row.id}...\n`);
  if (row.skip) {
    results.push({ id: row.id, what: row.what, unit: row.unit, target: row.target, skipped: row.skip });
    continue;
  }
  let a = [];
  let b = [];
  try {
    if (row.inProcess) ({ a, b } = await spawnRow(ROUNDS));
    else {
      for (let r = 0; r < ROUNDS; r++) {
        a.push(await row.a());
        b.push(await row.b());
      }
    }
  } catch (err) {
    results.push({ id: row.id, what: row.what, unit: row.unit, target: row.target, error: String(err.message ?? err).split('\n')[0] });
    continue;
  }
  const ratio = median(a) / median(b);
  results.push({
    id: row.id, what: row.what, unit: row.unit, target: row.target,
    a: { median: median(a), min: Math.min(...a), max: Math.max(...a) },
    b: { median: median(b), min: Math.min(...b), max: Math.max(...b) },
    ratio, met: row.target === null ? null : ratio <= row.target,
  });
}

const report = { machine, results };
fs.writeFileSync(path.join(out, 'results.json'), JSON.stringify(report, null, 2) + '\n');
if (flag('--json')) {
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
} else {
  const f = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
  const lines = [
    `Machine: Linux ${machine.kernel}, ${machine.cpus} CPUs (${machine.cpu}), ${machine.memGiB} GiB, Node ${machine.node}; ${machine.rounds} interleaved rounds, ${machine.date}`,
    '',
    `Machine facts: raw getppid ${machine.syscallNs} ns; futex wake-and-wait round trip across CPUs ${machine.crossCpuRoundTripNs < 0 ? 'n/a' : `${machine.crossCpuRoundTripNs} ns`}, on one CPU ${machine.sameCpuRoundTripNs} ns; page-table isolation ${machine.pti} (meltdown: ${machine.meltdown}); sysstub starts from its startup snapshot: ${machine.snapshot}`,
    '',
    '| row | A / B | A median (min-max) | B median (min-max) | ratio | target | met |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of results) {
    const goal = r.target === null ? '-' : `<= ${r.target}`;
    if (r.skipped || r.error) {
      lines.push(`| ${r.id} | ${r.what} | - | - | - | ${goal} | ${r.skipped ? `skipped: ${r.skipped}` : `error: ${r.error}`} |`);
      continue;
    }
    const met = r.met === null ? '(no target)' : r.met ? 'yes' : 'NO';
    lines.push(`| ${r.id} | ${r.what} | ${f(r.a.median)} ${r.unit} (${f(r.a.min)}-${f(r.a.max)}) | ${f(r.b.median)} ${r.unit} (${f(r.b.min)}-${f(r.b.max)}) | **${r.ratio.toFixed(2)}** | ${goal} | ${met} |`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}
