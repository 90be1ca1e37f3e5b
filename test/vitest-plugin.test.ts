// sysstub/vitest: the matchers pass and fail on real runs, with the trace
// slice in the failure message; the fixture's supervisor and runs end with the
// test, one that timed out included (a nested vitest run whose test times out
// while its program sleeps: the program must be dead when vitest is done).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect } from 'vitest';
import { run } from '../lib/index.js';
import { test } from '../lib/vitest.js';
import { isDead, procState, root, spawnCollect } from './helpers.js';

const env = { ...process.env, LC_ALL: 'C' };

describe('matchers', () => {
  test('toHaveCalledSyscall and toFailSyscallWith, on what run() returned', async () => {
    const r = await run(['cat', '/etc/hostname', '/nonexistent'], { trace: 'openat', env });
    expect(r).toHaveCalledSyscall('openat', { path: '/etc/hostname', result: 3 });
    expect(r).toHaveCalledSyscall('openat', { path: /^\/non/, times: 1 });
    expect(r).not.toHaveCalledSyscall('openat', { path: '/etc/passwd' });
    expect(r).toFailSyscallWith('openat', 'ENOENT');
    expect(r).not.toFailSyscallWith('openat', 'EACCES');
    // A failure names what was expected and shows the calls of that name.
    expect(() => expect(r).toHaveCalledSyscall('openat', { path: '/etc/passwd' })).toThrow(
      /expected the program to make at least one openat call matching \{ path: "\/etc\/passwd" \}; it made 0:\n.*\n {2}\[pid \d+\] openat\(AT_FDCWD, "\/etc\/hostname", O_RDONLY\) = 3\n/s,
    );
    expect(() => expect(r).toHaveCalledSyscall('write')).toThrow(/no write call; traced: openat/);
    const untraced = await run(['true']);
    expect(() => expect(untraced).toHaveCalledSyscall('openat')).toThrow(/no calls were traced: run with \{ trace: \.\.\. \}/);
  });

  test('toHaveExitedWith and toHaveBeenKilledBy', async () => {
    const three = await run(['sh', '-c', 'echo oops >&2; exit 3']);
    expect(three).toHaveExitedWith(3);
    expect(three).not.toHaveBeenKilledBy('SIGTERM');
    expect(() => expect(three).toHaveExitedWith(0)).toThrow(/expected the program to exit with 0; it exited with 3\nstderr: "oops\\n"/);
    const killed = await run(['sh', '-c', 'kill -TERM $$']);
    expect(killed).toHaveBeenKilledBy('SIGTERM');
    expect(killed).not.toHaveExitedWith(0);
    expect(() => expect(killed).toHaveExitedWith(0)).toThrow(/it was killed by SIGTERM/);
  });
});

describe('matchers refuse what would pass by mistake', () => {
  test('a misspelt name, key, errno or value is a TypeError; a signal may be given by number', async () => {
    const r = await run(['cat', '/etc/hostname'], { trace: 'openat', env });
    const bad = r as unknown as { syscalls: [] };
    expect(() => expect(bad).not.toHaveCalledSyscall('opnat' as 'openat')).toThrow('toHaveCalledSyscall: "opnat" is not an x86-64 syscall name');
    expect(() => expect(r).toHaveCalledSyscall('openat', { pth: '/etc/passwd' } as object)).toThrow('toHaveCalledSyscall: unknown key "pth" (valid: args, path, times, result)');
    expect(() => expect(r).toHaveCalledSyscall('openat', { result: 1.5 })).toThrow('toHaveCalledSyscall: result must be an integer, got 1.5');
    expect(() => expect(r).toHaveCalledSyscall('openat', { args: { 7: 1 } as object })).toThrow('toHaveCalledSyscall: args index 7 must be 0..5');
    expect(() => expect(r).not.toFailSyscallWith('openat', 'ENOTANERRNO' as 'EIO')).toThrow('toFailSyscallWith: "ENOTANERRNO" is not an errno name');
    const killed = await run(['sh', '-c', 'kill -TERM $$']);
    expect(killed).toHaveBeenKilledBy(15);
    expect(() => expect(killed).toHaveBeenKilledBy('SIGFOO' as 'SIGTERM')).toThrow('toHaveBeenKilledBy: "SIGFOO" is not a signal name');
  });
});

describe('fixtures', () => {
  test('supervisor: a Supervisor of the test; run: run() of the test', async ({ supervisor, run: runInTest }) => {
    const child = supervisor.spawn('sh', ['-c', 'exit 4'], { stdio: 'ignore' });
    expect(await child.exited).toHaveExitedWith(4);
    const r = await runInTest(['echo', 'hi']);
    expect(r.stdout).toBe('hi\n');
  });

  test('a test that timed out: what it ran through the fixtures is killed and reaped', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sysstub-vitest-'));
    try {
      const pids = path.join(dir, 'pids');
      fs.writeFileSync(path.join(dir, 'hang.test.ts'), [
        `import fs from 'node:fs';`,
        `import { test } from ${JSON.stringify(path.join(root, 'lib', 'vitest.ts'))};`,
        `test('hangs', async ({ supervisor, run }) => {`,
        `  const child = supervisor.spawn('sleep', ['1000'], { stdio: 'ignore' });`,
        `  const p = run(['sh', '-c', 'echo $$ >> ${pids}; exec sleep 1000']);`,
        `  fs.appendFileSync(${JSON.stringify(pids)}, child.pid + '\\n');`,
        `  await p;`,
        `}, 1000);`,
        '',
      ].join('\n'));
      fs.writeFileSync(path.join(dir, 'vitest.config.mjs'), "export default { test: { include: ['*.test.ts'], pool: 'forks' } };\n");
      const r = await spawnCollect(process.execPath, [path.join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--root', dir], { cwd: dir, killMs: 60_000 });
      const out = r.stdout.toString() + r.stderr.toString();
      expect(r.hung).toBe(false);
      expect(r.exitCode).toBe(1);
      expect(out).toMatch(/Test timed out in 1000ms/);
      const list = fs.readFileSync(pids, 'utf8').trim().split('\n').map(Number);
      expect(list).toHaveLength(2);
      for (const pid of list) expect(isDead(pid), `pid ${pid}: ${procState(pid)}`).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
