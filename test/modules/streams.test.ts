// The `streams` module end to end. Handlers in-process first (this process's own
// FIFOs, a fake tracee memory), then the C fixtures, each its own oracle: run
// natively (ENOSYS), under sysstub without the module (the same bytes), and with
// it (every check ok; the demo's priority order).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyscallError, type Call, type Handler, type Module, type SyscallArgs } from '../../lib/module.js';
import { MORECTL, MSG_ANY, MSG_BAND, MSG_HIPRI, streams } from '../../lib/modules/streams.js';
import { fixture, ROUTES, runCli, runNative, runSupervised } from '../helpers.js';

// ---- handlers in-process -------------------------------------------------

/** A sparse fake address space: EFAULT outside allocated blocks, like a tracee's. */
class FakeMemory {
  readonly #blocks: { addr: bigint; buf: Buffer }[] = [];
  #next = 0x10000n;

  alloc(content: number | Buffer): bigint {
    const buf = typeof content === 'number' ? Buffer.alloc(content) : Buffer.from(content);
    const addr = this.#next;
    this.#blocks.push({ addr, buf });
    this.#next += BigInt(buf.length) + 0x1000n; // gaps between blocks are unmapped
    return addr;
  }

  #find(addr: bigint | number, len: number): { buf: Buffer; off: number } {
    const a = BigInt(addr);
    const b = this.#blocks.find((x) => a >= x.addr && a + BigInt(len) <= x.addr + BigInt(x.buf.length));
    if (b === undefined) throw new SyscallError('EFAULT');
    return { buf: b.buf, off: Number(a - b.addr) };
  }

  read(addr: bigint | number, len: number): Buffer {
    const { buf, off } = this.#find(addr, len);
    return Buffer.from(buf.subarray(off, off + len));
  }

  write(addr: bigint | number, bytes: Uint8Array): void {
    const { buf, off } = this.#find(addr, bytes.length);
    buf.set(bytes, off);
  }

  /** struct strbuf { int maxlen; int len; char *buf; } */
  strbuf(maxlen: number, len: number, buf: bigint): bigint {
    const b = Buffer.alloc(16);
    b.writeInt32LE(maxlen, 0);
    b.writeInt32LE(len, 4);
    b.writeBigUInt64LE(buf, 8);
    return this.alloc(b);
  }

  int(addr: bigint): number {
    return this.read(addr, 4).readInt32LE(0);
  }
}

function fakeCall(name: string, args: (bigint | number)[], mem: FakeMemory, signal = new AbortController().signal): Call {
  const raw = [...args, 0, 0, 0, 0, 0, 0].slice(0, 6).map((a) => BigInt.asUintN(64, BigInt(a))) as unknown as SyscallArgs;
  return {
    nr: name === 'getpmsg' ? 181 : 182,
    name,
    pid: process.pid,
    tid: process.pid, // the thread group's fd table is what /proc/PID/task/PID/fd shows
    args: raw,
    signal,
    int: (i) => Number(BigInt.asIntN(32, raw[i]!)),
    uint: (i) => Number(BigInt.asUintN(32, raw[i]!)),
    long: (i) => BigInt.asIntN(64, raw[i]!),
    ptr: (i) => raw[i]!,
    read: (a, n) => mem.read(a, n),
    write: (a, b) => mem.write(a, b),
    readCString: () => {
      throw new Error('not used');
    },
    onAbandoned: () => {},
    observe: () => Promise.reject(new Error('not used')),
    next: () => Promise.reject(new Error('not used')),
  };
}

function handlerOf(mod: Module, name: string): Handler {
  const h = (mod.syscalls as Record<string, Module['syscalls'][number] | undefined>)[name];
  if (h === undefined) throw new Error(`no ${name} handler`);
  if (typeof h === 'function') return h;
  if ('handler' in h) return h.handler;
  throw new Error(`${name} is a constant answer`);
}

/** A call's result: the number returned, or the errno code (handlers may throw synchronously). */
async function settle(call: () => unknown): Promise<number | string> {
  try {
    const r = await call();
    if (r instanceof SyscallError) return r.code;
    return Number(r);
  } catch (e) {
    if (e instanceof SyscallError) return e.code;
    throw e;
  }
}

/** Drives one module instance's handlers like a tracee would. */
class Caller {
  readonly mem = new FakeMemory();
  constructor(readonly mod: Module) {}

  put(fd: number, ctl: string | null, data: string | null, band = 0, flags = MSG_BAND): Promise<number | string> {
    const sb = (s: string | null): bigint => (s === null ? 0n : this.mem.strbuf(0, s.length, s.length ? this.mem.alloc(Buffer.from(s)) : 0n));
    const args = [fd, sb(ctl), sb(data), band, flags];
    return settle(() => handlerOf(this.mod, 'putpmsg')(fakeCall('putpmsg', args, this.mem)));
  }

  /** getpmsg; the result as text like the C fixture prints it. */
  async get(fd: number, opts: { cmax?: number; dmax?: number; band?: number; flags?: number; signal?: AbortSignal } = {}): Promise<string> {
    const { cmax = 64, dmax = 64, band = 0, flags = MSG_ANY } = opts;
    const cbuf = this.mem.alloc(Math.max(cmax, 1));
    const dbuf = this.mem.alloc(Math.max(dmax, 1));
    const ctlp = this.mem.strbuf(cmax, 12345, cbuf);
    const datap = this.mem.strbuf(dmax, 12345, dbuf);
    const bandp = this.mem.alloc(Buffer.from(new Int32Array([band]).buffer));
    const flagsp = this.mem.alloc(Buffer.from(new Int32Array([flags]).buffer));
    const r = await settle(() => handlerOf(this.mod, 'getpmsg')(fakeCall('getpmsg', [fd, ctlp, datap, bandp, flagsp], this.mem, opts.signal)));
    if (typeof r === 'string') return r;
    const part = (sb: bigint, buf: bigint): string => {
      const len = this.mem.int(sb + 4n);
      return len < 0 ? '-' : JSON.stringify(this.mem.read(buf, len).toString());
    };
    const f = this.mem.int(flagsp);
    const cls = f === MSG_HIPRI ? 'hipri' : f === MSG_BAND ? `band ${this.mem.int(bandp)}` : `flags ${f}`;
    const more = `${r & MORECTL ? ' MORECTL' : ''}${r & 2 ? ' MOREDATA' : ''}`;
    return `${cls} ctl ${part(ctlp, cbuf)} data ${part(datap, dbuf)}${more}`;
  }
}

describe('streams handlers, in-process', () => {
  let dir: string;
  let fifo: string;
  let rw: number; // O_RDWR | O_NONBLOCK
  let rwBlocking: number;
  let wronly: number;
  let regular: number;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sysstub-streams-'));
    fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const { O_RDWR, O_NONBLOCK, O_WRONLY } = fs.constants;
    rw = fs.openSync(fifo, O_RDWR | O_NONBLOCK);
    rwBlocking = fs.openSync(fifo, O_RDWR);
    wronly = fs.openSync(fifo, O_WRONLY | O_NONBLOCK);
    regular = fs.openSync(path.join(dir, 'file'), 'w+');
  });

  afterAll(() => {
    for (const fd of [rw, rwBlocking, wronly, regular]) fs.closeSync(fd);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('round-trips a message through a FIFO, every open sharing one queue', async () => {
    const c = new Caller(streams());
    expect(await c.put(wronly, 'ctl', 'data', 3)).toBe(0);
    expect(await c.get(rw)).toBe('band 3 ctl "ctl" data "data"');
    expect(await c.get(rw)).toBe('EAGAIN');
  });

  it('orders, truncates and filters like the queue', async () => {
    const c = new Caller(streams());
    await c.put(rw, null, 'low', 1);
    await c.put(rw, 'H', 'x', 0, MSG_HIPRI);
    await c.put(rw, 'CONTROL', 'y', 5);
    expect(await c.get(rw, { flags: MSG_BAND, band: 2 })).toBe('hipri ctl "H" data "x"');
    expect(await c.get(rw, { cmax: 3 })).toBe('band 5 ctl "CON" data "y" MORECTL');
    expect(await c.get(rw, { flags: MSG_HIPRI })).toBe('EAGAIN');
    expect(await c.get(rw)).toBe('band 5 ctl "TROL" data -');
    expect(await c.get(rw, { flags: MSG_BAND, band: 2 })).toBe('EAGAIN');
    expect(await c.get(rw)).toBe('band 1 ctl - data "low"');
  });

  it('gives each module instance its own queues', async () => {
    const a = new Caller(streams());
    const b = new Caller(streams());
    await a.put(rw, null, 'for a');
    expect(await b.get(rw)).toBe('EAGAIN');
    expect(await a.get(rw)).toBe('band 0 ctl - data "for a"');
  });

  it('fails EBADF, ENOSTR and EINVAL', async () => {
    const c = new Caller(streams());
    expect(await c.put(-1, null, 'x')).toBe('EBADF');
    expect(await c.put(1_000_000, null, 'x')).toBe('EBADF');
    expect(await c.get(wronly)).toBe('EBADF'); // not open for reading
    expect(await c.put(regular, null, 'x')).toBe('ENOSTR');
    expect(await c.get(regular)).toBe('ENOSTR');
    expect(await c.put(rw, null, 'x', 0, MSG_HIPRI)).toBe('EINVAL');
    expect(await c.put(rw, 'c', 'x', 256)).toBe('EINVAL');
    expect(await c.get(rw, { flags: MSG_ANY, band: 1 })).toBe('EINVAL');
  });

  it('fails EFAULT on a bad address and keeps the message', async () => {
    const c = new Caller(streams());
    const bad = 0x8n;
    expect(await settle(() => handlerOf(c.mod, 'putpmsg')(fakeCall('putpmsg', [rw, bad, 0, 0, MSG_BAND], c.mem)))).toBe('EFAULT');
    await c.put(rw, null, 'keep');
    const datap = c.mem.strbuf(64, 0, bad);
    const bandp = c.mem.alloc(4);
    const flagsp = c.mem.alloc(Buffer.from(new Int32Array([MSG_ANY]).buffer));
    expect(await settle(() => handlerOf(c.mod, 'getpmsg')(fakeCall('getpmsg', [rw, 0, datap, bandp, flagsp], c.mem)))).toBe('EFAULT');
    expect(await c.get(rw)).toBe('band 0 ctl - data "keep"');
  });

  it('blocks on an empty queue until a put, and gives up with EINTR when the thread dies', async () => {
    const c = new Caller(streams());
    const waiting = c.get(rwBlocking, { flags: MSG_BAND, band: 4 });
    await new Promise((r) => setTimeout(r, 20));
    await c.put(rw, null, 'too low', 1);
    await c.put(rw, null, 'wake', 4);
    expect(await waiting).toBe('band 4 ctl - data "wake"');
    expect(await c.get(rw)).toBe('band 1 ctl - data "too low"');

    const ac = new AbortController();
    const dead = c.get(rwBlocking, { signal: ac.signal });
    ac.abort(new Error('thread exited'));
    expect(await dead).toBe('EINTR');
  });

  it('two getpmsg waiting on one stream both get a message (regression: the second waited for ever)', async () => {
    // One put wakes both waiters; the one that takes the message used to drop
    // the (empty, unwaited) queue while the other was woken but not waiting
    // again, so the next put went to a new queue it never looked at.
    const c = new Caller(streams());
    const first = c.get(rwBlocking, { flags: MSG_BAND });
    const second = c.get(rwBlocking, { flags: MSG_BAND });
    await new Promise((r) => setTimeout(r, 20));
    await c.put(rw, null, 'a');
    await c.put(rw, null, 'b');
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(new Error('stuck')), 5000);
    const got = await Promise.race([Promise.all([first, second]), new Promise<string>((r) => ac.signal.addEventListener('abort', () => r('stuck')))]);
    clearTimeout(timer);
    expect(got).toEqual(['band 0 ctl - data "a"', 'band 0 ctl - data "b"']);
  });

  it('declares getpmsg without a handler timeout: it may block for ever', () => {
    const spec = streams().syscalls.getpmsg;
    expect(typeof spec === 'object' && 'timeout' in spec && spec.timeout).toBe(null);
  });
});

// ---- the C fixtures, native and supervised --------------------------------

const E2E_TIMEOUT = 60_000;
const STUBS = ['getpmsg', 'putpmsg'];

describe.each(ROUTES)('%s route', (route) => {
  describe('streams_rules fixture', () => {
    it('natively: Linux answers ENOSYS, the fixture says so and exits 1', async () => {
      const r = await runNative(fixture('streams_rules'));
      expect(r.stdout).toContain('not ok 1 - putpmsg is implemented (fd -1): -1 ENOSYS');
      expect(r.stdout).toContain('Bail out! getpmsg/putpmsg: ENOSYS');
      expect(r.exitCode).toBe(1);
    });

    it('supervised without the module: the stub slots answer ENOSYS, byte for byte as natively', async () => {
      const native = await runNative(fixture('streams_rules'));
      const sup = await runSupervised(fixture('streams_rules'), [], { modules: [], stubs: STUBS, supervisor: { route } });
      expect(sup).toEqual(native);
    }, E2E_TIMEOUT);

    it('supervised with streams(): every check ok, exit 0', async () => {
      const r = await runSupervised(fixture('streams_rules'), [], { modules: [streams()], timeoutMs: E2E_TIMEOUT - 5_000, supervisor: { route } });
      const lines = r.stdout.trimEnd().split('\n');
      const checks = lines.filter((l) => /^(not )?ok \d+ - /.test(l));
      expect(lines.filter((l) => !l.startsWith('ok ') && !/^1\.\.\d+$/.test(l))).toEqual([]);
      expect(checks.length).toBeGreaterThan(80);
      expect(lines.at(-1)).toBe(`1..${checks.length}`);
      expect(r.stdout).toContain('ok 6 - order: high priority first, bands high to low, FIFO in each: H:h H:i 5:b 5:d 2:c 0:a EAGAIN');
      expect(r.stderr).toBe('');
      expect(r.exitCode).toBe(0);
    }, E2E_TIMEOUT);
  });

  describe('streams_demo fixture', () => {
    /** The classes of the messages the parent received, in order. */
    function received(stdout: string): string[] {
      const after = stdout.split('The parent receives')[1] ?? '';
      return [...after.matchAll(/^\s+\d\. (high priority|band \d+)/gm)].map((m) => m[1]!);
    }

    it('natively: explains ENOSYS and how to run it, exit 1', async () => {
      const r = await runNative(fixture('streams_demo'));
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('getpmsg/putpmsg are not implemented here (ENOSYS');
      expect(r.stderr).toContain('sysstub run -m streams');
      expect(r.exitCode).toBe(1);
    });

    it('supervised without the module: the same ENOSYS message', async () => {
      const native = await runNative(fixture('streams_demo'));
      expect(await runSupervised(fixture('streams_demo'), [], { modules: [], stubs: STUBS, supervisor: { route } })).toEqual(native);
    }, E2E_TIMEOUT);

    it('supervised with streams(): high priority first, then bands 5, 2, 0', async () => {
      const r = await runSupervised(fixture('streams_demo'), [], { modules: [streams()], supervisor: { route } });
      expect(r.stderr).toBe('');
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toMatch(/The child sends, in this order:\n {2}1\. band 0 .*\n {2}2\. band 5 .*\n {2}3\. band 2 .*\n {2}4\. high priority/);
      expect(received(r.stdout)).toEqual(['high priority', 'band 5', 'band 2', 'band 0']);
      expect(r.stdout).toContain('1. high priority  [ALARM] "power lost, on battery"');
    }, E2E_TIMEOUT);

    it('through the CLI, as `npm start` runs it: the same output', async () => {
      const lib = await runSupervised(fixture('streams_demo'), [], { modules: [streams()], supervisor: { route } });
      const cli = await runCli(['run', ...(route === 'ptrace' ? ['--route', 'ptrace'] : []), '-m', 'streams', '--', fixture('streams_demo')]);
      expect(cli).toEqual(lib);
    }, E2E_TIMEOUT);
  });
});
