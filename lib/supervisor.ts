// The Supervisor: owns one tracer thread (native), one stub table, and the
// processes it spawned. Calls trapped in any of them are dispatched here, on
// Node's main thread, through the module chain of their slot.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { CallAbort, runLevel, runUndos, type CallSite, type HandlerReport } from './call.js';
import { errnoName, strerror } from './errno.js';
import { type Module, type ModuleDefinition, type Outcome, type SyscallArgs } from './module.js';
import { interruptingSignals, lowestSignal, readSignalState, stopsGroup } from './pending-signals.js';
import { native, SlotDisposition, type NativeEvent, type NativeNotifListener, type NativeSlotTable, type NativeTracer, type TracerStats } from './native.js';
import { StubTable } from './stub-table.js';
import { syscallByNr } from './syscalls/index.js';
import { parseSyscallSet } from './faults/expr.js';
import { captureTuple, toSyscallEvent, type CaptureSpec } from './trace/events.js';

/**
 * What one of the program's fds is: 'pipe' (0-2 only: a stream on the child
 * object), 'inherit' (this process's fd of the same number), 'ignore'
 * (/dev/null), a number (this process's fd of that number), or 'closed'
 * (closed for the program; also null/undefined at index 3 and above).
 */
export type StdioOption = 'pipe' | 'inherit' | 'ignore' | 'closed' | number;

/** Bytes or text: argv, env entries and paths are passed to the program byte for byte. */
export type Bytes = string | Uint8Array;

export interface SpawnOptions {
  /** The program's working directory (default: this process's). */
  cwd?: Bytes;
  /** The program's environment (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** The environment as raw `NAME=value` entries, byte for byte (instead of env). */
  rawEnv?: readonly Uint8Array[];
  /**
   * One value for 0-2, or [stdin, stdout, stderr, ...more]: entries from index 3
   * give the program more fds (like child_process's stdio array). Default 'inherit'.
   */
  stdio?: StdioOption | readonly (StdioOption | null | undefined)[];
  /** argv[0] as the program sees it (default: the file as given). */
  argv0?: Bytes;
  /**
   * The program's signal dispositions and mask at exec: signals it starts
   * with ignored (SIG_IGN) and blocked. Default: none, as after child_process.
   */
  signals?: { ignore?: readonly (NodeJS.Signals | number)[]; block?: readonly (NodeJS.Signals | number)[] };
}

export interface SupervisorOptions {
  /** Modules loaded before the first spawn (their slots are wired), bottom first. */
  modules?: readonly (Module | ModuleDefinition)[];
  /** Extra slots to wire: syscall names or numbers (unassigned numbers too). */
  stubs?: readonly (string | number)[];
  /** Default ms a handler may take before its call fails with ETIMEDOUT; null: no limit. Default 10000. */
  handlerTimeout?: number | null;
  /**
   * 'auto' (default): handler slots of stub and unassigned numbers use seccomp
   * user notification, answered on Node's event loop; real calls use ptrace.
   * 'ptrace': every slot through ptrace (kernels without user notification
   * fall back to it automatically).
   */
  route?: RouteOption;
  /**
   * Compile slots whose top answer at spawn is a constant errno ({ errno })
   * into the seccomp filter (SECCOMP_RET_ERRNO: no stop at all). Such slots
   * cannot take handlers later. Default false.
   */
  sealConstants?: boolean;
  /**
   * Trace these syscalls (a strace SET: 'openat,read', '%file', 'all', '!write',
   * or numbers): every call is reported as a 'syscall' event with its result.
   * `capture` says what tracee memory to copy for each (strings, buffers).
   */
  trace?: { syscalls: string | readonly number[]; capture?: (nr: number) => CaptureSpec[] };
}

export interface ExitResult {
  /** Exit code, or null when the process was killed by a signal. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The signal's number, or null. */
  signalNumber: number | null;
  coreDumped: boolean;
}

/** A Node-shaped system error, as child_process produces for `spawn ENOENT`. */
export class SpawnError extends Error {
  readonly errno: number;
  readonly code: string;
  readonly syscall: string;
  readonly path: string;
  readonly spawnargs: string[];
  constructor(errno: number, file: string, args: string[]) {
    const code = errnoName(errno) ?? `E${errno}`;
    super(`spawn ${file} ${code} (${strerror(errno)})`);
    this.name = 'SpawnError';
    this.errno = -errno;
    this.code = code;
    this.syscall = `spawn ${file}`;
    this.path = file;
    this.spawnargs = args;
  }
}

// First name wins: SIGABRT over SIGIOT, SIGIO over SIGPOLL.
const signalNames = new Map<number, NodeJS.Signals>();
for (const [name, n] of Object.entries(os.constants.signals)) {
  if (!signalNames.has(n)) signalNames.set(n, name as NodeJS.Signals);
}

function signalNumber(sig: NodeJS.Signals | number, what: string): number {
  const n = typeof sig === 'number' ? sig : os.constants.signals[sig];
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new TypeError(`spawn: ${what}: ${String(sig)} is not a signal (a name like 'SIGHUP' or a number 1..64)`);
  return n;
}

/** A signal set as a 64-bit mask, bit n-1 for signal n (as /proc/PID/status prints it). */
function sigmask(sigs: readonly (NodeJS.Signals | number)[] | undefined, what: string): bigint {
  let m = 0n;
  for (const s of sigs ?? []) m |= 1n << BigInt(signalNumber(s, what) - 1);
  return m;
}

/** What a Supervisor throws once closed: a Node-style error with a code. */
function closedError(op: string): Error {
  return Object.assign(new Error(`Supervisor: ${op}() after close()`), { code: 'ERR_SUPERVISOR_CLOSED' });
}

const text = (b: Bytes) => (typeof b === 'string' ? b : Buffer.from(b).toString());

/**
 * A process started by a Supervisor, traced with everything it starts.
 * Events: 'exit' (code, signal), 'error' (SpawnError), and with the
 * supervisor's trace option 'syscall' (SyscallEvent) for its whole tree, as
 * calls finish: child.on('syscall', e => ...), or as an async iterator with
 * node:events' on(child, 'syscall').
 */
export class SupervisedChild extends EventEmitter {
  readonly pid: number;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /** Resolves when the process has exited (rejects with SpawnError if it could not be executed). */
  readonly exited: Promise<ExitResult>;
  /** Resolves after `exited` once the stdout/stderr pipes (if any) have closed: all output is in. */
  readonly closed: Promise<ExitResult>;
  exitResult: ExitResult | null = null;
  /** How its handler slots are delivered: 'notif' or 'ptrace' ('pending' until the child reported). */
  route: 'notif' | 'ptrace' | 'pending' = 'pending';
  private settle!: (r: ExitResult) => void;
  private fail!: (e: SpawnError) => void;

  /** @internal */
  constructor(pid: number, stdio: [Writable | null, Readable | null, Readable | null],
    readonly spawnfile: string, readonly spawnargs: readonly string[]) {
    super();
    this.pid = pid;
    [this.stdin, this.stdout, this.stderr] = stdio;
    this.exited = new Promise<ExitResult>((resolve, reject) => {
      this.settle = resolve;
      this.fail = reject;
    });
    this.exited.catch(() => {}); // a spawn error is also emitted; don't make it an unhandled rejection twice
    const ends = [this.stdout, this.stderr].filter((s): s is Readable => s !== null)
      .map((s) => new Promise<void>((resolve) => {
        if (s.readableEnded || s.destroyed) return resolve();
        s.once('close', () => resolve());
      }));
    this.closed = this.exited.then(async (r) => {
      await Promise.all(ends);
      return r;
    });
    this.closed.catch(() => {});
  }

  /** Send a signal to the process (default SIGTERM). Returns false if it is gone. */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    if (this.exitResult) return false;
    try {
      process.kill(this.pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  /** @internal */
  _exit(code: number | null, signal: number, core: boolean): void {
    this.exitResult = {
      exitCode: code,
      signal: signal ? signalNames.get(signal) ?? null : null,
      signalNumber: signal || null,
      coreDumped: core,
    };
    this.settle(this.exitResult);
    // Nobody reads the program's stdin any more: our end goes (else one fd per spawn leaks).
    this.stdin?.destroy();
    this.emit('exit', this.exitResult.exitCode, this.exitResult.signal);
  }

  /** @internal */
  _spawnError(err: SpawnError): void {
    this.fail(err);
    for (const s of [this.stdin, this.stdout, this.stderr]) s?.destroy();
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }
}

interface InflightCall {
  ctl: CallAbort;
  /** notif route: the listener and notification id, for validity checks. */
  listener?: NativeNotifListener;
  id?: bigint;
  /** notif route: a signal for the thread group was pending at the last look (watchInFlight). */
  sharedSeen?: boolean;
}

/** Which route a spawned tree's handler slots take (see SlotRoute in stub-table.ts). */
export type RouteOption = 'auto' | 'ptrace';

export interface SupervisorStats extends TracerStats {
  /** Calls received on the user-notification route. */
  notifCalls: number;
  /** Of those, answered in C++ (constants, empty stubs) without entering JS. */
  notifNativeAnswers: number;
}

export class Supervisor extends EventEmitter {
  readonly table: StubTable;
  readonly handlerTimeout: number | null;
  readonly routeOption: RouteOption;
  readonly sealConstants: boolean;
  private tracer: NativeTracer | undefined;
  private readonly notifListeners = new Set<NativeNotifListener>();
  private readonly roots = new Map<number, SupervisedChild>();
  /** Every live traced process (thread group), roots included. */
  private readonly processes = new Set<number>();
  private readonly inflight = new Map<string, InflightCall>();
  /** ptrace route: handlers waiting in observe() for their call's exit stop, by `tid:seq`. */
  private readonly exitWaiters = new Map<string, (o: Outcome) => void>();
  /** notif route: the pending call of each thread (a thread has at most one). */
  private readonly notifByTid = new Map<number, InflightCall>();
  private readonly tgids = new Map<number, number>();
  /** Which spawned child's tree a process belongs to (for per-child 'syscall' events). */
  private readonly rootOf = new Map<number, number>();
  private inFlightTimer: NodeJS.Timeout | undefined;
  private refd: boolean | undefined;
  private closing = false;
  private filters: { trace: Uint32Array; notif?: Uint32Array } | undefined;

  constructor(opts: SupervisorOptions = {}) {
    super();
    const known = new Set(['modules', 'stubs', 'handlerTimeout', 'route', 'sealConstants', 'trace']);
    for (const k of Object.keys(opts)) {
      if (!known.has(k)) throw new TypeError(`Supervisor: unknown option "${k}" (valid: ${[...known].join(', ')})`);
    }
    const t = opts.handlerTimeout;
    if (t !== undefined && t !== null && !(typeof t === 'number' && t > 0)) {
      throw new TypeError(`Supervisor: handlerTimeout must be a positive number of ms or null, got ${String(t)}`);
    }
    if (opts.route !== undefined && opts.route !== 'auto' && opts.route !== 'ptrace') {
      throw new TypeError(`Supervisor: route must be 'auto' or 'ptrace', got ${JSON.stringify(opts.route)}`);
    }
    this.handlerTimeout = t === undefined ? 10_000 : t;
    this.routeOption = opts.route ?? 'auto';
    this.sealConstants = opts.sealConstants ?? false;
    this.table = new StubTable({ stubs: opts.stubs });
    this.table.onSlotChange = (nr) => this.pushRoute(nr);
    for (const m of opts.modules ?? []) this.table.load(m);
    if (opts.trace) {
      const nrs = typeof opts.trace.syscalls === 'string' ? parseSyscallSet(opts.trace.syscalls) : [...opts.trace.syscalls];
      for (const nr of nrs) {
        this.table.wire(nr);
        this.table.traced.add(nr);
      }
      this.captureOf = opts.trace.capture ?? (() => []);
    }
  }

  private captureOf: ((nr: number) => CaptureSpec[]) | undefined;
  private readonly captures = new Map<number, CaptureSpec[]>();

  /** Load a module on top of the slots it handles; works while tracees run. */
  load(mod: Module | ModuleDefinition): void {
    this.table.load(mod);
  }

  /** Unload a module: new calls no longer see it; resolves when its calls in flight have drained. */
  unload(name: string): Promise<void> {
    return this.table.unload(name);
  }

  /** Counters of the tracer thread (stops by kind) and the notification route; zeros before the first spawn. */
  stats(): SupervisorStats {
    const s = this.tracer?.stats();
    const out: SupervisorStats = {
      stops: 0, seccompStops: 0, handlerCalls: 0, nativeAnswers: 0, signalStops: 0, groupStops: 0,
      eventStops: 0, exits: 0, notifCalls: 0, notifNativeAnswers: 0, ...s,
    };
    out.notifCalls += this.releasedNotif.received;
    out.notifNativeAnswers += this.releasedNotif.nativeAnswers;
    for (const l of this.listenerOf.values()) {
      const n = l.stats();
      out.notifCalls += n.received;
      out.notifNativeAnswers += n.nativeAnswers;
    }
    return out;
  }

  /** Number of traced processes still alive (the spawned ones and everything they started). */
  get liveProcesses(): number {
    return this.processes.size;
  }

  /** The route a slot's calls take in children spawned from now on. */
  slotRoute(nr: number): 'notif' | 'ptrace' | 'filter' {
    return this.table.route(nr, { forcePtrace: this.routeOption === 'ptrace', sealConstants: this.sealConstants });
  }

  spawn(file: Bytes, args: readonly Bytes[] = [], opts: SpawnOptions = {}): SupervisedChild {
    if (this.closing) throw closedError('spawn');
    const isBytes = (v: unknown): v is Bytes => typeof v === 'string' || v instanceof Uint8Array;
    if (!isBytes(file) || file.length === 0) throw new TypeError('spawn: file must be a non-empty string or Uint8Array');
    if (!Array.isArray(args) || !args.every(isBytes)) throw new TypeError('spawn: args must be an array of strings or Uint8Arrays');
    const known = new Set(['cwd', 'env', 'rawEnv', 'stdio', 'argv0', 'signals']);
    for (const k of Object.keys(opts)) {
      if (!known.has(k)) throw new TypeError(`spawn: unknown option "${k}" (valid: ${[...known].join(', ')})`);
    }
    if (opts.env !== undefined && opts.rawEnv !== undefined) throw new TypeError('spawn: give env or rawEnv, not both');
    const envp: Bytes[] = opts.rawEnv
      ? [...opts.rawEnv]
      : Object.entries(opts.env ?? process.env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
    const stdioOpt = opts.stdio ?? 'inherit';
    const stdio: (StdioOption | null | undefined)[] = typeof stdioOpt === 'string' || typeof stdioOpt === 'number'
      ? [stdioOpt, stdioOpt, stdioOpt] : [...stdioOpt];
    if (stdio.length < 3) throw new TypeError('spawn: stdio must be one value or an array of at least three');
    const sigIgnored = sigmask(opts.signals?.ignore, 'signals.ignore');
    const sigMask = sigmask(opts.signals?.block, 'signals.block');
    const spawnargs = args.map(text);

    const tracer = this.ensureTracer();
    if (!this.filters) {
      this.filters = this.table.freeze({ forcePtrace: this.routeOption === 'ptrace', sealConstants: this.sealConstants });
      for (const nr of this.table.wiredNumbers()) this.pushRoute(nr);
      for (const nr of this.table.traced) {
        const specs = this.captureOf!(nr);
        this.captures.set(nr, specs);
        tracer.setTraced(nr, specs.map(captureTuple));
      }
    }

    const pairs: number[] = [];
    const parentEnds: (number | null)[] = [null, null, null];
    const toClose: number[] = [];
    let listener: NativeNotifListener | undefined;
    try {
      stdio.forEach((s, i) => {
        if ((s === null || s === undefined) && i > 2) return; // not passed: exec closes ours (all close-on-exec)
        if (s === 'inherit') pairs.push(i, i);
        else if (s === 'closed') pairs.push(i, -1);
        else if (s === 'ignore') {
          const fd = fs.openSync('/dev/null', i === 0 ? 'r' : 'w');
          toClose.push(fd);
          pairs.push(i, fd);
        } else if (s === 'pipe' && i < 3) {
          const [r, w] = native().pipe();
          const theirs = i === 0 ? r : w;
          parentEnds[i] = i === 0 ? w : r;
          toClose.push(theirs);
          pairs.push(i, theirs);
        } else if (typeof s === 'number' && Number.isInteger(s) && s >= 0 && s <= 0x7fffffff) pairs.push(i, s);
        else throw new TypeError(`spawn: stdio[${i}] must be ${i < 3 ? "'pipe', " : ''}'inherit', 'ignore', 'closed' or an fd, got ${String(s)}`);
      });
      let notifSock: number | undefined;
      if (this.filters.notif) {
        const [mine, theirs] = native().socketpair();
        toClose.push(theirs);
        notifSock = theirs;
        listener = this.makeListener(mine);
      }
      let pid: number;
      try {
        pid = tracer.spawn({
          file, argv: [opts.argv0 ?? file, ...args], envp, cwd: opts.cwd, fds: Int32Array.from(pairs),
          sigIgnored, sigMask, actions: this.filters.trace,
          ...(this.filters.notif ? { notifActions: this.filters.notif, notifSock, notifUnavailable: process.env.SYSSTUB_NO_USER_NOTIF === '1' } : {}),
        });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        if (e.syscall !== 'spawn' || e.errno === undefined) throw err;
        // Like child_process: a program that cannot be found fails on the child, asynchronously.
        for (const fd of parentEnds) if (fd !== null) fs.closeSync(fd);
        listener?.close();
        if (listener) this.notifListeners.delete(listener);
        const child = new SupervisedChild(0, [null, null, null], text(file), spawnargs);
        queueMicrotask(() => child._spawnError(new SpawnError(-e.errno!, text(file), spawnargs)));
        return child;
      }
      const streams: [Writable | null, Readable | null, Readable | null] = [
        parentEnds[0] !== null ? new net.Socket({ fd: parentEnds[0], readable: false, writable: true }) : null,
        parentEnds[1] !== null ? new net.Socket({ fd: parentEnds[1], readable: true, writable: false }) : null,
        parentEnds[2] !== null ? new net.Socket({ fd: parentEnds[2], readable: true, writable: false }) : null,
      ];
      const child = new SupervisedChild(pid, streams, text(file), spawnargs);
      child.route = this.filters.notif ? 'pending' : 'ptrace';
      if (listener) {
        this.pendingRoute.set(listener, child);
        this.listenerOf.set(pid, listener);
      }
      this.treeSize.set(pid, 1);
      child.exited.then(() => {}, () => {}).finally(() => {
        this.roots.delete(pid);
      });
      this.roots.set(pid, child);
      this.processes.add(pid);
      this.tgids.set(pid, pid);
      this.updateRef();
      return child;
    } catch (err) {
      for (const fd of parentEnds) if (fd !== null) fs.closeSync(fd);
      listener?.close();
      if (listener) this.notifListeners.delete(listener);
      throw err;
    } finally {
      for (const fd of toClose) fs.closeSync(fd);
    }
  }

  /**
   * Kill every traced process and stop the tracer thread. Calls in flight are
   * aborted. Resolves when everything is reaped.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const c of this.inflight.values()) c.ctl.abort(new Error('supervisor closed'));
    this.tracer?.close();
    for (const root of [...this.listenerOf.keys()]) this.releaseTree(root);
    for (const l of this.notifListeners) l.close();
    this.notifListeners.clear();
    if (this.inFlightTimer) clearTimeout(this.inFlightTimer);
    for (const child of this.roots.values()) if (!child.exitResult) child._exit(null, 9, false);
    this.processes.clear();
    this.updateRef();
  }

  private readonly pendingRoute = new Map<NativeNotifListener, SupervisedChild>();
  /** Each spawned tree's listener, until the tree is gone; then only its counts stay (stats()). */
  private readonly listenerOf = new Map<number, NativeNotifListener>();
  private readonly releasedNotif = { received: 0, nativeAnswers: 0 };
  /** Live processes per spawned tree (by root pid). */
  private readonly treeSize = new Map<number, number>();

  /** A spawned tree is gone: its listener closes, and nothing of it stays but its counts. */
  private releaseTree(root: number): void {
    this.treeSize.delete(root);
    const l = this.listenerOf.get(root);
    if (!l) return;
    this.listenerOf.delete(root);
    const n = l.stats();
    this.releasedNotif.received += n.received;
    this.releasedNotif.nativeAnswers += n.nativeAnswers;
    this.notifListeners.delete(l);
    this.pendingRoute.delete(l);
    l.close();
  }

  private makeListener(sock: number): NativeNotifListener {
    const { NotifListener } = native();
    const view = new BigUint64Array(7);
    const listener: NativeNotifListener = new NotifListener(
      sock,
      (ok: boolean, syncWakeup: boolean, fallbackErrno: number) => {
        const child = this.pendingRoute.get(listener);
        this.pendingRoute.delete(listener);
        if (child) child.route = ok ? 'notif' : 'ptrace';
        if (!ok) {
          this.notifListeners.delete(listener);
          listener.close();
        }
        // fallbackErrno: why the child fell back (EINVAL/ENOSYS: no user
        // notification in this kernel; EBUSY: it has a listener already);
        // 0 with !ok: it died before it got that far.
        // With a listener, fallbackErrno says the filter went in without
        // WAIT_KILLABLE_RECV (a kernel before 5.19): a signal can then make
        // the kernel drop an answer sent as it came (native/spawn.cc).
        if (ok || fallbackErrno) {
          const reason = ok ? undefined : errnoName(fallbackErrno) ?? `E${fallbackErrno}`;
          const killableWait = ok && fallbackErrno === 0;
          this.emit('route', { pid: child?.pid, route: ok ? 'notif' : 'ptrace', syncWakeup, killableWait, reason });
        }
      },
      (tid: number, nr: number) => this.onNotifCall(listener, view, tid, nr),
      view,
    );
    for (const nr of this.table.wiredNumbers()) this.pushTo(listener, nr);
    listener.ref(this.refd ?? true);
    this.notifListeners.add(listener);
    return listener;
  }

  private ensureTracer(): NativeTracer {
    if (!this.tracer) {
      const { Tracer } = native();
      this.tracer = new Tracer((events) => this.onEvents(events));
      // No timeout (null): the watchdog still ends a blocked loop on a relayed fatal signal.
      this.tracer.watch(this.handlerTimeout ?? 0, this.watch);
    }
    return this.tracer;
  }

  /**
   * Shared with the native handler watchdog (native/watchdog.h): [0] odd
   * inside a handler, [1] its nr, [2] relayed-signal events handled here.
   */
  private readonly watch = new Int32Array(3);

  /** Runs a handler chain's synchronous part where the watchdog sees it. */
  private watched<T>(nr: number, run: () => T): T {
    const w = this.watch;
    w[1] = nr;
    w[0]++;
    try {
      return run();
    } finally {
      w[0]++;
    }
  }

  /**
   * Relay these signals, sent to this process, to the spawned program, exactly
   * once (a signal sent to the whole process group reached it already), from
   * the tracer thread, so that a busy or blocked event loop cannot hold them
   * up. Each is reported as a 'relayed' event. For supervisor programs (the
   * CLI): it replaces this process's own handling of those signals. Once per process.
   */
  relaySignals(signals: readonly (NodeJS.Signals | number)[]): boolean {
    if (this.closing) throw closedError('relaySignals');
    return this.ensureTracer().relaySignals(sigmask(signals, 'relaySignals'));
  }

  /**
   * Tell a native slot table what a call on nr does now: a constant or a
   * counted constant on top is decided natively; an empty stub answers ENOSYS.
   */
  private pushTo(target: NativeSlotTable, nr: number): void {
    const counted = this.table.topCounted(nr);
    if (counted) {
      const { first, last, step } = counted.when;
      const c = counted.constant;
      target.setCounted(nr, {
        first, last: last === Infinity ? 0 : last, step, isErrno: c.type === 'error',
        value: c.type === 'error' ? BigInt(c.errno) : c.type === 'return' ? BigInt.asIntN(64, c.value) : 0n,
        bottomKernel: this.table.bottom(nr) === 'kernel',
      });
      return;
    }
    const top = this.table.topConstant(nr);
    if (top?.type === 'error') target.setSlot(nr, SlotDisposition.Errno, BigInt(top.errno));
    else if (top?.type === 'return') target.setSlot(nr, SlotDisposition.Value, BigInt.asIntN(64, top.value));
    else if (this.table.hasHandlers(nr)) target.setSlot(nr, SlotDisposition.Handler, 0n);
    else if (this.table.bottom(nr) === 'kernel') target.setSlot(nr, SlotDisposition.Kernel, 0n);
    else target.setSlot(nr, SlotDisposition.Errno, 38n /* ENOSYS: the empty stub */);
  }

  /** Tell the tracer thread and every listener what a call on nr does now. */
  private pushRoute(nr: number): void {
    if (!this.table.isWired(nr)) return;
    if (this.tracer) this.pushTo(this.tracer, nr);
    for (const l of this.notifListeners) this.pushTo(l, nr);
  }

  private updateRef(): void {
    const want = this.processes.size > 0 || this.inflight.size > 0;
    if (want === this.refd) return;
    this.refd = want;
    if (this.tracer) {
      if (want) this.tracer.ref();
      else this.tracer.unref();
    }
    for (const l of this.notifListeners) l.ref(want);
  }

  private onEvents(events: NativeEvent[]): void {
    for (const e of events) {
      try {
        this.onEvent(e);
      } catch (err) {
        // Never let one bad event stop the others (or leave a tracee stopped).
        process.stderr.write(`sysstub: internal error handling ${e.type} event: ${(err as Error).stack}\n`);
      }
    }
    this.updateRef();
  }

  private onEvent(e: NativeEvent): void {
    switch (e.type) {
      case 'call':
        this.onTraceCall(e);
        return;
      case 'syscall': {
        const ev = toSyscallEvent(e, this.captures.get(e.nr) ?? []);
        this.emit('syscall', ev);
        this.roots.get(this.rootOf.get(e.pid) ?? e.pid)?.emit('syscall', ev);
        return;
      }
      case 'cancel': {
        const c = this.inflight.get(`p${e.tid}:${e.seq}`);
        if (c) c.ctl.abort(new Error(`thread ${e.tid} is gone`));
        const w = this.exitWaiters.get(`${e.tid}:${e.seq}`);
        if (w) {
          this.exitWaiters.delete(`${e.tid}:${e.seq}`);
          w({ type: 'error', errno: 3, code: 'ESRCH' });
        }
        return;
      }
      case 'exitStop': {
        const key = `${e.tid}:${e.seq}`;
        const w = this.exitWaiters.get(key);
        this.exitWaiters.delete(key);
        const ret = BigInt.asIntN(64, e.ret);
        if (w) w(ret < 0n && ret >= -4095n ? { type: 'error', errno: Number(-ret), code: errnoName(Number(-ret)) ?? `E${-ret}` } : { type: 'return', value: BigInt.asUintN(64, ret) });
        else this.tracer?.answer(e.tid, e.seq, 3, 0n); // nobody waits (closing): let it go
        return;
      }
      case 'newProcess': {
        const root = this.rootOf.get(e.parent) ?? e.parent;
        this.rootOf.set(e.pid, root);
        const n = this.treeSize.get(root);
        if (n !== undefined) this.treeSize.set(root, n + 1);
        this.processes.add(e.pid);
        this.tgids.set(e.pid, e.pid);
        this.emit('process', { pid: e.pid, parent: e.parent });
        return;
      }
      case 'exec':
        this.emit('exec', { pid: e.pid, formerTid: e.tid });
        return;
      case 'relayed':
        this.watch[2]++; // the loop is alive after this signal: the watchdog leaves it to us
        this.emit('relayed', { signal: signalNames.get(e.signal) ?? e.signal, signalNumber: e.signal, delivered: e.delivered, targets: e.targets });
        return;
      case 'signal':
        if (this.notifByTid.size) this.interruptForStop(e.pid, e.tid, e.signal);
        this.emit('signal', { pid: e.pid, tid: e.tid, signal: signalNames.get(e.signal) ?? e.signal, siginfo: e.siginfo });
        return;
      case 'exit': {
        this.processes.delete(e.pid);
        const root = this.rootOf.get(e.pid) ?? e.pid;
        if (!this.roots.has(e.pid)) this.rootOf.delete(e.pid);
        const n = this.treeSize.get(root);
        if (n !== undefined) {
          if (n <= 1) this.releaseTree(root);
          else this.treeSize.set(root, n - 1);
        }
        for (const [tid, c] of this.notifByTid) {
          if (this.tgids.get(tid) === e.pid) c.ctl.abort(new Error(`process ${e.pid} exited`));
        }
        for (const [tid, tgid] of this.tgids) if (tgid === e.pid) this.tgids.delete(tid);
        this.roots.get(e.pid)?._exit(e.code, e.signal, e.core);
        this.emit('processExit', { pid: e.pid, code: e.code, signal: e.signal ? signalNames.get(e.signal) ?? null : null });
        if (this.processes.size === 0) this.emit('idle');
        return;
      }
      case 'spawnError': {
        this.processes.delete(e.pid);
        this.releaseTree(e.pid);
        const child = this.roots.get(e.pid);
        if (child) child._spawnError(new SpawnError(e.errno, child.spawnfile, [...child.spawnargs]));
        if (this.processes.size === 0) this.emit('idle');
        return;
      }
    }
  }

  /** Thread group of a tid: known from the tracer's events, else /proc (a thread's first call can beat its clone event). */
  private tgidOf(tid: number): number {
    let tgid = this.tgids.get(tid);
    if (tgid === undefined) {
      try {
        const m = /\nTgid:\s*(\d+)/.exec(fs.readFileSync(`/proc/${tid}/status`, 'latin1'));
        tgid = m ? Number(m[1]) : tid;
      } catch {
        tgid = tid;
      }
      this.tgids.set(tid, tgid);
    }
    return tgid;
  }

  private site(nr: number, pid: number, tid: number, loadArgs: () => SyscallArgs, ctl: CallAbort, validate?: () => boolean): CallSite {
    return {
      nr,
      name: syscallByNr(nr)?.name ?? `syscall_${nr}`,
      pid,
      tid,
      loadArgs,
      abort: ctl,
      bottom: this.table.bottom(nr),
      defaultTimeout: this.handlerTimeout,
      report: (r) => this.report(r),
      validate,
    };
  }

  /** A call on the ptrace route: the tracee waits in a seccomp stop for answer(). */
  private onTraceCall(e: Extract<NativeEvent, { type: 'call' }>): void {
    const tracer = this.tracer!;
    const key = `p${e.tid}:${e.seq}`;
    const args = e.args as unknown as SyscallArgs;
    const chain = this.table.acquire(e.nr);
    const ctl = new CallAbort();
    const site = this.site(e.nr, e.pid, e.tid, () => args, ctl);
    let ranKernel = false;
    let atExit = false;
    const exitKey = `${e.tid}:${e.seq}`;
    // observe(): run the call now, stop at its exit, resolve with its result.
    site.runKernel = (runArgs) => {
      ranKernel = true;
      const changed = runArgs.map((a, i) => (a === args[i] ? undefined : BigInt.asUintN(64, a)));
      tracer.answer(e.tid, e.seq, 2, 0n, changed.some((a) => a !== undefined) ? changed : undefined);
      return new Promise<Outcome>((resolve) => this.exitWaiters.set(exitKey, (o) => {
        atExit = true;
        resolve(o);
      }));
    };
    const answerAtExit = (o: Outcome) => {
      if (o.type === 'kernel') tracer.answer(e.tid, e.seq, 3, 0n);
      else tracer.answer(e.tid, e.seq, 3, o.type === 'return' ? o.value : BigInt.asUintN(64, BigInt(-o.errno)), [0n]);
    };
    const finish = (o: Outcome) => {
      site.done = true;
      this.inflight.delete(key);
      this.table.release(chain);
      if (ctl.aborted) runUndos(site);
      else if (ranKernel) {
        // The handler's final word on the result, given at the exit stop (now,
        // or when the call gets there: a handler that timed out while it ran).
        if (atExit) answerAtExit(o);
        else this.exitWaiters.set(exitKey, () => answerAtExit(o));
      } else {
        switch (o.type) {
          case 'return':
            tracer.answer(e.tid, e.seq, 0, o.value);
            break;
          case 'error':
            tracer.answer(e.tid, e.seq, 0, BigInt.asUintN(64, BigInt(-o.errno)));
            break;
          case 'kernel': {
            const changed = o.args.map((a, i) => (a === args[i] ? undefined : BigInt.asUintN(64, a)));
            tracer.answer(e.tid, e.seq, 1, 0n, changed.some((a) => a !== undefined) ? changed : undefined);
            break;
          }
        }
      }
    };
    this.inflight.set(key, { ctl });
    const o = this.watched(e.nr, () => runLevel(site, chain, 0, args));
    if (o instanceof Promise) {
      o.then((r) => {
        finish(r);
        this.updateRef();
      });
    } else finish(o);
  }



  /**
   * A call on the user-notification route, dispatched on this thread while
   * the listener's view holds its id and arguments; answered with
   * respondCurrent() when the handler is synchronous, respond(id) otherwise.
   */
  private onNotifCall(listener: NativeNotifListener, view: BigUint64Array, tid: number, nr: number): void {
    // A thread has one call in flight: an older pending one was interrupted
    // by a signal (the kernel will renotify or return EINTR) and is abandoned.
    const older = this.notifByTid.get(tid);
    if (older) older.ctl.abort(new Error('interrupted by a signal'));
    let id: bigint | undefined;
    let args: SyscallArgs | undefined;
    const getId = () => (id ??= view[0]);
    const loadArgs = () => (args ??= [view[1], view[2], view[3], view[4], view[5], view[6]] as unknown as SyscallArgs);
    const ctl = new CallAbort();
    const entry: InflightCall = { ctl, listener };
    const chain = this.table.acquire(nr);
    const pid = this.tgidOf(tid);
    // NOTIF_ID_VALID after reading and before writing tracee memory
    // (seccomp_unotify(2)): the tid may have died and been reused. A pid is not
    // recycled within a millisecond, so one check covers the accesses of a burst.
    let validAt = -Infinity;
    const validate = () => {
      const now = performance.now();
      if (now - validAt < 1) return true;
      const ok = listener.isValid(getId());
      if (ok) validAt = now;
      return ok;
    };
    const site = this.site(nr, pid, tid, loadArgs, ctl, validate);
    let sync = true;
    const finish = (o: Outcome) => {
      site.done = true;
      if (this.notifByTid.get(tid) === entry) this.notifByTid.delete(tid);
      this.table.release(chain);
      if (ctl.aborted) return runUndos(site);
      let rc: number;
      if (o.type === 'kernel' && !o.args.every((a, i) => a === loadArgs()[i])) {
        // Only the ptrace route can run the kernel's call with new arguments.
        const name = syscallByNr(nr)?.name ?? `syscall_${nr}`;
        this.report({
          module: chain[0]?.module.name ?? '?', syscall: name, nr, pid, tid, fault: 'invalid-result', detail: o, errno: 5,
          message: `module "${chain[0]?.module.name}": ${name} handler passed rewritten arguments to the kernel on the user-notification route; use route: 'ptrace' (the call failed with EIO)`,
        });
        o = { type: 'error', errno: 5, code: 'EIO' };
      }
      const kind = o.type === 'kernel' ? 1 : 0;
      const value = o.type === 'return' ? BigInt.asIntN(64, o.value) : o.type === 'error' ? BigInt(-o.errno) : 0n;
      if (sync && value >= -(2n ** 53n) && value <= 2n ** 53n) rc = listener.respondCurrent(kind, Number(value));
      else rc = listener.respond(getId(), kind, value);
      // ENOENT: a signal interrupted the call after the handler answered.
      if (rc < 0 && site.undo?.length) runUndos(site);
    };
    this.notifByTid.set(tid, entry);
    const o = this.watched(nr, () => runLevel(site, chain, 0, null));
    if (o instanceof Promise) {
      // The view belongs to the next notification once we return.
      sync = false;
      entry.id = getId();
      loadArgs();
      const key = `n${entry.id}`;
      this.inflight.set(key, entry);
      this.watchInFlight();
      this.updateRef();
      o.then((r) => {
        this.inflight.delete(key);
        finish(r);
        this.updateRef();
      });
    } else finish(o);
  }

  /**
   * Watches the notif route's calls whose handlers are still working: one
   * that became invalid (its thread died, or a kernel without
   * WAIT_KILLABLE_RECV let a signal interrupt it) is abandoned; one whose
   * thread has a signal to take is interrupted, as the kernel would have done
   * at once (lib/pending-signals.ts). The kernel tells us neither
   * (seccomp_unotify(2)), so this looks every 10 ms while calls are pending,
   * less often when looking costs more than a tenth of that.
   */
  private watchInFlight(): void {
    if (this.inFlightTimer) return;
    const tick = () => {
      this.inFlightTimer = undefined;
      const t0 = performance.now();
      let pending = 0;
      for (const [tid, c] of this.notifByTid) {
        if (c.ctl.aborted || c.id === undefined) continue;
        pending++;
        if (!c.listener!.isValid(c.id)) {
          c.ctl.abort(new Error('interrupted by a signal, or the thread died'));
          continue;
        }
        const state = readSignalState(this.tgidOf(tid), tid);
        if (!state) continue;
        const { own, shared } = interruptingSignals(state);
        if (own || (shared && c.sharedSeen)) this.interruptNotified(tid, c, lowestSignal(own || shared));
        else c.sharedSeen = shared !== 0n;
      }
      if (pending === 0) return;
      this.inFlightTimer = setTimeout(tick, Math.max(10, 10 * (performance.now() - t0)));
      this.inFlightTimer.unref();
    };
    this.inFlightTimer = setTimeout(tick, 10);
    this.inFlightTimer.unref();
  }

  /**
   * Ends a notif-route call whose thread has `signal` to take: its handler is
   * abandoned (its answer, when it comes, is dropped and its undos run), and
   * the tracer answers -ERESTARTSYS, so the signal is delivered and the call
   * restarted or failed with EINTR as SA_RESTART says (Tracer::InterruptNotified).
   */
  private interruptNotified(tid: number, c: InflightCall, signal: number): void {
    c.ctl.abort(new Error(`interrupted by ${signalNames.get(signal) ?? `signal ${signal}`}`));
    if (this.notifByTid.get(tid) === c) this.notifByTid.delete(tid);
    this.tracer?.interruptNotified(tid, c.listener!, c.id!);
  }

  /** A group-stop starts in pid: its threads waiting for a handler's answer must stop too. */
  private interruptForStop(pid: number, tid: number, signal: number): void {
    let checked: boolean | undefined;
    for (const [t, c] of this.notifByTid) {
      if (t === tid || c.ctl.aborted || c.id === undefined || this.tgids.get(t) !== pid) continue;
      if (!(checked ??= stopsGroup(pid, signal))) return;
      this.interruptNotified(t, c, signal);
    }
  }

  private report(r: HandlerReport): void {
    if (this.listenerCount('handlerError') > 0) this.emit('handlerError', r);
    else process.stderr.write(`sysstub: ${r.message}\n`);
  }
}
