// The faults module from TypeScript: predicates as functions, paths, fds,
// argument masks, explicit call lists, several rules per syscall, rewritten
// arguments; all on real programs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { faults, run } from '../../lib/index.js';
import { fixture } from '../helpers.js';

const env = { ...process.env, LC_ALL: 'C' };
const cat = (files: string[], mod: ReturnType<typeof faults>) => run(['cat', ...files], { modules: [mod], env });

describe('faults module', () => {
  it('a predicate function and nth: the 2nd open of a matching path fails', async () => {
    const mod = faults({ openat: [{ error: 'EACCES', when: (c) => c.path?.endsWith('hostname') ?? false, nth: [2] }] });
    const r = await cat(['/etc/hostname', '/etc/hostname', '/etc/hostname'], mod);
    expect(r.stderr).toBe('cat: /etc/hostname: Permission denied\n');
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(2);
    expect(r.exitCode).toBe(1);
  });

  it('path globs', async () => {
    const mod = faults({ openat: { error: 'ENOENT', path: '/etc/host*' } });
    const r = await cat(['/etc/passwd', '/etc/hostname'], mod);
    expect(r.stderr).toBe('cat: /etc/hostname: No such file or directory\n');
    expect(r.stdout).toContain('root:');
  });

  it('several rules per syscall, in order, each with its own counter', async () => {
    const mod = faults({ openat: [{ error: 'ENOENT', path: '/etc/passwd' }, { error: 'EPERM', path: '/etc/host*', nth: [2] }] });
    const r = await cat(['/etc/passwd', '/etc/hostname', '/etc/hostname'], mod);
    expect(r.stderr).toBe('cat: /etc/passwd: No such file or directory\ncat: /etc/hostname: Operation not permitted\n');
  });

  it('fd and argument predicates: only writes to fd 1 fail', async () => {
    const mod = faults({ write: { error: 'EIO', fd: 1 } });
    const py = 'import os\ntry: os.write(1, b"one\\n")\nexcept OSError as e: os.write(2, b"errno %d" % e.errno)\nos.write(2, b" two\\n")';
    const r = await run(['/usr/bin/python3', '-c', py], { modules: [mod], env });
    expect(r).toMatchObject({ stdout: '', stderr: 'errno 5 two\n', exitCode: 0 });
    const masked = faults({ openat: { error: 'EACCES', when: (c) => (c.args[2] & 0o100n) !== 0n } }); // O_CREAT
    const r2 = await run(['sh', '-c', 'head -c0 /etc/hostname && echo read-ok; echo x > /tmp/sysstub-faults-$$ || echo create-failed'], { modules: [masked], env });
    expect(r2.stdout).toBe('read-ok\ncreate-failed\n');
  });

  it('retval, delays and setArgs', async () => {
    const t0 = Date.now();
    const r = await run([fixture('stubcall'), '39'], { modules: [faults({ getpid: { retval: 4242, delayEnter: 150 } })] });
    expect(r.stdout).toBe('39 = 4242\n');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
    // write(1, buf, n) redirected to fd 2 by rewriting argument 0.
    const r2 = await run(['/bin/echo', 'moved'], { modules: [faults({ write: { setArgs: { 0: 2 }, fd: 1 } })] });
    expect(r2).toMatchObject({ stdout: '', stderr: 'moved\n' });
  });

  it('path on a call on an fd: writes to the file it refers to fail, as writes to /dev/full do natively; stdout is untouched', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sysstub-fdpath-'));
    try {
      const native = await run(['sh', '-c', 'echo a > /dev/full; echo rc=$?'], { env });
      expect(native).toMatchObject({ stdout: 'rc=1\n', stderr: expect.stringMatching(/I\/O error|No space left/) });
      const rule = faults({ write: { path: `${dir}/*.txt`, error: 'ENOSPC' } });
      const r = await run(['sh', '-c', `echo a > ${dir}/out.txt; echo rc=$?`], { modules: [rule], env });
      expect({ stdout: r.stdout, stderr: r.stderr }).toEqual({ stdout: native.stdout, stderr: native.stderr });
      expect(fs.readFileSync(path.join(dir, 'out.txt'), 'utf8')).toBe('');
      // The CLI's path= is the same rule.
      const cli = await run(['sh', '-c', `echo a > ${dir}/cli.txt; echo rc=$?`], { inject: `write:path=${dir}/cli.txt:error=ENOSPC`, env });
      expect(cli.stdout).toBe('rc=1\n');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects bad rules with the syscall named (from JavaScript; in TypeScript they do not compile)', () => {
    // @ts-expect-error error and retval together
    expect(() => faults({ openat: { error: 'EPERM', retval: 1 } })).toThrow(/faults: openat: error and retval are exclusive/);
    // @ts-expect-error a misspelt name
    expect(() => faults({ opnat: { error: 'EPERM' } })).toThrow(/did you mean "openat"/);
    expect(() => faults({ openat: {} })).toThrow(/a rule needs/);
  });
});

describe('counted rules decided natively', () => {
  it('when= with error/retval alone never enters JS, on both routes, and counts per thread', async () => {
    const { Supervisor } = await import('../../lib/index.js');
    for (const route of ['auto', 'ptrace'] as const) {
      const sup = new Supervisor({ route, modules: [faults([(await import('../../lib/index.js')).parseFaultExpr('getpmsg:retval=5:when=2+2', 'inject')])] });
      const child = sup.spawn(fixture('loop'), ['0', '6'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d));
      await child.closed;
      // calls 2, 4, 6 answer 5; the others fall to the empty stub: the 6th (last) is 5.
      expect(out).toBe('getppid ok=0 getpmsg last=5\n');
      const s = sup.stats();
      expect(s.handlerCalls).toBe(0);
      expect(s.nativeAnswers + s.notifNativeAnswers).toBe(6);
      await sup.close();
    }
    const odd = await run([fixture('loop'), '0', '5'], { modules: [faults([(await import('../../lib/index.js')).parseFaultExpr('getpmsg:retval=5:when=2+2', 'inject')])] });
    expect(odd.stdout).toBe('getppid ok=0 getpmsg last=-1\n'); // the 5th is not selected: ENOSYS
  });
});

describe('faults at the exit of a real call (observe() underneath)', () => {
  it('delayExit waits after the call ran; signal is raised at its exit', async () => {
    const t0 = Date.now();
    const d = await run([fixture('loop'), '1', '0'], { modules: [faults({ getppid: { delayExit: 200 } })] });
    expect(d.stdout).toBe('getppid ok=1 getpmsg last=0\n');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
    const s = await run([fixture('loop'), '3', '0'], { modules: [faults({ getppid: { signal: 'SIGUSR1', nth: [2] } })] });
    expect(s.signal).toBe('SIGUSR1');
    expect(s.stdout).toBe('');
  });
});
