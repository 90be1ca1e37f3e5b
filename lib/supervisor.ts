// The Supervisor: owns one tracer thread (native), one stub table, and the
// processes it spawned (process-tree.ts). Calls trapped in any of them reach
// their slot's chain of handlers through one of two routes, side by side in
// routes/: ptrace.ts (seccomp stops on the tracer thread) and notif.ts (seccomp
// user notification on Node's loop). This file keeps spawn, load/unload,
// events, stats and close; supervisor-options.ts the options.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { AttachedProcess, attachFailed, checkAttachable, type AttachOptions, type AttachRoute } from './attach.js';
import type { HandlerReport } from './call.js';
import { SpawnError, SupervisedChild, text, type Bytes, type SpawnOptions } from './child.js';
import type { Module, ModuleDefinition } from './module.js';
import { native, type NativeEvent, type NativeNotifListener, type NativeTracer } from './native.js';
import { ProcessTree } from './process-tree.js';
import { NotifRoute } from './routes/notif.js';
import { PtraceRoute } from './routes/ptrace.js';
import type { RouteHost } from './routes/host.js';
import { signalName, signalNames, sigmask } from './signals.js';
import { closeParentEnds, emptyStdio, parentStreams, prepareStdio, stdioEntries } from './stdio.js';
import { StubTable } from './stub-table.js';
import { StubReportCounter, type StubReport } from './stub-report.js';
import { parseSyscallSet } from './faults/expr.js';
import { SyscallRecords } from './trace/records.js';
import { nativeCapture, toSyscallEvent, type CaptureSpec, type SyscallEvent } from './trace/events.js';
import { checkOptions, type RouteOption, type SupervisorOptions, type SupervisorStats } from './supervisor-options.js';

export { SpawnError, SupervisedChild, type Bytes, type ExitResult, type SpawnOptions, type StdioOption } from './child.js';
export type { RouteOption, SupervisorOptions, SupervisorStats } from './supervisor-options.js';

/** What a Supervisor throws once closed: a Node-style error with a code. */
function closedError(op: string): Error {
  return Object.assign(new Error(`Supervisor: ${op}() after close()`), { code: 'ERR_SUPERVISOR_CLOSED' });
}

export class Supervisor extends EventEmitter implements RouteHost {
  readonly table: StubTable;
  readonly handlerTimeout: number | null;
  readonly routeOption: RouteOption;
  readonly sealConstants: boolean;
  /** @internal The stub report's counter (option report; RouteHost). */
  readonly stubCounter: StubReportCounter | undefined;
  /** @internal The supervised processes (RouteHost). */
  readonly tree = new ProcessTree();
  private readonly ptrace = new PtraceRoute(this);
  private readonly notif = new NotifRoute(this);
  private tracerThread: NativeTracer | undefined;
  private refd: boolean | undefined;
  private closing = false;
  private finalStats: SupervisorStats | undefined;
  private filters: { ptrace: Uint32Array; notif?: Uint32Array } | undefined;

  constructor(opts: SupervisorOptions = {}) {
    super();
    const checked = checkOptions(opts);
    this.handlerTimeout = checked.handlerTimeout;
    this.routeOption = checked.route;
    this.sealConstants = checked.sealConstants;
    this.table = new StubTable({ stubs: opts.stubs, kernelStubs: opts.kernelStubs });
    this.table.onSlotChange = (nr) => this.pushRoute(nr);
    for (const m of opts.modules ?? []) this.table.load(m);
    if (opts.trace) {
      const nrs = typeof opts.trace.syscalls === 'string' ? parseSyscallSet(opts.trace.syscalls) : [...opts.trace.syscalls];
      // wire() checks each (a name or number out of the table is a TypeError naming it).
      for (const ref of nrs) this.table.traced.add(this.table.wire(ref).nr);
      this.captureOf = opts.trace.capture ?? (() => []);
    }
    if (opts.report) {
      this.table.wireReport();
      const counter = (this.stubCounter = new StubReportCounter());
      this.on('syscall', (e: SyscallEvent) => counter.traced(e));
    }
  }

  /** The stub report so far (option report): the stub and unassigned slots called, and the kernel's ENOSYS on traced ones. */
  stubReport(): StubReport | undefined {
    return this.stubCounter?.report();
  }

  private captureOf: ((nr: number) => CaptureSpec[]) | undefined;
  private readonly captures = new Map<number, CaptureSpec[]>();

  /** Load a module on top of the slots it handles; works while tracees run. */
  load(mod: Module | ModuleDefinition): void {
    if (this.closing) throw closedError('load');
    this.table.load(mod);
  }

  /** Unload a module: new calls no longer see it; resolves when its calls in flight have drained. */
  unload(name: string): Promise<void> {
    if (this.closing) return Promise.reject(closedError('unload'));
    return this.table.unload(name);
  }

  /** Counters of the tracer thread (stops by kind) and the notification route; zeros before the first spawn. */
  stats(): SupervisorStats {
    if (this.finalStats) return { ...this.finalStats };
    const s = this.tracerThread?.stats();
    const n = this.notif.stats();
    return {
      stops: 0, seccompStops: 0, handlerCalls: 0, nativeAnswers: 0, signalStops: 0, groupStops: 0,
      eventStops: 0, exits: 0, ...s, notifCalls: n.received, notifNativeAnswers: n.nativeAnswers,
    };
  }

  /** Number of supervised processes still alive (the spawned ones and everything they started). */
  get liveProcesses(): number {
    return this.tree.processes.size;
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
    const stdio = stdioEntries(opts.stdio);
    const sigIgnored = sigmask(opts.signals?.ignore, 'spawn: signals.ignore');
    const sigMask = sigmask(opts.signals?.block, 'spawn: signals.block');
    const spawnargs = args.map(text);

    const tracer = this.ensureTracer();
    if (!this.filters) {
      this.filters = this.table.freeze({ forcePtrace: this.routeOption === 'ptrace', sealConstants: this.sealConstants });
      this.pushTable(tracer);
    }

    const fds = emptyStdio();
    let listener: NativeNotifListener | undefined;
    const undo = () => {
      closeParentEnds(fds.parentEnds);
      if (listener) this.notif.discard(listener);
    };
    try {
      prepareStdio(stdio, fds);
      let notifSock: number | undefined;
      if (this.filters.notif) {
        const [mine, theirs] = native().socketpair();
        fds.toClose.push(theirs);
        notifSock = theirs;
        listener = this.notif.open(mine);
      }
      let pid: number;
      try {
        pid = tracer.spawn({
          file, argv: [opts.argv0 ?? file, ...args], envp, cwd: opts.cwd, fds: Int32Array.from(fds.pairs),
          sigIgnored, sigMask, actions: this.filters.ptrace,
          ...(this.filters.notif ? { notifActions: this.filters.notif, notifSock, notifUnavailable: process.env.SYSSTUB_NO_USER_NOTIF === '1' } : {}),
        });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        if (e.syscall !== 'spawn' || e.errno === undefined) throw err;
        // Like child_process: a program that cannot be found fails on the child, asynchronously.
        undo();
        const child = new SupervisedChild(0, [null, null, null], text(file), spawnargs);
        queueMicrotask(() => child._spawnError(new SpawnError(-e.errno!, text(file), spawnargs)));
        return child;
      }
      const child = new SupervisedChild(pid, parentStreams(fds.parentEnds), text(file), spawnargs);
      child.route = this.filters.notif ? 'pending' : 'ptrace';
      if (listener) this.notif.attach(listener, pid, child);
      this.tree.addRoot(pid, child);
      this.updateRef();
      return child;
    } catch (err) {
      undo();
      throw err;
    } finally {
      for (const fd of fds.toClose) fs.closeSync(fd);
    }
  }

  /** Once, before the first spawn or attach: the tracer learns every wired slot and traced call. */
  private pushTable(tracer: NativeTracer): void {
    if (this.tablePushed) return;
    this.tablePushed = true;
    for (const nr of this.table.wiredNumbers()) this.pushRoute(nr);
    for (const nr of this.table.traced) {
      const specs = this.captureOf!(nr);
      this.captures.set(nr, specs);
      tracer.setTraced(nr, specs.map(nativeCapture));
    }
  }

  private tablePushed = false;

  /**
   * Attach to the running process pid (every thread; what it creates from now
   * on is followed) and serve its calls from the table until detach(). See
   * AttachOptions for how the calls get here. Throws AttachError (a code, and
   * errno/syscall where the kernel refused) naming the reason.
   */
  attach(pid: number, opts: AttachOptions = {}): AttachedProcess {
    if (this.closing) throw closedError('attach');
    if (opts === null || typeof opts !== 'object') throw new TypeError('attach: options must be an object');
    const route = opts.route ?? 'auto';
    if (route !== 'auto' && route !== 'filter' && route !== 'syscall') {
      throw new TypeError(`attach: route must be 'auto', 'filter' or 'syscall', got ${JSON.stringify(route)}`);
    }
    const tgid = checkAttachable(pid, this.tree.processes);
    let wanted: AttachRoute = route === 'syscall' ? 'syscall' : 'filter';
    let actions: Uint32Array | undefined;
    if (wanted === 'filter') {
      const f = this.table.attachFilter();
      if ('realCalls' in f) {
        if (route === 'filter') {
          throw new TypeError(`attach: route 'filter' serves only stub and unassigned slots; ${f.realCalls.join(', ')} need route 'syscall'`);
        }
        wanted = 'syscall';
      } else {
        actions = f.actions;
      }
    }
    const tracer = this.ensureTracer();
    this.pushTable(tracer);
    let facts;
    try {
      facts = tracer.attach(actions ? { pid: tgid, actions } : { pid: tgid });
    } catch (err) {
      throw attachFailed(tgid, err as NodeJS.ErrnoException);
    }
    const child = new AttachedProcess(tgid, facts, wanted);
    child._detachVia = () => {
      if (!this.closing && !child.exitResult) this.tracerThread?.detach(tgid);
      return child.ended.then(() => {});
    };
    this.tree.addRoot(tgid, child);
    this.updateRef();
    return child;
  }

  /** Detach every attached process (each as AttachedProcess.detach()). */
  async detach(): Promise<void> {
    const attached = [...this.tree.roots.values()].filter((c): c is AttachedProcess => c instanceof AttachedProcess);
    await Promise.all(attached.map((c) => c.detach()));
  }

  /** `await using sup = new Supervisor()`: closed at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Kill every spawned process, detach every attached one, and stop the tracer
   * thread. Calls in flight are aborted (an attached process's run natively).
   * Resolves when everything is reaped.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    // The counters outlive the tracer thread: a test reads them after close().
    this.finalStats = this.stats();
    this.ptrace.abortAll(new Error('supervisor closed'));
    this.tracerThread?.close();
    this.notif.close();
    for (const child of this.tree.roots.values()) {
      if (child instanceof AttachedProcess) child._detached(); // close() detached them natively
      else if (!child.exitResult) child._exit(null, 9, false);
    }
    for (const child of this.tree.liveTrees()) child._treeExited();
    this.tree.processes.clear();
    this.updateRef();
  }

  /** @internal The tracer thread (RouteHost). */
  tracer(): NativeTracer | undefined {
    return this.tracerThread;
  }

  private ensureTracer(): NativeTracer {
    if (!this.tracerThread) {
      const { Tracer } = native();
      this.tracerThread = new Tracer((events) => this.onEvents(events));
      // No timeout (null): the watchdog still ends a blocked loop on a relayed fatal signal.
      this.tracerThread.watch(this.handlerTimeout ?? 0, this.watch);
    }
    return this.tracerThread;
  }

  /**
   * Shared with the native handler watchdog (native/watchdog.h): [0] odd
   * inside a handler, [1] its nr, [2] relayed-signal events handled here.
   */
  private readonly watch = new Int32Array(3);

  /** Runs a handler chain's synchronous part where the watchdog sees it. */
  watched<T>(nr: number, run: () => T): T {
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

  /** Tell the tracer thread and every listener what a call on nr does now. */
  private pushRoute(nr: number): void {
    if (!this.table.isWired(nr)) return;
    if (this.tracerThread) this.table.pushTo(this.tracerThread, nr);
    this.notif.push(nr);
  }

  /** Node's loop stays alive while a process lives or a handler runs (RouteHost). */
  updateRef(): void {
    const want = this.tree.processes.size > 0 || this.ptrace.pending > 0 || this.notif.pending > 0;
    if (want === this.refd) return;
    this.refd = want;
    if (this.tracerThread) {
      if (want) this.tracerThread.ref();
      else this.tracerThread.unref();
    }
    this.notif.ref(want);
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
        return this.ptrace.onCall(e);
      case 'cancel':
        return this.ptrace.onCancel(e);
      case 'exitStop':
        return this.ptrace.onExitStop(e);
      case 'syscalls': {
        const all = this.listenerCount('syscall') > 0;
        for (const r = new SyscallRecords(e.records); r.next(); ) {
          const handledBy = this.ptrace.handledBy(r); // always: it also forgets the answer it noted
          // Made only for someone who listens: a trace nobody reads costs its stops, not its objects.
          const child = this.tree.childOf(r.pid);
          if (!all && (child?.listenerCount('syscall') ?? 0) === 0) continue;
          const ev = toSyscallEvent(r.record(), this.captures.get(r.nr) ?? [], handledBy);
          this.emit('syscall', ev);
          child?.emit('syscall', ev);
        }
        return;
      }
      case 'newProcess':
        this.tree.addProcess(e.pid, e.parent);
        this.emit('process', { pid: e.pid, parent: e.parent });
        return;
      case 'exec':
        this.emit('exec', { pid: e.pid, formerTid: e.tid });
        return;
      case 'relayed':
        this.watch[2]++; // the loop is alive after this signal: the watchdog leaves it to us
        this.emit('relayed', { signal: signalName(e.signal), signalNumber: e.signal, delivered: e.delivered, targets: e.targets });
        return;
      case 'groupStop':
        return this.notif.onGroupStop(e);
      case 'signal':
        this.emit('signal', { pid: e.pid, tid: e.tid, signal: signalName(e.signal), siginfo: e.siginfo });
        return;
      case 'exit': {
        this.ptrace.onThreadExit(e.tid);
        this.notif.onProcessExit(e.pid);
        const owner = this.tree.childOf(e.pid);
        const emptied = this.tree.exit(e.pid);
        if (emptied !== undefined) {
          this.notif.releaseTree(emptied);
          owner?._treeExited();
        }
        this.tree.roots.get(e.pid)?._exit(e.code, e.signal, e.core);
        this.emit('processExit', { pid: e.pid, code: e.code, signal: e.signal ? signalNames.get(e.signal) ?? null : null });
        if (this.tree.processes.size === 0) this.emit('idle');
        return;
      }
      case 'detached': {
        this.ptrace.onThreadExit(e.tid);
        const owner = this.tree.childOf(e.pid);
        const emptied = this.tree.exit(e.pid);
        // Its children forked while attached may still be detaching, or exiting: the tree decides.
        if (owner instanceof AttachedProcess) owner._processDetached(e.pid);
        if (emptied !== undefined) owner?._treeExited();
        this.emit('detached', { pid: e.pid });
        if (this.tree.processes.size === 0) this.emit('idle');
        return;
      }
      case 'spawnError': {
        this.tree.spawnFailed(e.pid);
        this.notif.releaseTree(e.pid);
        const child = this.tree.roots.get(e.pid);
        if (child) child._spawnError(new SpawnError(e.errno, child.spawnfile, [...child.spawnargs]));
        if (this.tree.processes.size === 0) this.emit('idle');
        return;
      }
    }
  }

  /** A handler's failure: a 'handlerError' event, or one line on stderr when nobody listens (RouteHost). */
  report(r: HandlerReport): void {
    if (this.listenerCount('handlerError') > 0) this.emit('handlerError', r);
    else process.stderr.write(`sysstub: ${r.message}\n`);
  }
}
