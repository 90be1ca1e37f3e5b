// The module protocol: what a handler sees, what it may answer, stacking with
// next(), memory access, observe(), failures, async answers, load/unload at
// run time.
import { describe, expect, it } from 'vitest';
import { defineModule, run, Supervisor, SyscallError, type Call, type HandlerReport } from '../lib/index.js';
import { fixture, runSupervised, ROUTES, trappedCalls } from './helpers.js';

const stubcall = fixture('stubcall');

describe.each(ROUTES)('%s route', (route) => {
  describe('handlers', () => {
    it('see nr, name, pid, tid and the six raw 64-bit arguments', async () => {
      let seen: Call | undefined;
      const mod = defineModule({ name: 'spy', syscalls: { getpmsg: (c) => ((seen = c), 0) } });
      const sup = new Supervisor({ route, modules: [mod] });
      const child = sup.spawn(stubcall, ['181', '1', '-2', '0xffffffff', '0x8000000000000000', '5', '6'], { stdio: 'ignore' });
      await child.exited;
      await sup.close();
      expect(seen).toBeDefined();
      const c = seen!;
      expect([c.nr, c.name, c.pid, c.tid]).toEqual([181, 'getpmsg', child.pid, child.pid]);
      expect(c.args).toEqual([1n, 0xfffffffffffffffen, 0xffffffffn, 0x8000000000000000n, 5n, 6n]);
      expect([c.int(1), c.uint(1), c.long(1), c.int(2), c.uint(2), c.ptr(3)]).toEqual([-2, 0xfffffffe, -2n, -1, 0xffffffff, 1n << 63n]);
    });

    it('answer with numbers, bigints and SyscallErrors, sync or async', async () => {
      const cases: [(c: Call) => unknown, string][] = [
        [() => 7, '181 = 7'],
        [() => -1n & 0x7fffffffffffffffn, '181 = 9223372036854775807'],
        [async () => 8n, '181 = 8'],
        [() => new SyscallError('EPERM'), '181 = -1 EPERM'],
        [() => { throw new SyscallError(22); }, '181 = -1 EINVAL'],
        [async () => { throw new SyscallError('ENOSTR'); }, '181 = -1 ENOSTR'],
      ];
      for (const [handler, line] of cases) {
        const mod = defineModule({ name: 'm', syscalls: { getpmsg: handler as never } });
        expect((await runSupervised(stubcall, ['181'], { modules: [mod], supervisor: { route } })).stdout).toBe(`${line}\n`);
      }
    });

    it('stack newest first; next() defers to the module below, then to ENOSYS or the kernel', async () => {
      const order: string[] = [];
      const bottom = defineModule({ name: 'bottom', syscalls: { getpmsg: () => (order.push('bottom'), 100) } });
      const top = defineModule({
        name: 'top',
        syscalls: {
          getpmsg: async (c) => {
            order.push('top');
            const below = await c.next();
            return below.type === 'return' ? below.value + 1n : below;
          },
        },
      });
      expect((await runSupervised(stubcall, ['181'], { modules: [bottom, top], supervisor: { route } })).stdout).toBe('181 = 101\n');
      expect(order).toEqual(['top', 'bottom']);
      const passOn = defineModule({ name: 'pass', syscalls: { getpmsg: (c) => c.next(), getpid: (c) => c.next() } });
      expect((await runSupervised(stubcall, ['181'], { modules: [passOn], supervisor: { route } })).stdout).toBe('181 = -1 ENOSYS\n');
      expect((await runSupervised(stubcall, ['39'], { modules: [passOn], supervisor: { route } })).stdout).toMatch(/^39 = [1-9]\d*\n$/);
    });

    it('next(args) lets the real call run with modified arguments', async () => {
      // write(1, ...) -> write(2, ...): the program's stdout lands on stderr.
      const redirect = defineModule({ name: 'redirect', syscalls: { write: (c) => (c.int(0) === 1 ? c.next({ 0: 2 }) : c.next()) } });
      const r = await runSupervised('/bin/echo', ['abcdef'], { modules: [redirect], supervisor: { route } });
      expect(r).toMatchObject({ stdout: '', stderr: 'abcdef\n', exitCode: 0 });
    });

    it('read, write (read-only pages too) and readCString tracee memory; EFAULT for bad addresses', async () => {
      let path = '';
      const mem = defineModule({
        name: 'mem',
        syscalls: {
          400: (c) => {
            const len = Number(c.args[2]);
            const bytes = c.read(c.args[0], len);
            const rev = Buffer.from(bytes).reverse();
            c.write(c.args[1], rev);
            c.write(c.args[3], Buffer.concat([rev, Buffer.from([0])]));
            return len;
          },
          401: (c) => {
            path = c.readCString(c.args[0]);
            expect(() => c.readCString(c.args[0], 4)).toThrow(SyscallError);
            return path.length;
          },
        },
      });
      const r = await runSupervised(fixture('memops'), [], { modules: [mem], supervisor: { route } });
      expect(r.stdout).toBe('r=13 out=eecart ,olleh ro=eecart ,olleh\nbad in: r=-1 errno=EFAULT\ncstring: r=14\n');
      expect(path).toBe('/etc/some/path');
    });
  });

  describe('failing handlers', () => {
    const collect = (sup: Supervisor) => {
      const reports: HandlerReport[] = [];
      sup.on('handlerError', (r: HandlerReport) => reports.push(r));
      return reports;
    };

    it('a handler that throws fails its call with EIO and is reported; the supervisor goes on', async () => {
      const mod = defineModule({ name: 'boom', syscalls: { getpmsg: () => { throw new Error('kaput'); } } });
      const r = await run([stubcall, '181'], { route, modules: [mod] });
      expect(r.stdout).toBe('181 = -1 EIO\n');
      expect(r.handlerErrors).toHaveLength(1);
      expect(r.handlerErrors[0]).toMatchObject({ module: 'boom', syscall: 'getpmsg', nr: 181, fault: 'threw', errno: 5 });
      expect(r.handlerErrors[0].message).toMatch(/module "boom": getpmsg handler threw Error: kaput .* failed with EIO/);
    });

    it('an invalid result fails the call with EIO', async () => {
      for (const bad of [undefined, 'x', 1.5, {}, 2n ** 64n]) {
        const mod = defineModule({ name: 'liar', syscalls: { getpmsg: () => bad as never } });
        const r = await run([stubcall, '181'], { route, modules: [mod] });
        expect(r.stdout).toBe('181 = -1 EIO\n');
        expect(r.handlerErrors[0]).toMatchObject({ fault: 'invalid-result', module: 'liar' });
      }
    });

    it('a handler that never answers fails with ETIMEDOUT after its timeout', async () => {
      const mod = defineModule({ name: 'hang', syscalls: { getpmsg: () => new Promise<number>(() => {}) } });
      const sup = new Supervisor({ route, modules: [mod], handlerTimeout: 200 });
      const reports = collect(sup);
      const child = sup.spawn(stubcall, ['181'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d));
      await child.closed;
      await sup.close();
      expect(out).toBe('181 = -1 ETIMEDOUT\n');
      expect(reports[0]).toMatchObject({ fault: 'timeout', detail: 200, errno: 110 });
    });

    it('timeout: null lets a handler block as long as it likes; call.signal aborts if the thread dies', async () => {
      let called!: () => void;
      const inHandler = new Promise<void>((r) => (called = r));
      let aborted!: () => void;
      const abortSeen = new Promise<void>((r) => (aborted = r));
      const mod = defineModule({
        name: 'blocker',
        syscalls: {
          getpmsg: {
            timeout: null,
            handler: (c) => {
              called();
              return new Promise<number>((_, reject) => c.signal.addEventListener('abort', () => { aborted(); reject(new Error('gone')); }));
            },
          },
        },
      });
      const sup = new Supervisor({ route, modules: [mod], handlerTimeout: 50 });
      const child = sup.spawn(stubcall, ['181'], { stdio: 'ignore' });
      await inHandler;
      // Six times the default timeout from the call's arrival; a slow machine only makes the wait longer.
      await new Promise((r) => setTimeout(r, 300));
      expect(child.exitResult).toBeNull(); // still blocked, past the default timeout
      child.kill('SIGKILL');
      expect((await child.exited).signal).toBe('SIGKILL');
      await abortSeen; // the test times out if call.signal never aborts
      await sup.close();
    });
  });

  describe('async answers', () => {
    it('never lose a wake-up: random delays across many tracees and threads', async () => {
      const mod = defineModule({
        name: 'jitter',
        syscalls: {
          getpmsg: (c) => {
            const r = Math.random();
            if (r < 0.3) return c.tid; // answered synchronously
            return new Promise<number>((resolve) => (r < 0.6 ? queueMicrotask : (f: () => void) => setTimeout(f, Math.floor(r * 4)))(() => resolve(c.tid)));
          },
        },
      });
      const sup = new Supervisor({ route, modules: [mod] });
      const children = Array.from({ length: 8 }, () => sup.spawn(fixture('threads'), ['4', '40'], { stdio: ['ignore', 'pipe', 'ignore'] }));
      const outs = children.map((c) => {
        let s = '';
        c.stdout!.on('data', (d: Buffer) => (s += d));
        return c.closed.then((r) => ({ r, s }));
      });
      for (const { r, s } of await Promise.all(outs)) {
        expect(s).toBe('threads=4 calls=40 wrong=0\n');
        expect(r.exitCode).toBe(0);
      }
      expect(trappedCalls(sup.stats(), route)).toBe(8 * 4 * 40);
      await sup.close();
    });
  });

  describe('load and unload at run time', () => {
    it('a call in flight keeps its module; unload resolves when it drained; new calls no longer see it', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let entered!: () => void;
      const inFlight = new Promise<void>((r) => (entered = r));
      const slow = defineModule({ name: 'slow', syscalls: { getpmsg: async () => { entered(); await gate; return 11; } } });
      const base = defineModule({ name: 'base', syscalls: { getpmsg: () => 22 } });
      const sup = new Supervisor({ route, modules: [base, slow] });
      const outputs: string[] = [];
      const start = () => {
        const c = sup.spawn(stubcall, ['181'], { stdio: ['ignore', 'pipe', 'ignore'] });
        let s = '';
        c.stdout!.on('data', (d: Buffer) => (s += d));
        return c.closed.then(() => s);
      };
      const first = start();
      await inFlight;
      let unloaded = false;
      const unloading = sup.unload('slow').then(() => (unloaded = true));
      // A call that starts after unload() does not see "slow".
      outputs.push(await start());
      expect(unloaded).toBe(false);
      release();
      outputs.push(await first);
      await unloading;
      expect(outputs).toEqual(['181 = 22\n', '181 = 11\n']);
      // Load again while running, on top.
      sup.load(defineModule({ name: 'again', syscalls: { getpmsg: () => 33 } }));
      expect(await start()).toBe('181 = 33\n');
      await expect(sup.unload('nope')).rejects.toThrow(/module "nope" is not loaded \(loaded: base, again\)/);
      await sup.close();
    });
  });
});

describe('observe(): the kernel runs the call, the handler sees and may change its result', () => {
  const env = { ...process.env, LC_ALL: 'C' };

  it('a real call: the handler sees its result and may replace it', async () => {
    const seen: string[] = [];
    const mod = defineModule({
      name: 'observer',
      syscalls: {
        openat: {
          timeout: null,
          handler: async (c) => {
            const path = c.readCString(c.args[1]);
            const o = await c.observe();
            seen.push(`${path}:${o.type === 'error' ? o.code : 'ok'}`);
            return o.type === 'error' && path === '/nonexistent' ? new SyscallError('EACCES') : o;
          },
        },
      },
    });
    const r = await run(['cat', '/nonexistent', '/etc/hostname'], { modules: [mod], env });
    expect(r.stderr).toBe('cat: /nonexistent: Permission denied\n');
    expect(r.stdout.length).toBeGreaterThan(0);
    expect(seen).toContain('/nonexistent:ENOENT');
    expect(seen).toContain('/etc/hostname:ok');
  });

  it('once per call, and only for real calls: a second observe() and one on a stub slot throw, failing the call with EIO', async () => {
    const errors: string[] = [];
    const mod = defineModule({
      name: 'twice',
      syscalls: {
        getppid: async (c) => {
          await c.observe();
          return c.observe();
        },
        getpmsg: (c) => c.observe(),
      },
    });
    const sup = new Supervisor({ modules: [mod] });
    sup.on('handlerError', (r: HandlerReport) => errors.push(`${r.syscall}: ${r.message}`));
    try {
      const child = sup.spawn(fixture('loop'), ['1', '1'], { stdio: 'pipe' });
      let out = '';
      child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
      const r = await child.closed;
      expect(r.exitCode).toBe(0);
      // Both failed (EIO): getppid did not count as ok, getpmsg returned -1.
      expect(out).toBe('getppid ok=0 getpmsg last=-1\n');
    } finally {
      await sup.close();
    }
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/^getppid: .*observe\(\): getppid .*observed already/);
    expect(errors[1]).toMatch(/^getpmsg: .*observe\(\): getpmsg is not a real call/);
  });
});
