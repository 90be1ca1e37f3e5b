// Attach and detach (lib/attach.ts, native/attach.cc): real processes started
// natively, attached while they run, detached again; what they print and how
// they end is compared with an undisturbed run.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AttachError, Supervisor, defineModule, type AttachedProcess } from '../lib/index.js';
import { cli, fixture, procState, runCliRaw, spawnCollect } from './helpers.js';
import { onlyIf } from './probes.js';

const target = fixture('attach_target');
const started: ChildProcess[] = [];
const killAtEnd: number[] = [];
const sups: Supervisor[] = [];
afterEach(async () => {
  await Promise.all(sups.splice(0).map((s) => s.close()));
  for (const pid of killAtEnd.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  for (const p of started.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});

/**
 * A program started natively, with a line reader on its stdout. Through sh:
 * a child of this process cannot be attached (lib/attach.ts), so it is sh's,
 * which says its pid on fd 3 and waits for it. (A job in the background
 * gets /dev/null as stdin first: the pipe goes through fd 4.)
 */
async function start(file: string, args: string[]) {
  // The pid comes on its own pipe (fd 3): on stdout the program, which runs
  // as soon as sh forks it, could write before sh's echo (it did).
  const sh = spawn('sh', ['-c', 'exec 4<&0; "$@" <&4 4<&- 3>&- & echo $! >&3; exec 3>&-; wait $!', 'sh', file, ...args], { stdio: ['pipe', 'pipe', 'inherit', 'pipe'] });
  started.push(sh);
  const t = lineReader(sh);
  let said = '';
  for await (const d of sh.stdio[3] as NodeJS.ReadableStream) said += d;
  const pid = Number(said.trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`sh did not say the program's pid (${JSON.stringify(said)})`);
  killAtEnd.push(pid);
  return { ...t, pid };
}

function lineReader(p: ChildProcess) {
  p.stdin!.on('error', () => {}); // a program that has ended: what a test writes then is lost
  const lines: string[] = [];
  let wake: (() => void) | undefined;
  let buf = '';
  p.stdout!.setEncoding('utf8');
  p.stdout!.on('data', (d: string) => {
    buf += d;
    for (let i; (i = buf.indexOf('\n')) >= 0; buf = buf.slice(i + 1)) lines.push(buf.slice(0, i));
    wake?.();
  });
  p.stdout!.on('end', () => wake?.());
  // The program's lines, 0...
  const line = async (n: number) => {
    while (lines.length <= n && p.stdout!.readable) await new Promise<void>((r) => (wake = r));
    return lines[n];
  };
  let asked = 0;
  const ask = async (cmd: string) => {
    p.stdin!.write(`${cmd}\n`);
    return line(asked++);
  };
  const ended = once(p, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return { p, output: () => [...lines], line, ask, ended };
}

function supervisor(...args: ConstructorParameters<typeof Supervisor>) {
  const s = new Supervisor(...args);
  sups.push(s);
  return s;
}

// Another user's process: the kernel says EPERM (the ptrace access mode check), in words.
const asNobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
const nobodyRuns = (() => {
  try {
    execFileSync(asNobody[0], [...asNobody.slice(1), process.execPath, cli, '--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const answer42 = defineModule({ name: 'answer42', syscalls: { 500: () => 42 } });
const fakePid = defineModule({ name: 'fakepid', syscalls: { getpid: () => 4242 } });

describe('attach: a module serves the calls while attached; after detach the native answers', () => {
  for (const route of ['filter', 'syscall'] as const) {
    it(`route ${route}: syscall 500 is ENOSYS, then 42 while attached, then ENOSYS again`, async () => {
      const t = await start(target, ['probe']);
      expect(await t.ask('call 500')).toBe('500=-1 ENOSYS');
      const sup = supervisor({ modules: [answer42] });
      const a = sup.attach(t.pid, { route });
      expect(a.attachRoute).toBe(route);
      expect(a.threads).toBe(1);
      expect(await t.ask('call 500')).toBe('500=42 ok');
      // What it creates from now on is followed: a child it forks is served too.
      expect(await t.ask('fork 500')).toBe('child 500=42 ok');
      await a.detach();
      expect(await t.ask('call 500')).toBe('500=-1 ENOSYS');
      expect(await t.ask('fork 500')).toBe('child 500=-1 ENOSYS');
      const status = fs.readFileSync(`/proc/${t.pid}/status`, 'utf8');
      expect(status).toMatch(/^TracerPid:\s+0$/m);
      // What stays: on the filter route a filter that traps only ENOSYS slots; on the syscall route nothing.
      expect(status).toMatch(route === 'filter' ? /^Seccomp:\s+2$/m : /^Seccomp:\s+0$/m);
      t.p.stdin!.end('exit\n');
      expect(await t.ended).toEqual([0, null]);
    });
  }

  it('a fault on a real call (getpid) takes the syscall route on its own, and leaves no filter', async () => {
    const t = await start(target, ['probe']);
    const own = await t.ask('call 39');
    expect(own).toBe(`39=${t.pid} ok`);
    const sup = supervisor({ modules: [fakePid] });
    const a = sup.attach(t.pid);
    expect(a.attachRoute).toBe('syscall');
    expect(await t.ask('call 39')).toBe('39=4242 ok');
    await sup.detach();
    expect(await t.ask('call 39')).toBe(own);
    expect(fs.readFileSync(`/proc/${t.pid}/status`, 'utf8')).toMatch(/^Seccomp:\s+0$/m);
    expect(() => supervisor({ modules: [fakePid] }).attach(t.pid, { route: 'filter' })).toThrow(/route 'filter' serves only stub and unassigned slots; getpid need route 'syscall'/);
    t.p.stdin!.end('exit\n');
    expect(await t.ended).toEqual([0, null]);
  });

  it('close() detaches (never kills) an attached process', async () => {
    const t = await start(target, ['probe']);
    const sup = supervisor({ modules: [answer42] });
    const a: AttachedProcess = sup.attach(t.pid);
    expect(await t.ask('call 500')).toBe('500=42 ok');
    await sup.close();
    expect(await a.ended).toBe('detach');
    expect(await t.ask('call 500')).toBe('500=-1 ENOSYS');
    t.p.stdin!.end('exit\n');
    expect(await t.ended).toEqual([0, null]);
  });
});

describe('attach: blocked calls complete as natively', () => {
  // Each line says how the call ended and whether it ended before its time (early=1).
  const undisturbed = [
    'nanosleep rc=0 ok early=0',
    'read rc=1 ok early=0',
    'select rc=0 ok early=0',
    'waitpid child status=7 ok early=0',
  ];
  for (const route of ['filter', 'syscall'] as const) {
    it(`route ${route}: nanosleep, read, select and waitpid threads, attached and detached while blocked`, async () => {
      const native = await start(target, ['blocked', '1500']);
      await native.ended;
      expect(native.output()).toEqual(['ready', ...undisturbed]);

      const t = await start(target, ['blocked', '1500']);
      expect(await t.line(0)).toBe('ready');
      const sup = supervisor({ modules: [answer42] });
      const a = sup.attach(t.pid, { route });
      expect(a.threads).toBeGreaterThanOrEqual(5); // main + 5 threads, minus any that ended
      await a.detach();
      expect(await t.ended).toEqual([0, null]);
      expect(t.output()).toEqual(['ready', ...undisturbed]);
    });
  }

  it("a shell's wait, and read -t, are not cut short", async () => {
    const script = 'sleep 1 & wait $!; echo wait=$?; read -t 1 x; echo read=$?';
    const native = await start('bash', ['-c', script]);
    await native.ended;
    const t = await start('bash', ['-c', `echo go; ${script}`]);
    expect(await t.line(0)).toBe('go');
    const sup = supervisor({ modules: [answer42] });
    const a = sup.attach(t.pid);
    await a.detach();
    expect(await t.ended).toEqual(await native.ended);
    expect(t.output().slice(1)).toEqual(native.output());
    expect(native.output()).toEqual(['wait=0', 'read=142']);
  });
});

describe('attach: a process that cannot install a filter', () => {
  onlyIf(nobodyRuns, 'setpriv is missing, or this checkout is not readable by nobody').it('running as nobody (no CAP_SYS_ADMIN, no no_new_privs): the injected call fails with EACCES, its registers are put back, and PTRACE_SYSCALL stops serve it', async () => {
    const t = await start(asNobody[0], [...asNobody.slice(1), target, 'probe']);
    expect(await t.ask('call 500')).toBe('500=-1 ENOSYS');
    const sup = supervisor({ modules: [answer42] });
    const a = sup.attach(t.pid);
    expect({ route: a.attachRoute, why: a.filterError }).toEqual({ route: 'syscall', why: 'EACCES' });
    expect(await t.ask('call 500')).toBe('500=42 ok');
    await a.detach();
    expect(await t.ask('call 500')).toBe('500=-1 ENOSYS');
    const status = fs.readFileSync(`/proc/${t.pid}/status`, 'utf8');
    expect(status).toMatch(/^Seccomp:\s+0$/m);
    expect(status).toMatch(/^NoNewPrivs:\s+0$/m);
    t.p.stdin!.end('exit\n');
    expect(await t.ended).toEqual([0, null]);
  });
});

describe('attach: threads created while sysstub seizes them', () => {
  for (const route of ['filter', 'syscall'] as const) {
    it(`route ${route}: a thread storm in progress is attached whole and detached, and ends as natively`, async () => {
      const t = await start(fixture('thread_storm'), ['20000']);
      const threads = () => Number(/^Threads:\s+(\d+)$/m.exec(fs.readFileSync(`/proc/${t.pid}/status`, 'utf8'))?.[1] ?? 0);
      while (threads() < 3) await new Promise((r) => setImmediate(r));
      const sup = supervisor({ modules: [answer42] });
      const a = sup.attach(t.pid, { route });
      expect(a.threads).toBeGreaterThanOrEqual(3);
      await a.detach();
      expect(fs.readFileSync(`/proc/${t.pid}/status`, 'utf8')).toMatch(/^TracerPid:\s+0$/m);
      expect(await t.ended).toEqual([0, null]);
      expect(t.output()).toEqual(['done']);
    });
  }
});

describe('attach: a shell forking all the time', () => {
  // Another stop (the fork or vfork event of a call it is in) often takes the
  // place of the interrupt stop an attach asks for, and the kernel then drops
  // the interrupt. An attach once waited for it for ever; so did the filter's
  // injection when a second interrupt was still pending.
  it('attached and detached 2000 times: each attach returns, each detach ends, and the shell runs on untraced', async () => {
    const t = await start('sh', ['-c', 'while :; do /bin/true; done']);
    const sup = supervisor({ modules: [answer42] });
    const routes = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const a = sup.attach(t.pid);
      // Each attach leaves its filter behind; once they reach the kernel's limit (32768 instructions in all), ENOMEM: PTRACE_SYSCALL stops.
      routes.add(a.filterError ?? a.attachRoute);
      await a.detach();
    }
    expect([...routes].sort()).toEqual(['ENOMEM', 'filter']);
    expect(fs.readFileSync(`/proc/${t.pid}/status`, 'utf8')).toMatch(/^TracerPid:\s+0$/m);
    expect(settledState(t.pid)).not.toBe('t');
  }, 60_000);
});

describe('attach: one that fails half-way', () => {
  it('a thread another tracer holds: AttachError EPERM, and every task seized meanwhile, threads born to them included, is let go: the program ends as natively', async () => {
    const t = await start(fixture('attach_halfway'), ['3000']);
    const idle = Number((await t.line(0))?.split(' ')[1]);
    const hold = spawn(fixture('ptrace_hold'), [String(idle)], { stdio: ['pipe', 'pipe', 'inherit'] });
    started.push(hold);
    const held = lineReader(hold);
    expect(await held.line(0)).toBe('held');
    // Not closed before the program ends: a task it still held would stay stopped.
    const sup = supervisor({ modules: [answer42] });
    let err: unknown;
    try {
      sup.attach(t.pid);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AttachError);
    expect(err).toMatchObject({ code: 'EPERM' });
    hold.stdin!.end();
    expect(await held.ended).toEqual([0, null]);
    expect(await t.ended).toEqual([0, null]);
    expect(t.output()).toEqual([`idle ${idle}`, 'done']);
  });
});

/**
 * The state once a detach is done with the task: __ptrace_unlink wakes a task
 * in group-stop so that it re-enters the stop untraced, so it can show R for
 * a moment; a task let go by mistake would sleep in its read (S) instead.
 */
function settledState(pid: number): string {
  let s = procState(pid);
  while (s === 'R') s = procState(pid);
  return s;
}

/** Detach the stopped t: it stays stopped, and runs on natively at SIGCONT. */
async function detachStopped(t: Awaited<ReturnType<typeof start>>, a: AttachedProcess) {
  await a.detach();
  expect(settledState(t.pid)).toBe('T');
  process.kill(t.pid, 'SIGCONT');
  expect(await t.ask('call 500')).toBe('500=-1 ENOSYS');
  t.p.stdin!.end('exit\n');
  expect(await t.ended).toEqual([0, null]);
}

describe('attach: a stopped process', () => {
  it('stays stopped (T) while attached and after detach, and runs on at SIGCONT', async () => {
    const t = await start(target, ['probe']);
    expect(await t.ask('call 500')).toBe('500=-1 ENOSYS');
    process.kill(t.pid, 'SIGSTOP');
    while (procState(t.pid) !== 'T') await new Promise((r) => setImmediate(r));
    const sup = supervisor({ modules: [answer42] });
    const a = sup.attach(t.pid);
    expect(a.stoppedAtAttach).toBe(true);
    expect(procState(t.pid)).toBe('t'); // traced: the stop as ptrace shows it
    await detachStopped(t, a);
  });

  it('stopped while attached: it stays stopped across the detach (no stop swallowed)', async () => {
    const t = await start(target, ['probe']);
    const sup = supervisor({ modules: [answer42] });
    const a = sup.attach(t.pid);
    expect(await t.ask('call 500')).toBe('500=42 ok');
    process.kill(t.pid, 'SIGSTOP');
    while (procState(t.pid) !== 't') await new Promise((r) => setImmediate(r));
    await detachStopped(t, a);
  });

  it('stopped at attach, continued while attached: the filter goes in then and the module answers', async () => {
    const t = await start(target, ['probe']);
    process.kill(t.pid, 'SIGSTOP');
    while (procState(t.pid) !== 'T') await new Promise((r) => setImmediate(r));
    const sup = supervisor({ modules: [answer42] });
    const a = sup.attach(t.pid, { route: 'filter' });
    process.kill(t.pid, 'SIGCONT');
    // The filter goes in at the first stop after SIGCONT, before the program reads its next line.
    while (!/^Seccomp:\s+2$/m.test(fs.readFileSync(`/proc/${t.pid}/status`, 'utf8'))) await new Promise((r) => setImmediate(r));
    expect(await t.ask('call 500')).toBe('500=42 ok');
    await a.detach();
    expect(await t.ask('call 500')).toBe('500=-1 ENOSYS');
    t.p.stdin!.end('exit\n');
    expect(await t.ended).toEqual([0, null]);
  });
});

describe('attach: refusals name the reason', () => {
  const attachError = (pid: number) => {
    try {
      supervisor().attach(pid);
    } catch (e) {
      expect(e).toBeInstanceOf(AttachError);
      return e as AttachError;
    }
    throw new Error('attach did not throw');
  };

  it('no such process, a kernel thread, this supervisor, a zombie, a process already traced', async () => {
    expect(attachError(0x3fffffff)).toMatchObject({ code: 'ESRCH', message: `attach ${0x3fffffff}: no such process` });
    expect(attachError(2)).toMatchObject({ code: 'EPERM', message: 'attach 2: a kernel thread cannot be traced' });
    expect(attachError(process.pid)).toMatchObject({ code: 'EINVAL', message: `attach ${process.pid}: that is this supervisor itself` });
    // A zombie: a child sh started, that its parent (sleep, after exec) never
    // reaps. The child exits only once its parent is sleep: one that exited
    // before the exec could be reaped by the shell on its way there (seen).
    const sh = await start('sh', ['-c', 'sh -c \'until read c </proc/$PPID/comm && [ "$c" = sleep ]; do :; done\' & echo $!; exec sleep 30']);
    const zpid = Number(await sh.line(0));
    while (procState(zpid) !== 'Z') await new Promise((r) => setImmediate(r));
    expect(attachError(zpid).message).toBe(`attach ${zpid}: the process has exited (a zombie, not yet reaped)`);
    // Traced by another supervisor.
    const t = await start(target, ['probe']);
    supervisor().attach(t.pid);
    expect(attachError(t.pid).message).toMatch(new RegExp(`^attach ${t.pid}: already traced by .*\\(pid \\d+\\)`));
    expect(() => supervisor().attach(-1)).toThrow(TypeError);
    // A child of this process: child_process waits for it by pid.
    const own = spawn('sleep', ['30']);
    started.push(own);
    expect(attachError(own.pid!).message).toMatch(/it is a child of this process/);
  });
});

describe('sysstub attach / run -p (CLI)', () => {
  const mod = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sysstub-attach-')), 'a42.mjs');
  fs.writeFileSync(mod, "export default { name: 'a42', syscalls: { 500: () => 42 } };\n");

  /** The CLI attached to pid; resolves once it says so (-v). */
  async function attachCli(args: string[]) {
    const c = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    started.push(c);
    let err = '';
    c.stderr!.setEncoding('utf8');
    const attached = new Promise<void>((resolve) => c.stderr!.on('data', (d: string) => ((err += d), /attached to/.test(err) && resolve())));
    const exit = once(c, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    await Promise.race([attached, exit]);
    return { c, exit, stderr: () => err };
  }

  for (const [how, args, signal] of [['attach', ['attach'], 'SIGINT'], ['run -p', ['run'], 'SIGTERM']] as const) {
    it(`${how}: the module answers while attached; ${signal} detaches, and sysstub exits 0`, async () => {
      const t = await start(target, ['probe']);
      const pidArgs = how === 'attach' ? [String(t.pid)] : ['-p', String(t.pid)];
      const s = await attachCli([...args, '-v', '-m', mod, ...pidArgs]);
      expect(s.stderr()).toMatch(new RegExp(`sysstub: attached to ${t.pid} \\(1 threads\\): calls served by an injected filter`));
      expect(await t.ask('call 500')).toBe('500=42 ok');
      s.c.kill(signal);
      expect(await s.exit).toEqual([0, null]);
      expect(s.stderr()).toContain(`sysstub: process ${t.pid} detached\n`);
      expect(await t.ask('call 500')).toBe('500=-1 ENOSYS');
      t.p.stdin!.end('exit\n');
      expect(await t.ended).toEqual([0, null]);
    });
  }

  it('run -p --report=FILE --json: the stub report of the calls made while attached', async () => {
    const t = await start(target, ['probe']);
    const file = path.join(path.dirname(mod), 'report.json');
    const s = await attachCli(['run', '-v', `--report=${file}`, '--json', '-m', mod, '-p', String(t.pid)]);
    expect(await t.ask('call 500')).toBe('500=42 ok');
    expect(await t.ask('call 183')).toBe('183=-1 ENOSYS');
    expect(await t.ask('call 500')).toBe('500=42 ok');
    s.c.kill('SIGINT');
    expect(await s.exit).toEqual([0, null]);
    const rows = JSON.parse(fs.readFileSync(file, 'utf8')).rows as { nr: number; count: number; answeredBy: unknown }[];
    expect(rows.filter((r) => r.nr === 500 || r.nr === 183).map((r) => [r.nr, r.count])).toEqual([[500, 2], [183, 1]]);
    t.p.stdin!.end('exit\n');
    expect(await t.ended).toEqual([0, null]);
  });

  it('--attach-route syscall, -e trace: the trace shows the calls made while attached; the program exiting ends sysstub', async () => {
    const t = await start(target, ['probe']);
    const s = await attachCli(['attach', '-v', '--attach-route', 'syscall', '-e', 'trace=getpid', '-m', mod, String(t.pid)]);
    expect(s.stderr()).toMatch(/calls served by PTRACE_SYSCALL stops/);
    expect(await t.ask('call 39')).toBe(`39=${t.pid} ok`);
    expect(await t.ask('call 500')).toBe('500=42 ok');
    t.p.stdin!.end('exit\n');
    expect(await t.ended).toEqual([0, null]);
    expect(await s.exit).toEqual([0, null]);
    expect(s.stderr()).toMatch(new RegExp(`^getpid\\(\\) += ${t.pid}$`, 'm'));
    expect(s.stderr()).toContain('+++ exited with 0 +++');
  });

  onlyIf(nobodyRuns, 'setpriv is missing, or this checkout is not readable by nobody').it('another user\'s process: not permitted, in words, exit 1', async () => {
    const t = await start(target, ['probe']);
    const r = await spawnCollect(asNobody[0], [...asNobody.slice(1), process.execPath, cli, 'attach', String(t.pid)]);
    expect(r.stderr.toString()).toBe(`sysstub: attach ${t.pid}: not permitted (another user's process needs root or CAP_SYS_PTRACE)\n`);
    expect(r.exitCode).toBe(1);
  });

  it('errors: a bad PID is a usage error (2); one that cannot be attached exits 1 with one line', async () => {
    for (const [args, msg] of [
      [['attach', 'x12'], 'sysstub: PID "x12": expected a process id (a positive decimal number)\n'],
      [['attach'], /missing required argument/],
      [['run', '-p', '1', 'true'], 'sysstub: give PROG or -p PID, not both\n'],
      [['attach', '--attach-route', 'bogus', '1'], 'sysstub: --attach-route: "bogus" is not a route (valid: auto, filter, syscall)\n'],
    ] as const) {
      const r = await runCliRaw([...args]);
      expect(r.exitCode).toBe(2);
      if (typeof msg === 'string') expect(r.stderr.toString()).toBe(msg);
      else expect(r.stderr.toString()).toMatch(msg);
    }
    const gone = await runCliRaw(['attach', String(0x3fffff)]);
    expect(gone.exitCode).toBe(1);
    expect(gone.stderr.toString()).toBe(`sysstub: attach ${0x3fffff}: no such process\n`);
    const kthread = await runCliRaw(['attach', '2']);
    expect(kthread.exitCode).toBe(1);
    expect(kthread.stderr.toString()).toBe('sysstub: attach 2: a kernel thread cannot be traced\n');
  });
});
