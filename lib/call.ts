// One trapped call on its way down a slot's module chain: the Call object each
// handler sees, result normalisation, per-handler timeouts and reports.
// Every path ends in exactly one Outcome: a crashing, lying or hanging handler
// fails its call with a defined errno instead of leaving the tracee stopped.
import os from 'node:os';
import { errnoName, errnoNumber } from './errno.js';
import { whenMatches } from './faults/expr.js';
import { native } from './native.js';
import { setLongTimeout } from './timers.js';
import { SyscallError, type Call, type HandlerResult, type Outcome, type SyscallArgs } from './module.js';
import { EMPTY_STUB_ERRNO, type HandlerEntry, type SlotBottom } from './stub-table.js';
import type { StubReportCounter } from './stub-report.js';
import { syscallName } from './syscalls/index.js';

/** errno of a call whose handler threw something that is not a SyscallError, or returned an invalid result. */
export const HANDLER_FAULT_ERRNO = os.constants.errno.EIO;
/** errno of a call whose handler did not answer within its timeout. */
export const HANDLER_TIMEOUT_ERRNO = os.constants.errno.ETIMEDOUT;

export type HandlerFault = 'threw' | 'invalid-result' | 'timeout';

/** A handler failure, reported on the supervisor's 'handlerError' event. */
export interface HandlerReport {
  module: string;
  syscall: string;
  nr: number;
  pid: number;
  tid: number;
  fault: HandlerFault;
  /** What the handler threw or returned, or the timeout in ms. */
  detail: unknown;
  /** errno the call failed with. */
  errno: number;
  message: string;
}

/**
 * Abandonment of one call (thread death, signal, shutdown). The AbortSignal
 * handlers see is only created if a handler asks for it: most never do, and
 * an AbortController per call is measurable on the fast path.
 */
export class CallAbort {
  aborted = false;
  private ctl: AbortController | undefined;
  get signal(): AbortSignal {
    if (!this.ctl) {
      this.ctl = new AbortController();
      if (this.aborted) this.ctl.abort(this.reason);
    }
    return this.ctl.signal;
  }
  private reason: unknown;
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.ctl?.abort(reason);
  }
}

/**
 * What a route provides for one trapped call (routes/ptrace.ts and
 * routes/notif.ts each implement it once): the only route-specific parts of
 * running a call's handlers.
 */
export interface RouteCall {
  /** The call's arguments, read on first use. */
  args(): SyscallArgs;
  /**
   * False once the call is gone: the notif route asks NOTIF_ID_VALID
   * (seccomp_unotify(2)) around memory access, as the tid may have died and
   * been reused; a thread in a ptrace stop cannot vanish unnoticed.
   */
  valid(): boolean;
  /** Run the call in the kernel now and resolve to its result: ptrace route only (observe()). */
  runKernel?(args: SyscallArgs): Promise<Outcome>;
}

/** The context a chain of handlers runs in: the call, its route, its abandonment, its undos. */
export class CallSite {
  readonly name: string;
  private undos: (() => void)[] | undefined;
  private settled = false;
  private kernelRun = false;
  /** Outcomes carry who produced them: traced and reported slots (answeredBy). */
  readonly namesProducers: boolean;

  constructor(
    readonly nr: number,
    readonly pid: number,
    readonly tid: number,
    readonly route: RouteCall,
    readonly abort: CallAbort,
    readonly bottom: SlotBottom,
    readonly defaultTimeout: number | null,
    readonly report: (r: HandlerReport) => void,
    /** A traced slot: its record says who answered. */
    traced = false,
    /** A slot of the stub report: each answered call is counted there. */
    private readonly counter?: StubReportCounter,
  ) {
    this.name = syscallName(nr);
    this.namesProducers = traced || counter !== undefined;
  }

  /** Answered or abandoned: its memory is no longer the handler's. */
  get over(): boolean {
    return this.settled || this.abort.aborted;
  }

  onAbandoned(undo: () => void): void {
    (this.undos ??= []).push(undo);
  }

  get hasUndos(): boolean {
    return this.undos !== undefined && this.undos.length > 0;
  }

  /**
   * The chain produced its outcome: true when the route should deliver it,
   * false (and the undos run) when the call was abandoned meanwhile. A
   * delivered call of a reported slot is counted now, while its thread still
   * waits for the answer; an abandoned one is not (the kernel's restart of it is).
   */
  settle(o: Outcome): boolean {
    this.settled = true;
    if (!this.abort.aborted) {
      this.counter?.answered(this.nr, this.tid, this.route.args(), o, answeredBy(o));
      return true;
    }
    this.runUndos();
    return false;
  }

  /** Run the undos after an answer could not be delivered; a throwing undo is reported, not fatal. */
  runUndos(): void {
    for (const fn of this.undos?.splice(0) ?? []) {
      try {
        fn();
      } catch (err) {
        process.stderr.write(`sysstub: an onAbandoned() undo for ${this.name} (tid ${this.tid}) threw: ${(err as Error)?.stack ?? err}\n`);
      }
    }
  }

  /** observe(): the route's runKernel, once per call, for real calls only. */
  runKernel(args: SyscallArgs): Promise<Outcome> | undefined {
    if (!this.route.runKernel || this.bottom !== 'kernel' || this.kernelRun) return undefined;
    this.kernelRun = true;
    return this.route.runKernel(args);
  }
}

const U64 = (1n << 64n) - 1n;

/**
 * The buffer a read fills. Up to a page comes out of a shared 16 KiB slab,
 * as Buffer.allocUnsafe serves smaller sizes out of Node's 8 KiB pool: a
 * buffer of its own (an ArrayBuffer and its backing store, which the GC then
 * tracks) costs ~2 us at 4 KiB here, more than process_vm_readv of that page
 * (bench "memory"). A result kept keeps its slab alive, at most 16 KiB.
 */
const SLAB = 16 * 1024;
let slab = Buffer.allocUnsafeSlow(0);
let slabUsed = 0;
function readBuffer(len: number): Buffer {
  if (len > 4096) return Buffer.allocUnsafeSlow(len);
  if (slabUsed + len > slab.length) {
    slab = Buffer.allocUnsafeSlow(SLAB);
    slabUsed = 0;
  }
  const b = slab.subarray(slabUsed, slabUsed + len);
  slabUsed = (slabUsed + len + 7) & ~7; // 8-aligned, as Node's pool, so typed views of it can be made
  return b;
}

function toBig(v: bigint | number, what: string): bigint {
  if (typeof v === 'bigint' && v >= -(1n << 63n) && v <= U64) return BigInt.asUintN(64, v);
  if (Number.isSafeInteger(v)) return BigInt.asUintN(64, BigInt(v));
  throw new TypeError(`${what} must be an integer that fits in 64 bits (number or bigint), got ${typeof v === 'bigint' ? `${v}n` : String(v)}`);
}

/**
 * What a failed tracee-memory access throws: the kernel's errno as a
 * SyscallError (EFAULT, ESRCH...); anything else (a TypeError from the
 * binding: a bad argument) is the handler's own bug and stays as it is.
 */
function memError(err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  const errno = typeof code === 'string' ? errnoNumber(code) : undefined;
  return errno === undefined ? err : new SyscallError(errno);
}

/** Turn whatever a handler produced into an Outcome, or explain why it is not one. */
export function normalize(r: unknown): Outcome | string {
  if (r instanceof SyscallError) return { type: 'error', errno: r.errno, code: r.code };
  if (typeof r === 'bigint') {
    if (r < -(1n << 63n) || r > U64) return `bigint ${r} does not fit in 64 bits`;
    return { type: 'return', value: BigInt.asUintN(64, r) };
  }
  if (typeof r === 'number') {
    if (!Number.isSafeInteger(r)) return `number ${r} is not a safe integer`;
    return { type: 'return', value: BigInt.asUintN(64, BigInt(r)) };
  }
  if (r && typeof r === 'object' && 'type' in r) {
    const o = r as Outcome;
    if (o.type === 'return' && typeof o.value === 'bigint') return o;
    if (o.type === 'error' && Number.isInteger(o.errno) && o.errno > 0 && o.errno < 4096) return o;
    if (o.type === 'kernel' && Array.isArray(o.args) && o.args.length === 6) return o;
  }
  const shown = typeof r === 'object' && r !== null ? safeText(() => Object.prototype.toString.call(r)) : safeText(() => String(r));
  return `returned ${shown}; a handler returns a number, a bigint, a SyscallError or call.next()'s outcome`;
}

/** Text for a value a handler threw or returned: its own getters and toString may throw too. */
export function safeText(show: () => string): string {
  try {
    return show();
  } catch {
    return 'a value that cannot be printed (its message or toString threw)';
  }
}

function failure(errno: number): Outcome {
  return { type: 'error', errno, code: errnoName(errno) ?? `E${errno}` };
}

/**
 * Who produced each outcome a chain passes up, for calls of traced and
 * reported slots (the only ones that say it: SyscallRecord.handledBy,
 * StubReportRow.answeredBy; no work on the others' hot path): a module's
 * name, or null for the kernel (observe(), the bottom of a real call) and the
 * empty stub. A handler that returns what next() or observe() gave passes
 * its producer on.
 */
const producers = new WeakMap<Outcome, string | null>();

/** The module whose answer an outcome is (SyscallRecord.handledBy), or null. */
export function answeredBy(o: Outcome): string | null {
  return producers.get(o) ?? null;
}

function by(site: CallSite, o: Outcome, producer: string | null): Outcome {
  if (site.namesProducers) producers.set(o, producer);
  return o;
}

class TracedCall implements Call {
  readonly nr: number;
  readonly name: string;
  readonly pid: number;
  readonly tid: number;

  constructor(
    private readonly site: CallSite,
    private ownArgs: SyscallArgs | null,
    private readonly chain: readonly HandlerEntry[],
    private readonly level: number,
  ) {
    this.nr = site.nr;
    this.name = site.name;
    this.pid = site.pid;
    this.tid = site.tid;
  }

  get signal(): AbortSignal {
    return this.site.abort.signal;
  }

  get args(): SyscallArgs {
    return (this.ownArgs ??= this.site.route.args());
  }

  int(i: number): number {
    return Number(BigInt.asIntN(32, this.args[i]));
  }
  uint(i: number): number {
    return Number(BigInt.asUintN(32, this.args[i]));
  }
  long(i: number): bigint {
    return BigInt.asIntN(64, this.args[i]);
  }
  ptr(i: number): bigint {
    return this.args[i];
  }

  /** A late handler (after its timeout, or its thread's death) must not touch what is now someone else's. */
  private live(): void {
    if (this.site.over) throw new SyscallError('ESRCH', 'the call was already answered or abandoned');
  }

  read(addr: bigint | number, len: number): Buffer {
    if (!Number.isInteger(len) || len < 0) throw new RangeError(`read: len must be a non-negative integer, got ${len}`);
    this.live();
    const at = toBig(addr, 'read: addr');
    const buf = readBuffer(len);
    try {
      native().readMemoryInto(this.tid, at, buf);
    } catch (err) {
      throw memError(err);
    }
    // The tid may have died and been reused between the notification and the read.
    if (!this.site.route.valid()) throw new SyscallError('ESRCH', 'the call is gone');
    return buf;
  }

  write(addr: bigint | number, bytes: Uint8Array): void {
    this.live();
    if (!this.site.route.valid()) throw new SyscallError('ESRCH', 'the call is gone');
    const at = toBig(addr, 'write: addr');
    try {
      native().writeMemory(this.tid, at, bytes);
    } catch (err) {
      throw memError(err);
    }
  }

  readCString(addr: bigint | number, max = 4096): string {
    this.live();
    if (!Number.isSafeInteger(max) || max < 0) throw new RangeError(`readCString: max must be a whole number of bytes >= 0, got ${String(max)}`);
    const at = toBig(addr, 'readCString: addr');
    let s: string;
    try {
      s = native().readCString(this.tid, at, max).toString('utf8');
    } catch (err) {
      throw memError(err);
    }
    if (!this.site.route.valid()) throw new SyscallError('ESRCH', 'the call is gone');
    return s;
  }

  onAbandoned(undo: () => void): void {
    if (typeof undo !== 'function') throw new TypeError('onAbandoned: undo must be a function');
    this.site.onAbandoned(undo);
  }

  observe(args?: Partial<Record<0 | 1 | 2 | 3 | 4 | 5, bigint | number>>): Promise<Outcome> {
    this.live();
    const run = this.site.runKernel(this.merged('observe', args));
    if (!run) throw new Error(`observe(): ${this.name} is not a real call on the ptrace route (route: 'ptrace', or a real syscall), or was observed already`);
    return run.then((o) => by(this.site, o, null));
  }

  /** The call's arguments with those in `args` replaced (for next() and observe()). */
  private merged(method: string, args?: Partial<Record<0 | 1 | 2 | 3 | 4 | 5, bigint | number>>): SyscallArgs {
    if (!args) return this.args;
    const a = [...this.args] as bigint[];
    for (const [k, v] of Object.entries(args)) {
      const i = Number(k);
      if (!(i >= 0 && i < 6) || v === undefined) throw new RangeError(`${method}: argument index ${k} must be 0..5`);
      a[i] = toBig(v, `${method}: argument ${i}`);
    }
    return a as unknown as SyscallArgs;
  }

  next(args?: Partial<Record<0 | 1 | 2 | 3 | 4 | 5, bigint | number>>): Promise<Outcome> {
    const o = runLevel(this.site, this.chain, this.level + 1, this.merged('next', args));
    return o instanceof Promise ? o : Promise.resolve(o);
  }
}

/**
 * Run the chain from `level` down: the handler there, or the slot's bottom.
 * `args` null means the call's own arguments (site.route.args(), on demand).
 * Synchronous when the handler is (the common case: no promise, no microtask
 * between the call and its answer); a promise otherwise. Never throws or rejects.
 */
export function runLevel(site: CallSite, chain: readonly HandlerEntry[], level: number, args: SyscallArgs | null): Outcome | Promise<Outcome> {
  if (level >= chain.length) {
    return by(site, site.bottom === 'kernel' ? { type: 'kernel', args: args ?? site.route.args() } : failure(EMPTY_STUB_ERRNO), null);
  }
  const entry = chain[level];
  if (entry.constant) {
    by(site, entry.constant, entry.module.name);
    if (!entry.when) return entry.constant;
    // A counted constant below a JS handler: counted here, per thread.
    const n = (entry.counts!.get(site.tid) ?? 0) + 1;
    entry.counts!.set(site.tid, n);
    return whenMatches(entry.when, n) ? entry.constant : runLevel(site, chain, level + 1, args);
  }
  const call = new TracedCall(site, args, chain, level);
  const fault = (kind: HandlerFault, detail: unknown, errno: number, what: string): Outcome => {
    // A call abandoned by its thread (death, signal) is nobody's fault.
    if (site.abort.aborted) return by(site, failure(errno), null);
    site.report({
      module: entry.module.name, syscall: site.name, nr: site.nr, pid: site.pid, tid: site.tid,
      fault: kind, detail, errno,
      message: `module "${entry.module.name}": ${site.name} handler ${what} (pid ${site.pid}, tid ${site.tid}); the call failed with ${errnoName(errno)}`,
    });
    return by(site, failure(errno), entry.module.name);
  };
  const settle = (r: unknown): Outcome => {
    const o = normalize(r);
    if (typeof o === 'string') return fault('invalid-result', r, HANDLER_FAULT_ERRNO, o);
    // What next() or observe() returned, passed on: its producer stays.
    return o === r && producers.has(o) ? o : by(site, o, entry.module.name);
  };
  const crash = (err: unknown): Outcome => {
    if (err instanceof SyscallError) return by(site, { type: 'error', errno: err.errno, code: err.code }, entry.module.name);
    const text = safeText(() => (err instanceof Error ? `${err.name}: ${err.message}` : String(err)));
    return fault('threw', err, HANDLER_FAULT_ERRNO, `threw ${text}`);
  };

  let result: HandlerResult | Promise<HandlerResult>;
  try {
    result = entry.handler(call);
  } catch (err) {
    return crash(err);
  }
  if (!(result instanceof Promise)) return settle(result);

  const timeout = entry.timeout === undefined ? site.defaultTimeout : entry.timeout;
  const answered = result.then(settle, crash);
  if (timeout === null || !Number.isFinite(timeout)) return answered;
  return new Promise<Outcome>((resolve) => {
    let done = false;
    // unref: a live tracee keeps Node running; a hung handler alone must not.
    const timer = setLongTimeout(() => {
      if (done) return;
      done = true;
      resolve(fault('timeout', timeout, HANDLER_TIMEOUT_ERRNO, `did not answer within ${timeout} ms`));
    }, timeout, { unref: true });
    answered.then((o) => {
      if (done) return;
      done = true;
      timer.clear();
      resolve(o);
    });
  });
}
