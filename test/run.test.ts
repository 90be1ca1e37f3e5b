// run(), the harness API: execa's shape (command forms, encodings, all,
// timeout/abort killing the whole tree, failed/command/durationMs), faults as
// CLI expressions, traced calls as typed records with strace lines and a
// stable snapshot form, child.syscalls() ending with the tree, and the
// Supervisor's lifecycle errors. Each program also runs natively where the
// comparison says something.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineModule, faults, format, parseFaultExpr, run, snapshot, Supervisor } from '../lib/index.js';
import { fixture, isDead, runNative } from './helpers.js';

const env = { ...process.env, LC_ALL: 'C' };


describe('run(): command, output, result', () => {
  it("bytes stay bytes with encoding: 'buffer'; text is UTF-8 by default", async () => {
    const b = await run(['printf', '\\377\\376'], { encoding: 'buffer' });
    expect(Buffer.isBuffer(b.stdout)).toBe(true);
    expect([...b.stdout]).toEqual([0xff, 0xfe]);
    expect([...b.all]).toEqual([0xff, 0xfe]);
    const t = await run(['printf', 'h\\303\\251']);
    expect(t.stdout).toBe('hé');
  });

  it('a command string is split on spaces (no shell); the result names the command, its duration and failure', async () => {
    const r = await run('echo hello  world');
    expect(r).toMatchObject({ stdout: 'hello world\n', stderr: '', exitCode: 0, signal: null, failed: false, timedOut: false, isCanceled: false, command: 'echo hello world' });
    expect(r.durationMs).toBeGreaterThan(0);
    const q = await run(['sh', '-c', 'exit 3']);
    expect(q).toMatchObject({ exitCode: 3, failed: true, command: "sh -c 'exit 3'" });
  });

  it('all holds stdout and stderr together', async () => {
    const r = await run(['sh', '-c', 'echo out; echo err >&2']);
    expect(r.stdout).toBe('out\n');
    expect(r.stderr).toBe('err\n');
    expect(r.all.split('\n').sort()).toEqual(['', 'err', 'out']);
  });

  it('input goes to stdin; cwd and env are the program\'s', async () => {
    const r = await run(['sh', '-c', 'cat; pwd; echo "$X"'], { input: 'in\n', cwd: '/tmp', env: { PATH: process.env.PATH, X: 'x1' } });
    expect(r.stdout).toBe('in\n/tmp\nx1\n');
  });

  it('a program that cannot be executed rejects with a Node-shaped SpawnError', async () => {
    await expect(run(['/nonexistent/prog'])).rejects.toMatchObject({ code: 'ENOENT', errno: -2, syscall: 'spawn /nonexistent/prog' });
  });

  it('bad options are TypeErrors or RangeErrors naming the option', async () => {
    await expect(run(['true'], { timeout: -1 })).rejects.toThrow(/run: timeout must be a whole number of ms/);
    await expect(run(['true'], { encoding: 'latin1' as 'utf8' })).rejects.toThrow(/run: encoding must be 'utf8' or 'buffer', got "latin1"/);
    await expect(run(['true'], { killSignal: 'SIGFOO' as NodeJS.Signals })).rejects.toThrow(/run: killSignal: SIGFOO is not a signal/);
    await expect(run(['true'], { colour: true } as object)).rejects.toThrow(/run: unknown option "colour"/);
    await expect(run([])).rejects.toThrow(/run: command must be a non-empty string or array/);
    await expect(run(['true'], { inject: 'openat:error=EWHAT' })).rejects.toThrow(/EWHAT/);
  });
});

describe('run(): timeout and abort end the whole tree before the promise settles', () => {
  it('timeout: the program and its background child are dead when run() resolves', async () => {
    const r = await run(['sh', '-c', 'sleep 30 & echo $!; wait'], { timeout: 300 });
    expect(r).toMatchObject({ timedOut: true, signal: 'SIGKILL', failed: true });
    const bg = Number(r.stdout);
    expect(bg).toBeGreaterThan(0);
    expect(isDead(bg)).toBe(true);
  });

  it('killSignal is what a timeout sends', async () => {
    const r = await run(['sleep', '30'], { timeout: 200, killSignal: 'SIGTERM' });
    expect(r).toMatchObject({ timedOut: true, signal: 'SIGTERM' });
  });

  it('an AbortSignal, aborted before or during the run', async () => {
    const before = await run(['sleep', '30'], { signal: AbortSignal.abort() });
    expect(before).toMatchObject({ isCanceled: true, signal: 'SIGKILL', failed: true });
    const ctl = new AbortController();
    const p = run(['sh', '-c', 'echo started; sleep 30 & echo $!; wait'], { signal: ctl.signal });
    setTimeout(() => ctl.abort(), 200);
    const during = await p;
    expect(during.isCanceled).toBe(true);
    expect(isDead(Number(during.stdout.split('\n')[1]))).toBe(true);
  });
});

describe('run(): inject, as on the CLI', () => {
  it('a strace expression string, a parsed rule, or a list of them', async () => {
    const native = await runNative('cat', ['/etc/hostname'], { env });
    expect(native.exitCode).toBe(0);
    const r = await run(['cat', '/etc/hostname'], { inject: 'openat:error=EACCES:when=3', env });
    expect(r).toMatchObject({ exitCode: 1, stderr: 'cat: /etc/hostname: Permission denied\n', stdout: '', failed: true });
    const list = await run(['cat', '/etc/hostname'], { inject: [parseFaultExpr('read:error=EIO:when=2', 'inject')], env });
    expect(list.stderr).toMatch(/^cat: .*Input\/output error\n/);
    expect(list.exitCode).toBe(1);
  });
});

describe('run(): traced calls as records', () => {
  it('a trace SET gives typed records: path, fd, signed result, errno, the strace line', async () => {
    const r = await run(['cat', '/etc/hostname', '/nonexistent'], { trace: 'openat,read,close', env });
    const open = r.syscalls.find((s) => s.name === 'openat' && s.path === '/etc/hostname')!;
    expect(open).toMatchObject({ nr: 257, result: 3n, errno: null, path: '/etc/hostname' });
    expect(open.text).toBe('openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = 3');
    expect(open.argText).toEqual(['AT_FDCWD', '"/etc/hostname"', 'O_RDONLY']);
    expect(format(open, { pid: true })).toBe(`[pid ${open.pid}] openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = 3`);
    const missing = r.syscalls.find((s) => s.path === '/nonexistent')!;
    expect(missing).toMatchObject({ result: -2n, errno: 'ENOENT' });
    expect(missing.text).toBe('openat(AT_FDCWD, "/nonexistent", O_RDONLY) = -1 ENOENT (No such file or directory)');
    // The last read with data: cat's, of /etc/hostname (the loader read libc before).
    const read = r.syscalls.findLast((s) => s.name === 'read' && s.fd === 3 && (s.result ?? 0n) > 0n)!;
    expect(read.text).toMatch(/^read\(3, ".*", 131072\) = \d+$/);
    expect(format(read, { strsize: 1 })).toMatch(/^read\(3, ".?"\.\.\., 131072\) = \d+$/);
  });

  it('handledBy: the module whose answer the program got (native constant or JS handler), null where the kernel ran the call', async () => {
    const pass = defineModule({ name: 'pass', syscalls: { read: (c) => c.next() } });
    const r = await run(['cat', '/etc/hostname', '/nonexistent'], {
      trace: 'openat,read',
      // A counted constant (decided natively, answered without running) and a JS rule under a module that passes on.
      inject: 'openat:error=EACCES:when=4',
      modules: [faults({ read: { error: 'EIO', when: '2' } }), pass],
      env,
    });
    const by = r.syscalls.map((s) => `${s.name}:${s.errno ?? 'ok'}:${s.handledBy}`);
    expect(by).toContain('openat:EACCES:inject');
    expect(by).toContain('read:EIO:faults');
    expect(r.syscalls.filter((s) => s.handledBy === null).every((s) => s.errno !== 'EACCES' && s.errno !== 'EIO')).toBe(true);
    expect(r.syscalls.find((s) => s.path === '/etc/hostname')?.handledBy).toBeNull();
  });

  it('snapshot(): the same text from run to run, without the loader\'s start-up', async () => {
    const once = async () => snapshot((await run(['cat', '/etc/hostname'], { trace: 'execve,openat,close', env })).syscalls);
    const a = await once();
    expect(a).toBe(await once());
    expect(a.split('\n')).toEqual([
      'execve("/usr/bin/cat", ["cat", "/etc/hostname"], 0x… /* … vars */) = 0',
      'openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = 3',
      'close(3) = 0',
      'close(1) = 0',
      'close(2) = 0',
    ]);
  });

  it('snapshot() of trace=all: no loader line, pids masked, the same twice; the program\'s own first calls kept', async () => {
    const once = async () => snapshot((await run(['cat', '/etc/hostname'], { trace: 'all', env })).syscalls);
    const a = await once();
    expect(a).toBe(await once());
    const lines = a.split('\n');
    expect(lines[0]).toMatch(/^execve\("\/usr\/bin\/cat", \["cat", "\/etc\/hostname"\], 0x… \/\* … vars \*\/\) = 0$/);
    expect(lines.filter((l) => /ld\.so|\.so\.6|ELF/.test(l))).toEqual([]);
    expect(lines).toContain('openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = 3');
    expect(lines.at(-1)).toBe('exit_group(0) = ?');
    // With the loader kept, its calls are there, and the thread's id shows as <pid 1>.
    const all = snapshot((await run(['cat', '/etc/hostname'], { trace: 'all', env })).syscalls, { loader: true });
    expect(all).toMatch(/\nset_tid_address\(0x…\) = <pid 1>\n/);
    expect(all).toMatch(/libc\.so\.6/);
    // A program whose first calls are its own: close(7) is not the loader's.
    const own = await run([fixture('stubcall'), '3', '7'], { trace: 'all' });
    expect(snapshot(own.syscalls).split('\n')).toContain('close(7) = -1 EBADF (Bad file descriptor)');
  });

  it('snapshot() puts each process\'s lines together, numbered in the order they were started', async () => {
    const r = await run(['sh', '-c', 'cat /etc/hostname & cat /etc/passwd >/dev/null & wait'], { trace: 'execve,clone,vfork,openat', env });
    const lines = snapshot(r.syscalls, { only: ['execve', 'clone', 'vfork', 'openat'] }).split('\n');
    const order = lines.map((l) => Number(/^\[pid (\d+)\]/.exec(l)![1]));
    expect([...order].sort((x, y) => x - y)).toEqual(order);
    expect(lines.find((l) => l.includes('execve("/usr/bin/cat", ["cat", "/etc/hostname"]'))).toMatch(/^\[pid 2\] /);
    expect(lines.find((l) => l.includes('execve("/usr/bin/cat", ["cat", "/etc/passwd"]'))).toMatch(/^\[pid 3\] /);
  });

  it('snapshot() numbers processes in order of appearance', async () => {
    const r = await run(['sh', '-c', 'cat /dev/null; exit 0'], { trace: 'openat', env });
    const lines = snapshot(r.syscalls, { only: ['openat'] }).split('\n');
    expect(lines.every((l) => /^\[pid [12]\] openat\(/.test(l))).toBe(true);
    expect(lines.some((l) => l.startsWith('[pid 2] openat(AT_FDCWD, "/dev/null"'))).toBe(true);
  });

  it('child.syscalls() yields the tree\'s calls and ends when the child has exited', async () => {
    const sup = new Supervisor({ trace: { syscalls: 'getpmsg' } });
    try {
      const child = sup.spawn(fixture('loop'), ['0', '3'], { stdio: 'pipe' });
      child.stdout!.resume();
      const names: string[] = [];
      for await (const e of child.syscalls()) names.push(`${e.name}=${e.error}`);
      expect(names).toEqual(['getpmsg=ENOSYS', 'getpmsg=ENOSYS', 'getpmsg=ENOSYS']);
      expect(child.exitResult?.exitCode).toBe(0);
    } finally {
      await sup.close();
    }
  });
});

describe('found by the review of this API (each failed before its fix)', () => {
  it('child.syscalls(): descendants that outlive the child are still its tree; next() may be called before the last one settled', async () => {
    const sup = new Supervisor({ trace: { syscalls: 'write' } });
    try {
      const child = sup.spawn('sh', ['-c', '(sleep 0.3; echo late) & echo early'], { stdio: 'pipe' });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d));
      const it = child.syscalls();
      const all = await Promise.all([it.next(), it.next(), it.next()]);
      expect(all.map((r) => r.done)).toEqual([false, false, true]);
      expect(out).toBe('early\nlate\n');
    } finally {
      await sup.close();
    }
  });

  it('child.syscalls() ends when the whole tree has exited, not when the output is in: a detached background child counts', async () => {
    const sup = new Supervisor({ trace: { syscalls: 'exit_group' } });
    try {
      const all: string[] = [];
      sup.on('syscall', (e: { pid: number }) => all.push(`${e.pid}`));
      const idle = new Promise<void>((resolve) => sup.once('idle', resolve));
      // The background process closes the pipes, so `closed` settles while it sleeps.
      const child = sup.spawn('sh', ['-c', '(sleep 0.3; exit 0) </dev/null >/dev/null 2>&1 & echo started'], { stdio: 'pipe' });
      child.stdout!.resume();
      const seen: string[] = [];
      for await (const e of child.syscalls()) seen.push(`${e.pid}`);
      await idle;
      expect(seen.length).toBeGreaterThanOrEqual(3);
      expect(seen).toEqual(all);
    } finally {
      await sup.close();
    }
  });

  it('faults path=: ** crosses a newline; a file deleted since it was opened keeps its name', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sysstub-glob-'));
    try {
      const nl = await run(['sh', '-c', 'mkdir -p "$(printf "a\\nb")" && echo hi > "$(printf "a\\nb")/x.txt"; echo rc=$?'], { inject: 'write:path=**/x.txt:error=ENOSPC', cwd: dir });
      expect(nl.stdout).toBe('rc=1\n');
      const gone = await run(['sh', '-c', 'exec 5>x.txt; rm x.txt; echo hi >&5; echo rc=$?'], { inject: 'write:path=**/x.txt:error=ENOSPC', cwd: dir });
      expect(gone.stdout).toBe('rc=1\n');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a handler's bad address is its own TypeError, not the tracee's EFAULT", async () => {
    const seen: string[] = [];
    const mod = defineModule({
      name: 'bad',
      syscalls: {
        getpmsg: (c) => {
          for (const addr of ['0x10', 1.5, 2n ** 64n] as unknown as bigint[]) {
            try {
              c.read(addr, 1);
            } catch (e) {
              seen.push(`${(e as Error).name}: ${(e as Error).message}`);
            }
          }
          try {
            c.write(c.ptr(0), 'text' as unknown as Uint8Array);
          } catch (e) {
            seen.push(`${(e as Error).name}: ${(e as Error).message}`);
          }
          return 0;
        },
      },
    });
    await run([fixture('stubcall'), '181'], { modules: [mod] });
    expect(seen).toEqual([
      'TypeError: read: addr must be an integer that fits in 64 bits (number or bigint), got 0x10',
      'TypeError: read: addr must be an integer that fits in 64 bits (number or bigint), got 1.5',
      'TypeError: read: addr must be an integer that fits in 64 bits (number or bigint), got 18446744073709551616n',
      // The binding's own TypeError comes through as it is (not turned into EFAULT).
      'TypeError: write: bytes must be a Uint8Array',
    ]);
  });

  it('run() options of the wrong type are named', async () => {
    await expect(run('true', null as unknown as object)).rejects.toThrow('run: options must be an object, got null');
    await expect(run('true', { input: 5 as unknown as string })).rejects.toThrow('run: input must be a string or a Uint8Array, got number');
    await expect(run('true', { trace: 5 as unknown as string })).rejects.toThrow(/run: trace must be a strace SET/);
    await expect(run('true', { trace: { syscalls: 'openat', capture: 5 as unknown as () => [] } })).rejects.toThrow('Supervisor: trace.capture must be a function');
    await expect(run('true', { inject: 'getpid:error=EPERM', modules: [{ name: 'inject', syscalls: {} }] })).rejects.toThrow(/a module is named "inject"/);
    const names = await run(['cat', '/etc/hostname'], { trace: ['openat', 0] });
    expect(names.syscalls.some((s) => s.name === 'openat') && names.syscalls.some((s) => s.name === 'read')).toBe(true);
  });
});

describe('nothing trapped that no module handles', () => {
  it('kernelStubs: false wires no slot: getpmsg is the kernel\'s own ENOSYS, with no seccomp stop and no listener', async () => {
    const sup = new Supervisor({ kernelStubs: false });
    try {
      expect(sup.table.wiredNumbers()).toEqual([]);
      const child = sup.spawn(fixture('stubcall'), ['181'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d));
      expect((await child.closed).exitCode).toBe(0);
      expect(out).toBe('181 = -1 ENOSYS\n');
      expect(child.route).toBe('ptrace');
      expect(sup.stats()).toMatchObject({ seccompStops: 0, notifCalls: 0 });
    } finally {
      await sup.close();
    }
    // The counters stay readable after close().
    expect(sup.stats().exits).toBeGreaterThan(0);
    const wired = new Supervisor();
    expect(wired.table.wiredNumbers()).toContain(181);
    await wired.close();
  });
});

describe('Supervisor lifecycle', () => {
  it('every method after close() fails with code ERR_SUPERVISOR_CLOSED; Symbol.asyncDispose closes', async () => {
    const sup = new Supervisor();
    await sup[Symbol.asyncDispose]();
    expect(() => sup.spawn('true')).toThrow(expect.objectContaining({ code: 'ERR_SUPERVISOR_CLOSED' }));
    expect(() => sup.load({ name: 'late', syscalls: { getpmsg: () => 0 } })).toThrow(expect.objectContaining({ code: 'ERR_SUPERVISOR_CLOSED' }));
    await expect(sup.unload('late')).rejects.toMatchObject({ code: 'ERR_SUPERVISOR_CLOSED' });
    expect(() => sup.relaySignals(['SIGINT'])).toThrow(expect.objectContaining({ code: 'ERR_SUPERVISOR_CLOSED' }));
  });
});
