// The `sysstub` command line, run as a real process (node bin/sysstub.js, from
// dist/): transparency of stdio and exit status (compared with the program run
// natively), death by the child's signal, 126/127, module files given with -m,
// --stub, usage errors, help, `sysstub table`, and signals sent to the CLI
// itself (forwarded to the target; SIGKILL leaves no tracee behind).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, fixture, procState, root, runCli, runCliRaw, runNative, spawnCollect, type Collected, type Outcome } from './helpers.js';
import { needs, probe } from './probes.js';

const VERSION = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;

/** The same program natively and under `sysstub run --`: the outcomes must be identical. */
async function expectTransparent(file: string, args: string[], opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): Promise<Collected> {
  const [native, supervised] = await Promise.all([spawnCollect(file, args, opts), runCliRaw(['run', '--', file, ...args], opts)]);
  expect(supervised.stdout.equals(native.stdout), `stdout differs:\n${supervised.stdout.toString('latin1')}\nvs native:\n${native.stdout.toString('latin1')}`).toBe(true);
  expect(supervised.stderr.toString('latin1')).toBe(native.stderr.toString('latin1'));
  expect({ exitCode: supervised.exitCode, signal: supervised.signal }).toEqual({ exitCode: native.exitCode, signal: native.signal });
  return native;
}

function lines(s: string): string[] {
  return s.split('\n').filter((l) => l !== '');
}

/** A usage error: exit 2, nothing on stdout, one "sysstub: ..." line (plus at most the "Try" line), no stack. */
function expectUsageError(r: Outcome, match?: RegExp | string): string {
  expect(r.signal).toBeNull();
  expect(r.exitCode, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  const ls = lines(r.stderr);
  expect(ls.length, r.stderr).toBeGreaterThanOrEqual(1);
  expect(ls.length, r.stderr).toBeLessThanOrEqual(2);
  expect(ls[0]).toMatch(/^sysstub: \S/);
  if (ls.length === 2) expect(ls[1]).toBe("Try 'sysstub --help'.");
  expect(r.stderr).not.toMatch(/^\s+at /m);
  if (match !== undefined) expect(ls[0]).toMatch(match);
  return ls[0];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Poll until pred() holds or ms pass; returns the last value of get(). */
async function waitFor<T>(get: () => T, pred: (v: T) => boolean, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  let v = get();
  while (!pred(v) && Date.now() < deadline) {
    await sleep(20);
    v = get();
  }
  return v;
}

interface LiveCli {
  child: ChildProcess;
  /** The first line the target printed on stdout: its pid. */
  targetPid: Promise<number>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

/** Start the CLI with piped stdio (so never a terminal's foreground group) and read the target's pid line. */
function startCli(args: string[]): LiveCli {
  const child = spawn(process.execPath, [cli, ...args], { stdio: 'pipe' });
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  const targetPid = new Promise<number>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(Number(out.slice(0, nl)));
    });
    void exited.then(() => reject(new Error(`sysstub exited before the target printed its pid; stderr: ${err}`)));
  });
  targetPid.catch(() => {});
  return { child, targetPid, exited, stderr: () => err };
}

/**
 * Wait (up to 2 s) until pid is blocked in syscall nr: /proc/PID/syscall names
 * the call a task is blocked in (a user notification, or a seccomp stop).
 */
async function blockedIn(pid: number, nr: number): Promise<boolean> {
  const read = () => {
    try {
      return fs.readFileSync(`/proc/${pid}/syscall`, 'utf8');
    } catch {
      return '';
    }
  };
  return (await waitFor(read, (s) => s.startsWith(`${nr} `), 2000)).startsWith(`${nr} `);
}

/** Wait for exit up to ms; SIGKILL the CLI after that so that a failing test does not leave it behind. */
async function exitWithin(c: LiveCli, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([c.exited, new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)))]);
  clearTimeout(timer);
  if (r === 'timeout') {
    c.child.kill('SIGKILL');
    await c.exited;
  }
  return r;
}

// Module files are written at test time inside the package (test/.tmp/...),
// so that `import ... from 'sysstub'` resolves through the package's own "exports".
const tmpParent = path.join(root, 'test', '.tmp');
let tmp = '';
function modFile(name: string, text: string): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, text);
  return p;
}

beforeAll(() => {
  fs.mkdirSync(tmpParent, { recursive: true });
  tmp = fs.mkdtempSync(path.join(tmpParent, 'cli-'));
});

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  try {
    fs.rmdirSync(tmpParent); // only if no other suite still uses it
  } catch {
    // not empty
  }
});

describe('sysstub run is transparent', () => {
  it('stdio_echo: same stdin bytes, stdout (binary), stderr and exit code as natively', async () => {
    const input = Buffer.concat([Buffer.from('line one\nline two\n'), Buffer.from([0, 1, 2, 0xff, 0xfe, 10])]);
    const env = { ...process.env, SYSSTUB_TEST: 'transparent' };
    const native = await expectTransparent(fixture('stdio_echo'), ['7', 'extra arg'], { input, env });
    expect(native.exitCode).toBe(7);
    expect(native.stdout.subarray(0, input.length).equals(input)).toBe(true);
    expect(native.stdout.toString('latin1')).toContain('env=transparent\n');
    expect(native.stderr.toString()).toBe('to stderr\n');
  });

  it('a shell pipeline: output and exit code', async () => {
    const native = await expectTransparent('sh', ['-c', 'printf abc | tr a-c x-z; echo err >&2; exit 3']);
    expect(native.stdout.toString()).toBe('xyz');
    expect(native.stderr.toString()).toBe('err\n');
    expect(native.exitCode).toBe(3);
  });

  it("the target reads the CLI's own stdin: echo hi | sysstub run -- cat", async () => {
    const r = await runCli(['run', '--', 'cat'], { input: 'hi\n' });
    expect(r).toEqual({ stdout: 'hi\n', stderr: '', exitCode: 0, signal: null });
  });

  it('options after PROG belong to PROG (even without --)', async () => {
    const r = await runCli(['run', fixture('stdio_echo'), '--help', '-m', 'streams']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('argv[1]=--help\nargv[2]=-m\nargv[3]=streams\n');
    expect(r.stderr).toBe('to stderr\n');
  });

  it('-v reports on stderr only', async () => {
    const r = await runCli(['run', '-v', '--', 'sh', '-c', 'echo out']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('out\n');
    expect(r.stderr).toMatch(/^sysstub: .*wired slots .*181:notif/);
    expect(r.stderr).toMatch(probe.userNotif ? /user-notification route/ : /user notification unavailable/);
  });
});

describe('exit status', () => {
  it("exits with the child's code", async () => {
    await expectTransparent('sh', ['-c', 'exit 42']);
    const r = await runCli(['run', '--', 'sh', '-c', 'exit 0']);
    expect(r.exitCode).toBe(0);
  });

  for (const [sig, script] of [
    ['SIGTERM', 'kill -TERM $$'],
    ['SIGSEGV', 'ulimit -c 0; kill -SEGV $$'],
    ['SIGKILL', 'kill -KILL $$'],
  ] as const) {
    it(`dies of the child's ${sig}, like the child run natively`, async () => {
      const native = await expectTransparent('sh', ['-c', `echo before; ${script}`]);
      expect(native.signal).toBe(sig);
      expect(native.exitCode).toBeNull();
    });
  }

  it('127 and one line for a command not found in PATH', async () => {
    const r = await runCli(['run', '--', 'nosuchcmd-sysstub-test', 'arg']);
    expect(r).toEqual({ stdout: '', stderr: 'sysstub: nosuchcmd-sysstub-test: command not found\n', exitCode: 127, signal: null });
  });

  it('127 and one line for a missing path', async () => {
    const r = await runCli(['run', '--', './nosuch']);
    expect(r.exitCode).toBe(127);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^sysstub: \.\/nosuch: No such file or directory\n$/);
  });

  it('126 and one line for a file that is not executable', async () => {
    const r = await runCli(['run', '--', '/etc/passwd']);
    expect(r.exitCode).toBe(126);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('sysstub: /etc/passwd: Permission denied\n');
  });

  it('126 too when a sealed fault makes exit_group fail: the child, before its exec, still exits (it spun for ever)', async () => {
    // The sealed filter goes in before the exec attempts, so the child's own exit_group gets EPERM.
    const r = await runCliRaw(['run', '-e', 'inject=exit_group:error=EPERM', '--', '/etc/passwd'], { killMs: 10_000 });
    expect(r.hung).toBe(false);
    expect(r.exitCode).toBe(126);
    expect(r.stderr.toString()).toBe('sysstub: /etc/passwd: Permission denied\n');
  });
});

describe("signals sysstub's own process sends itself are not the program's", () => {
  it('node --cpu-prof bin/sysstub.js run: the profiler samples with SIGPROF (tgkill to its own thread); the program runs to its end and the profile is written', async () => {
    const dir = fs.mkdtempSync(path.join(root, '.cpuprof-'));
    try {
      const loop = 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo done';
      const r = await runNative(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '100', cli, 'run', '--', 'sh', '-c', loop]);
      expect(r).toEqual({ stdout: 'done\n', stderr: '', exitCode: 0, signal: null });
      const [file, ...more] = fs.readdirSync(dir);
      expect(more).toEqual([]);
      expect((JSON.parse(fs.readFileSync(path.join(dir, file!), 'utf8')) as { samples: number[] }).samples.length).toBeGreaterThan(10);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('-m streams', () => {
  it('streams_demo works under the module, and prints priority order', async () => {
    const r = await runCli(['run', '-m', 'streams', '--', fixture('streams_demo')]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const received = r.stdout.slice(r.stdout.indexOf('The parent receives'));
    expect(lines(received).slice(1, 5).map((l) => l.replace(/\s+/g, ' ').trim())).toEqual([
      '1. high priority [ALARM] "power lost, on battery"',
      '2. band 5 "urgent: disk 93% full"',
      '3. band 2 "notice: backup finished"',
      '4. band 0 "routine: nightly report is ready"',
    ]);
  });

  it('without the module: ENOSYS, exactly as natively', async () => {
    const native = await expectTransparent(fixture('streams_demo'), []);
    expect(native.exitCode).toBe(1);
    expect(native.stderr.toString()).toContain('ENOSYS');
  });

  it('streams_rules: every check ok', async () => {
    const r = await runCli(['run', '-m', 'streams', '--', fixture('streams_rules')]);
    const ls = lines(r.stdout);
    expect(ls.filter((l) => l.startsWith('not ok')), r.stdout).toEqual([]);
    const plan = ls.find((l) => /^1\.\.\d+$/.test(l));
    expect(plan, r.stdout).toBeDefined();
    expect(ls.filter((l) => l.startsWith('ok '))).toHaveLength(Number(plan!.slice(3)));
    expect(r.exitCode).toBe(0);
  });
});

describe('-m PATH: module files', () => {
  const stubcall = () => fixture('stubcall');

  it('a plain object default export', async () => {
    const f = modFile('plain.mjs', "export default { name: 'x', syscalls: { getpmsg: () => 42 } };\n");
    const r = await runCli(['run', '-m', f, '--', stubcall(), '181']);
    expect(r).toEqual({ stdout: '181 = 42\n', stderr: '', exitCode: 0, signal: null });
  });

  it('a factory function default export (sync and async)', async () => {
    const f = modFile('factory.mjs', "export default function () { return { name: 'fac', syscalls: { 181: () => 7 } }; }\n");
    const g = modFile('afactory.mjs', "export default async function () { return { name: 'afac', syscalls: { putpmsg: () => 8 } }; }\n");
    const r = await runCli(['run', '-m', f, '-m', g, '--', 'sh', '-c', `${stubcall()} 181; ${stubcall()} 182`]);
    expect(r).toEqual({ stdout: '181 = 7\n182 = 8\n', stderr: '', exitCode: 0, signal: null });
  });

  it('a .ts file with type annotations (transpiled, its temporary file removed)', async () => {
    const f = modFile('typed.ts', [
      'interface Answer { value: number }',
      'const answer: Answer = { value: 99 };',
      "export default { name: 'typed', syscalls: { getpmsg: (): number => answer.value } };",
      '',
    ].join('\n'));
    const before = fs.readdirSync(tmp).sort();
    const r = await runCli(['run', '-m', f, '--', stubcall(), '181']);
    expect(r).toEqual({ stdout: '181 = 99\n', stderr: '', exitCode: 0, signal: null });
    expect(fs.readdirSync(tmp).sort()).toEqual(before);
  });

  it('a .ts file with an enum (transformed, not only stripped), whatever typescript package is installed', async () => {
    const f = modFile('enum.ts', ['enum Reply { Value = 98 }', "export default { name: 'enum', syscalls: { getpmsg: (): number => Reply.Value } };", ''].join('\n'));
    const r = await runCli(['run', '-m', f, '--', stubcall(), '181']);
    expect(r).toEqual({ stdout: '181 = 98\n', stderr: '', exitCode: 0, signal: null });
  });

  it('a .ts file that is not valid TypeScript: exit 2, the file and the place named', async () => {
    const f = modFile('broken.ts', ['const ok = 1;', 'const = ;', ''].join('\n'));
    const r = await runCli(['run', '-m', f, '--', stubcall(), '181']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^sysstub: cannot load module broken\.ts:2:7: not valid TypeScript: Unexpected token/);
    expect(r.stdout).toBe('');
  });

  it("a file importing defineModule and SyscallError from 'sysstub' (package self-reference)", async () => {
    const f = modFile('selfref.mjs', [
      "import { defineModule, SyscallError } from 'sysstub';",
      "export default defineModule({ name: 'selfref', syscalls: { getpmsg: () => new SyscallError('EPERM') } });",
      '',
    ].join('\n'));
    const r = await runCli(['run', '-m', f, '--', stubcall(), '181']);
    expect(r).toEqual({ stdout: '181 = -1 EPERM\n', stderr: '', exitCode: 0, signal: null });
  });

  it('modules stack: the later -m runs first and may defer with next()', async () => {
    const lower = modFile('lower.mjs', "export default { name: 'lower', syscalls: { getpmsg: () => 1 } };\n");
    const upper = modFile('upper.mjs', [
      'export default { name: \'upper\', syscalls: { getpmsg: async (call) => {',
      "  const o = await call.next(); return o.type === 'return' ? o.value + 10n : o; } } };",
      '',
    ].join('\n'));
    const r = await runCli(['run', '-m', lower, '-m', upper, '--', stubcall(), '181']);
    expect(r.stdout).toBe('181 = 11\n');
    expect(r.exitCode).toBe(0);
  });

  it('a module may claim an unwired, unassigned number (modules wire their slots); --stub alone answers ENOSYS', async () => {
    const f = modFile('new400.mjs', "export default { name: 'n400', syscalls: { 400: (call) => 400 + call.int(0) } };\n");
    const sh = `${stubcall()} 400 5`;
    const [bare, stubbed, empty] = await Promise.all([
      runCli(['run', '-m', f, '--', 'sh', '-c', sh]),
      runCli(['run', '--stub', '400', '-m', f, '--', 'sh', '-c', sh]),
      runCli(['run', '--stub', '400', '--', 'sh', '-c', sh]),
    ]);
    expect(bare).toEqual({ stdout: '400 = 405\n', stderr: '', exitCode: 0, signal: null });
    expect(stubbed).toEqual({ stdout: '400 = 405\n', stderr: '', exitCode: 0, signal: null });
    expect(empty).toEqual({ stdout: '400 = -1 ENOSYS\n', stderr: '', exitCode: 0, signal: null });
  });

  it('--handler-timeout fails a slow handler with ETIMEDOUT and a report on stderr', async () => {
    // The handler's timer (10 min) outlasts runCli's 20 s limit: were sysstub
    // kept alive by the abandoned handler once the target has exited, runCli
    // would kill it and the exit code would not be 0. No clock in the test.
    const f = modFile('slow.mjs', "export default { name: 'slow', syscalls: { getpmsg: () => new Promise((r) => setTimeout(() => r(1), 600000)) } };\n");
    const r = await runCli(['run', '--handler-timeout', '50', '-m', f, '--', stubcall(), '181']);
    expect(r.stdout).toBe('181 = -1 ETIMEDOUT\n');
    expect(r).toMatchObject({ exitCode: 0, signal: null });
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^sysstub: .*slow/);
  });

  const bad: [string, string | null, RegExp][] = [
    ['throws.mjs', "throw new Error('boom at import');\n", /boom at import/],
    ['syntax.mjs', 'export default {{{ ;\n', /SyntaxError/],
    ['notmodule.mjs', "export default { hello: 'world' };\n", /must default-export a module/],
    ['number.mjs', 'export default 42;\n', /must default-export a module/],
    ['nodefault.mjs', "export const name = 'x';\n", /must default-export a module/],
    ['factory-throws.mjs', "export default function () { throw new Error('factory failed'); }\n", /factory failed/],
    ['bad-handler.mjs', "export default { name: 'bad', syscalls: { getpmsg: 42 } };\n", /getpmsg must be a function/],
    ['bad-key.mjs', "export default { name: 'badkey', syscalls: { getpmgs: () => 1 } };\n", /did you mean "getpmsg"/],
    ['bad-name.mjs', "export default { name: 'Bad Name', syscalls: {} };\n", /Bad Name/],
    ['missing.mjs', null, /not found/],
  ];
  for (const [name, text, why] of bad) {
    it(`exit 2 with one line naming the file: ${name}`, async () => {
      const f = text === null ? path.join(tmp, name) : modFile(name, text);
      const r = await runCli(['run', '-m', f, '--', stubcall(), '181']);
      const line = expectUsageError(r, why);
      expect(lines(r.stderr)).toHaveLength(1);
      expect(line).toContain(f);
    });
  }
});

describe('--stub', () => {
  it('a misspelt name: exit 2 with a suggestion', async () => {
    expectUsageError(await runCli(['run', '--stub', 'getpmgs', '--', 'true']), /did you mean "getpmsg"/);
  });

  it('a number out of range: exit 2 naming the range', async () => {
    expectUsageError(await runCli(['run', '--stub', '5000', '--', 'true']), /5000.*0\.\.1023/);
  });

  it('uretprobe (335) cannot be wired', async () => {
    expectUsageError(await runCli(['run', '--stub', '335', '--', 'true']), /335.*SIGILL/);
  });

  it('a wired real syscall with no module passes through to the kernel', async () => {
    const r = await runCli(['run', '--stub', 'getppid', '--stub', '39', '--', 'sh', '-c', 'echo ok']);
    expect(r).toEqual({ stdout: 'ok\n', stderr: '', exitCode: 0, signal: null });
  });
});

describe('usage errors: exit 2, one line, no stack', () => {
  const cases: [string, string[], RegExp][] = [
    ['no arguments at all', [], /command/],
    ['an unknown flag', ['run', '--bogus', '--', 'true'], /--bogus/],
    ['an unknown top-level flag', ['--bogus'], /--bogus/],
    ['an unknown command', ['frob'], /frob/],
    ['a missing PROG', ['run'], /prog/],
    ['a missing PROG after --', ['run', '-m', 'streams', '--'], /prog/],
    ['an unknown module name', ['run', '-m', 'nosuchmod', '--', 'true'], /nosuchmod.*streams/],
    ['-m without its value', ['run', '-m'], /module/],
    ['a bad --handler-timeout', ['run', '--handler-timeout', 'soon', '--', 'true'], /--handler-timeout.*soon/],
    ['a negative --handler-timeout', ['run', '--handler-timeout', '-5', '--', 'true'], /--handler-timeout/],
    ['table with an unknown module', ['table', '-m', 'nosuchmod'], /nosuchmod/],
    ['table with an unknown flag', ['table', '--bogus'], /--bogus/],
  ];
  for (const [what, args, why] of cases) {
    it(what, async () => {
      expectUsageError(await runCli(args), why);
    });
  }
});

describe('--help and --version', () => {
  it('--help and -h: exit 0, usage on stdout', async () => {
    for (const flag of ['--help', '-h']) {
      const r = await runCli([flag]);
      expect(r.exitCode).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/^Usage: sysstub/);
      expect(r.stdout).toMatch(/^\s+run\b/m);
      expect(r.stdout).toMatch(/^\s+table\b/m);
    }
  });

  it('--version and -V: the package version on stdout', async () => {
    for (const flag of ['--version', '-V']) {
      expect(await runCli([flag])).toEqual({ stdout: `${VERSION}\n`, stderr: '', exitCode: 0, signal: null });
    }
  });

  it('run --help (and help run) list -m and --stub', async () => {
    for (const args of [['run', '--help'], ['help', 'run']]) {
      const r = await runCli(args);
      expect(r.exitCode).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/^Usage: sysstub run/);
      expect(r.stdout).toContain('-m, --module');
      expect(r.stdout).toContain('--stub');
      expect(r.stdout).toContain('--handler-timeout');
    }
  });

  it('table --help lists --json and --wired', async () => {
    const r = await runCli(['table', '--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('--json');
    expect(r.stdout).toContain('--wired');
  });
});

describe('sysstub table', () => {
  interface Row { nr: number; name: string; native: string; wired: boolean; modules: string[]; builtin: string[] }

  it('text: a header and one row per syscall', async () => {
    const r = await runCli(['table']);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('');
    const ls = lines(r.stdout);
    expect(ls[0]).toMatch(/^NR\s+NAME\s+NATIVE\s+WIRED\s+MODULES\s+BUILTIN$/);
    expect(r.stdout).toMatch(/^181\s+getpmsg\s+ENOSYS\s+yes\s+-\s+streams$/m);
    expect(r.stdout).toMatch(/^183\s+afs_syscall\s+ENOSYS\s+yes\s+-\s+-$/m);
    expect(r.stdout).toMatch(/^0\s+read\s+implemented\s+-\s+-\s+-$/m);
    expect(ls.length).toBeGreaterThan(300);
  });

  it('text with -m streams names the module on its rows', async () => {
    const r = await runCli(['table', '-m', 'streams', '--wired']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^181\s+getpmsg\s+ENOSYS\s+yes\s+streams\s+streams$/m);
    expect(r.stdout).toMatch(/^182\s+putpmsg\s+ENOSYS\s+yes\s+streams\s+streams$/m);
    expect(r.stdout).not.toMatch(/^0\s+read\b/m);
  });

  it('--json: rows of {nr, name, native, wired, modules, builtin}', async () => {
    const r = await runCli(['table', '--json']);
    expect(r.exitCode).toBe(0);
    const rows = JSON.parse(r.stdout) as Row[];
    expect(Array.isArray(rows)).toBe(true);
    for (const row of rows) {
      expect(Object.keys(row).sort()).toEqual(['builtin', 'modules', 'name', 'native', 'nr', 'wired']);
      expect(typeof row.nr).toBe('number');
      expect(typeof row.name).toBe('string');
      expect(typeof row.native).toBe('string');
      expect(typeof row.wired).toBe('boolean');
      expect(Array.isArray(row.modules)).toBe(true);
      expect(Array.isArray(row.builtin)).toBe(true);
    }
    expect(rows.find((x) => x.nr === 181)).toEqual({ nr: 181, name: 'getpmsg', native: 'stub', wired: true, modules: [], builtin: ['streams'] });
    expect(rows.find((x) => x.nr === 0)).toMatchObject({ name: 'read', wired: false, modules: [], builtin: [] });
  });

  it('-m streams --wired --json: only wired rows; getpmsg/putpmsg by streams', async () => {
    const r = await runCli(['table', '-m', 'streams', '--wired', '--json']);
    expect(r.exitCode).toBe(0);
    const rows = JSON.parse(r.stdout) as Row[];
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((x) => x.wired)).toBe(true);
    expect(rows.find((x) => x.name === 'getpmsg')).toMatchObject({ nr: 181, modules: ['streams'] });
    expect(rows.find((x) => x.name === 'putpmsg')).toMatchObject({ nr: 182, modules: ['streams'] });
    expect(rows.find((x) => x.name === 'uselib')).toMatchObject({ nr: 134, modules: [] });
  });

  it('--stub 400 --wired --json shows the new slot', async () => {
    const r = await runCli(['table', '--stub', '400', '--wired', '--json']);
    expect(r.exitCode).toBe(0);
    const rows = JSON.parse(r.stdout) as Row[];
    expect(rows.find((x) => x.nr === 400)).toMatchObject({ wired: true, modules: [] });
  });
});

describe('signals sent to the CLI', () => {
  for (const sig of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) {
    it(`${sig} reaches the target; the CLI dies of it too`, async () => {
      const c = startCli(['run', '--', fixture('sleeper'), '30']);
      const pid = await c.targetPid;
      expect(pid).toBeGreaterThan(1);
      expect(procState(pid)).not.toBe('gone');
      c.child.kill(sig);
      const r = await exitWithin(c, 5000);
      expect(r).toEqual({ code: null, signal: sig });
      expect(c.stderr()).toBe('');
      // The CLI reaped the target before dying of its signal.
      expect(procState(pid)).toBe('gone');
    });
  }

  it('SIGKILL of the CLI leaves no tracee alive (PTRACE_O_EXITKILL)', async () => {
    const c = startCli(['run', '--', fixture('sleeper'), '30']);
    const pid = await c.targetPid;
    expect(procState(pid)).not.toBe('gone');
    c.child.kill('SIGKILL');
    expect(await exitWithin(c, 5000)).toEqual({ code: null, signal: 'SIGKILL' });
    // Gone, or a zombie waiting for init to reap it.
    expect(await waitFor(() => procState(pid), (s) => s === 'gone' || s === 'Z', 2000)).toMatch(/^(gone|Z)$/);
  });

  it('SIGKILL of the CLI while the target is stopped in a handler that never answers', async () => {
    const f = modFile('hang.mjs', "export default { name: 'hang', syscalls: { getpmsg: { timeout: null, handler: () => new Promise(() => {}) } } };\n");
    const c = startCli(['run', '-m', f, '--', 'sh', '-c', `echo $$; exec ${fixture('stubcall')} 181`]);
    const pid = await c.targetPid;
    expect(await blockedIn(pid, 181)).toBe(true);
    c.child.kill('SIGKILL');
    expect(await exitWithin(c, 5000)).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await waitFor(() => procState(pid), (s) => s === 'gone' || s === 'Z', 2000)).toMatch(/^(gone|Z)$/);
  });

  needs('userNotif').it('SIGTERM reaches a target blocked in a handler that never answers (user-notification route)', async () => {
    // On the user-notification route the target waits in the kernel, where a
    // signal interrupts the emulated call as it would a real blocking call.
    // (On --route ptrace the signal waits until the handler answers: README.)
    const f = modFile('hang2.mjs', "export default { name: 'hang', syscalls: { getpmsg: { timeout: null, handler: () => new Promise(() => {}) } } };\n");
    const c = startCli(['run', '-m', f, '--', 'sh', '-c', `echo $$; exec ${fixture('stubcall')} 181`]);
    const pid = await c.targetPid;
    expect(await blockedIn(pid, 181)).toBe(true);
    c.child.kill('SIGTERM');
    expect(await exitWithin(c, 5000)).toEqual({ code: null, signal: 'SIGTERM' });
  });
});

describe('route fallback', () => {
  it('without user notification every slot goes through ptrace, and -v says so', async () => {
    // SYSSTUB_NO_USER_NOTIF=1 makes the child behave as on a kernel without
    // SECCOMP_FILTER_FLAG_NEW_LISTENER (< 5.0): it installs the all-ptrace filter.
    const env = { ...process.env, SYSSTUB_NO_USER_NOTIF: '1' };
    const r = await runCli(['run', '-v', '-m', 'streams', '--', fixture('streams_demo')], { env });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/user notification unavailable: the kernel has no user notification \(ENOSYS\); every slot on the ptrace route/);
    expect(r.stdout).toContain('1. high priority  [ALARM] "power lost, on battery"');
    const normal = await runCli(['run', '-v', '-m', 'streams', '--', fixture('streams_demo')]);
    // The same fallback, unasked, on a kernel without user notification.
    expect(normal.stderr).toMatch(probe.userNotif ? /handler slots on the user-notification route/ : /user notification unavailable/);
    expect(normal.stdout).toBe(r.stdout);
  });
});
