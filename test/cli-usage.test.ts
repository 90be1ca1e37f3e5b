// Usage errors and option semantics of `sysstub run`, as a real process:
// numbers parsed strictly (one parser, exact ranges, exit 2 naming the input),
// timeouts and delays of 2^31 ms or more, promise rejections a module leaves
// unhandled, and strace's own words (%%stat, a tracing option means trace=all,
// its flag order).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, fixture, runCli, startCollect, type Outcome } from './helpers.js';

function lines(s: string): string[] {
  return s.split('\n').filter((l) => l !== '');
}

/** Exit 2, nothing on stdout, a first line "sysstub: ..." naming the input, never a stack trace. */
function expectUsageError(r: Outcome, match: RegExp): void {
  expect(r.signal).toBeNull();
  expect(r.exitCode, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  const ls = lines(r.stderr);
  expect(ls[0]).toMatch(/^sysstub: \S/);
  expect(ls[0]).toMatch(match);
  // One line; a bad -e expression adds itself and a caret under the bad part; commander adds "Try".
  expect(ls.length, r.stderr).toBeLessThanOrEqual(3);
  expect(r.stderr).not.toMatch(/^\s+at /m);
}

const stubcall = () => fixture('stubcall');
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sysstub-usage-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function moduleFile(name: string, source: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, source);
  return f;
}

describe('numbers are parsed strictly (issue 7 item 16)', () => {
  it.each([
    [['-e', 'inject=openat:retval=18446744073709551616'], /retval "18446744073709551616".*-9223372036854775808\.\.18446744073709551615/],
    [['-e', 'inject=getpid:retval=1:nth=1e3'], /nth "1e3"/],
    [['-e', 'inject=getpid:retval=1:nth=0x10'], /nth "0x10"/],
    [['-e', 'inject=getpid:retval=1:nth=0'], /nth "0".*1\.\./],
    [['-e', 'inject=read:error=EIO:fd=99999999999999999999'], /fd "99999999999999999999".*-2147483648\.\.2147483647/],
    [['-e', 'inject=getpid:retval=1:when=99999999999999999999'], /when=99999999999999999999/],
    [['-e', 'inject=getpid:delay_enter=1' + '0'.repeat(400)], /delay/],
    [['-s', '-1'], /-s "-1".*0\.\.2147483647/],
    [['-s', 'x'], /-s "x"/],
    [['-s', '0x10'], /-s "0x10"/],
    [['-a', '1.5'], /-a "1\.5"/],
    [['--format', 'xml'], /--format "xml".*text, jsonl/],
    [['--handler-timeout', '1e3'], /--handler-timeout "1e3"/],
    [['--handler-timeout', '99999999999999999999'], /--handler-timeout "99999999999999999999"/],
  ])('sysstub run %j exits 2 naming the input', async (opts, match) => {
    expectUsageError(await runCli(['run', ...opts, '--', stubcall(), '39']), match);
  });

  it('accepts what strace accepts: 0x hex and the whole 64-bit range for retval, negative fds', async () => {
    let r = await runCli(['run', '-e', 'inject=getpid:retval=0x10', '--', stubcall(), '39']);
    expect(r.stdout).toBe('39 = 16\n');
    r = await runCli(['run', '-e', 'inject=getpid:retval=18446744073709551614', '--', stubcall(), '39']);
    expect(r.stdout).toBe('39 = -1 ENOENT\n'); // -2: the kernel's -ENOENT
    r = await runCli(['run', '-e', 'inject=getpid:retval=5:nth=1,3', '--', stubcall(), '39']);
    expect(r.stdout).toBe('39 = 5\n');
    r = await runCli(['run', '-e', 'inject=close:error=EPERM:fd=-100', '--', stubcall(), '3', '-100']);
    expect(r.stdout).toBe('3 = -1 EPERM\n');
    expect(r.exitCode).toBe(0);
  });

  it("an empty program name is a usage error, not sysstub's own failure", async () => {
    expectUsageError(await runCli(['run', '--', '']), /program/);
  });

  it('a module that names one syscall twice (getpmsg and 181) is refused', async () => {
    const f = moduleFile('twice.mjs', "export default { name: 'twice', syscalls: { getpmsg: () => 1, 181: () => 2 } };\n");
    expectUsageError(await runCli(['run', '-m', f, '--', stubcall(), '181']), /twice\.mjs.*getpmsg.*181/);
  });

  it('unknown keys in a module, a handler spec or a constant are refused, naming the key', async () => {
    const top = moduleFile('top.mjs', "export default { name: 'top', syscalls: { getpmsg: () => 1 }, timeout: 5 };\n");
    expectUsageError(await runCli(['run', '-m', top, '--', stubcall(), '181']), /top\.mjs.*unknown key "timeout".*name, description, syscalls/);
    const spec = moduleFile('spec.mjs', "export default { name: 'spec', syscalls: { getpmsg: { handler: () => 1, timout: 5 } } };\n");
    expectUsageError(await runCli(['run', '-m', spec, '--', stubcall(), '181']), /spec\.mjs.*getpmsg.*unknown key "timout".*handler, timeout/);
    const cst = moduleFile('cst.mjs', "export default { name: 'cst', syscalls: { getpmsg: { errno: 'EPERM', whn: '2' } } };\n");
    expectUsageError(await runCli(['run', '-m', cst, '--', stubcall(), '181']), /cst\.mjs.*getpmsg.*unknown key "whn".*errno, value, when/);
  });
});

describe('timeouts and delays of 2^31 ms or more (issue 7 item 14)', () => {
  it('--handler-timeout 99999999999999 lets a 200 ms handler answer', async () => {
    const f = moduleFile('slow.mjs', "export default { name: 'slow', syscalls: { getpmsg: async () => { await new Promise((r) => setTimeout(r, 200)); return 7; } } };\n");
    const r = await runCli(['run', '-m', f, '--handler-timeout', '99999999999999', '--', stubcall(), '181']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('181 = 7\n');
    expect(r.exitCode).toBe(0);
  });

  it('delay_enter=3000000s delays the call: it has not returned when sysstub is killed', async () => {
    // The delay is 35 days: the call must still be waiting, whenever the kill comes
    // (the 500 ms only give the old 1 ms timer time to show). arg0=4242: only
    // stubcall's getpid, not the shell's own. SIGKILL: the tracee dies with sysstub (PTRACE_O_EXITKILL).
    const c = startCollect(process.execPath, [cli, 'run', '-e', 'inject=getpid:delay_enter=3000000s:arg0=4242', '--', 'sh', '-c', `echo started; exec ${stubcall()} 39 4242`], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve) => c.child.stdout!.on('data', () => {
      if (c.stdout().toString().includes('started\n')) resolve();
    }));
    await new Promise((resolve) => setTimeout(resolve, 500));
    c.child.kill('SIGKILL');
    const r = await c.ended;
    const stdout = r.stdout.toString();
    const stderr = r.stderr.toString();
    expect(stderr).not.toMatch(/TimeoutOverflowWarning/);
    expect(stderr).toBe('');
    expect(stdout).toBe('started\n');
  });
});

describe('a promise rejection a handler leaves unhandled (issue 7 item 15)', () => {
  it('is reported in one line; the program goes on and its exit status is kept', async () => {
    const f = moduleFile('reject.mjs', "export default { name: 'reject', syscalls: { getpmsg: () => { Promise.reject(new Error('boom')); return 7; } } };\n");
    const r = await runCli(['run', '-m', f, '--', 'sh', '-c', `${stubcall()} 181; echo after; exit 3`]);
    expect(r.stdout).toBe('181 = 7\nafter\n');
    expect(r.exitCode).toBe(3);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^sysstub: module \S*reject\.mjs: unhandled promise rejection: Error: boom \(reject\.mjs:1:\d+\)/);
  });

  it('a rejection with no stack (a string) is reported too', async () => {
    const f = moduleFile('reject-str.mjs', "export default { name: 'rs', syscalls: { getpmsg: async () => { Promise.reject('nope'); return 7; } } };\n");
    const r = await runCli(['run', '-m', f, '--', stubcall(), '181']);
    expect(r.stdout).toBe('181 = 7\n');
    expect(r.exitCode).toBe(0);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^sysstub: .*unhandled.*nope/);
  });
});

describe("strace's own words (issue 7 item 18)", () => {
  it('-e inject=%%stat and %%statfs: the stat-like and statfs-like classes', async () => {
    let r = await runCli(['run', '-e', 'inject=%%stat:error=EACCES:when=1', '--', stubcall(), '4', '0', '0']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('4 = -1 EACCES\n'); // stat
    r = await runCli(['run', '-e', 'inject=%%stat:error=EACCES:fd=-100', '--', stubcall(), '332', '-100', '0', '0', '0', '0']);
    expect(r.stdout).toBe('332 = -1 EACCES\n'); // statx
    r = await runCli(['run', '-e', 'inject=%%statfs:error=EACCES', '--', stubcall(), '137', '0', '0']);
    expect(r.stdout).toBe('137 = -1 EACCES\n'); // statfs
  });

  it('-o FILE without -e trace= traces every call, as strace does', async () => {
    const out = path.join(dir, 'trace.txt');
    const r = await runCli(['run', '-o', out, '--', stubcall(), '39']);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^39 = \d+\n$/);
    const text = fs.readFileSync(out, 'utf8');
    // A file's lines carry the pid, as with strace -f (sysstub always follows).
    expect(text).toMatch(/^(\d+ +)?execve\(/);
    expect(text).toMatch(/^(\d+ +)?getpid\(\) += \d+$/m);
  });

  it('-c and -T without -e trace= trace every call', async () => {
    let r = await runCli(['run', '-c', '--', stubcall(), '39']);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/^\s*\S+\s+\S+\s+\S+\s+1\s+getpid$/m);
    expect(r.stderr).toMatch(/total$/m);
    r = await runCli(['run', '-T', '--', stubcall(), '39']);
    expect(r.stderr).toMatch(/^getpid\(\) += \d+ <\d+\.\d{6}>$/m);
  });

  it('statx flags: the sync type first, as strace prints them', async () => {
    const r = await runCli(['run', '-e', 'trace=statx', '-qq', '--', stubcall(), '332', '-100', '0', '0x800', '0', '0']);
    expect(r.stderr).toMatch(/^statx\(AT_FDCWD, NULL, AT_STATX_SYNC_AS_STAT\|AT_NO_AUTOMOUNT, 0, /m);
  });
});
