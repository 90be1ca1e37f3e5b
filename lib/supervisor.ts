// The Supervisor: owns one tracer thread (native), one stub table, and the
// processes it spawned. Calls trapped in any of them are dispatched here, on
// Node's main thread, through the module chain of their slot.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { runLevel, type CallSite, type HandlerReport } from './call.js';
import { errnoName, strerror } from './errno.js';
import { type Module, type ModuleDefinition, type Outcome, type SyscallArgs } from './module.js';
import { native, NativeRoute, type NativeEvent, type NativeTracer, type TracerStats } from './native.js';
import { StubTable } from './stub-table.js';
import { syscallByNr } from './syscalls/index.js';

export type StdioOption = 'pipe' | 'inherit' | 'ignore' | number;

export interface SupervisorOptions {
  /** Modules loaded before the first spawn (their slots are wired), bottom first. */
  modules?: readonly (Module | ModuleDefinition)[];
  /** Extra slots to wire: syscall names or numbers (unassigned numbers too). */
  stubs?: readonly (string | number)[];
  /** Default ms a handler may take before its call fails with ETIMEDOUT; null: no limit. Default 10000. */
  handlerTimeout?: number | null;
}

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** One value for all three, or [stdin, stdout, stderr]. Default 'inherit'. */
  stdio?: StdioOption | readonly [StdioOption, StdioOption, StdioOption];
  /** argv[0] as the program sees it (default: the file as given). */
  argv0?: string;
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

function isExecutableFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile() && (fs.accessSync(p, fs.constants.X_OK), true);
  } catch {
    return false;
  }
}

/** execvp's search, done before fork so that a missing program is ENOENT without a child. */
export function resolveProgram(file: string, env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  if (file.includes('/')) return path.resolve(cwd, file);
  for (const dir of (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
    const p = path.resolve(cwd, dir || '.', file);
    if (isExecutableFile(p)) return p;
  }
  return undefined;
}

/** A process started by a Supervisor, traced with everything it starts. */
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
  ctl: AbortController;
  chain: ReturnType<StubTable['acquire']>;
  done: boolean;
}

export class Supervisor extends EventEmitter {
  readonly table: StubTable;
  readonly handlerTimeout: number | null;
  private tracer: NativeTracer | undefined;
  private readonly roots = new Map<number, SupervisedChild>();
  /** Every live traced process (thread group), roots included. */
  private readonly processes = new Set<number>();
  private readonly inflight = new Map<string, InflightCall>();
  private refd = false;
  private closing = false;

  constructor(opts: SupervisorOptions = {}) {
    super();
    const known = new Set(['modules', 'stubs', 'handlerTimeout']);
    for (const k of Object.keys(opts)) {
      if (!known.has(k)) throw new TypeError(`Supervisor: unknown option "${k}" (valid: ${[...known].join(', ')})`);
    }
    const t = opts.handlerTimeout;
    if (t !== undefined && t !== null && !(typeof t === 'number' && t > 0)) {
      throw new TypeError(`Supervisor: handlerTimeout must be a positive number of ms or null, got ${String(t)}`);
    }
    this.handlerTimeout = t === undefined ? 10_000 : t;
    this.table = new StubTable({ stubs: opts.stubs });
    this.table.onSlotChange = (nr) => this.pushRoute(nr);
    for (const m of opts.modules ?? []) this.table.load(m);
  }

  /** Load a module on top of the slots it handles; works while tracees run. */
  load(mod: Module | ModuleDefinition): void {
    this.table.load(mod);
  }

  /** Unload a module: new calls no longer see it; resolves when its calls in flight have drained. */
  unload(name: string): Promise<void> {
    return this.table.unload(name);
  }

  /** Counters of the tracer thread (stops by kind); zeros before the first spawn. */
  stats(): TracerStats {
    const s = this.tracer?.stats();
    return {
      stops: 0, seccompStops: 0, handlerCalls: 0, nativeAnswers: 0, signalStops: 0, groupStops: 0,
      eventStops: 0, exits: 0, ...s,
    };
  }

  /** Number of traced processes still alive (the spawned ones and everything they started). */
  get liveProcesses(): number {
    return this.processes.size;
  }

  spawn(file: string, args: readonly string[] = [], opts: SpawnOptions = {}): SupervisedChild {
    if (this.closing) throw new Error('Supervisor: spawn after close()');
    if (typeof file !== 'string' || file === '') throw new TypeError('spawn: file must be a non-empty string');
    if (!Array.isArray(args) || args.some((a) => typeof a !== 'string')) throw new TypeError('spawn: args must be an array of strings');
    const known = new Set(['cwd', 'env', 'stdio', 'argv0']);
    for (const k of Object.keys(opts)) {
      if (!known.has(k)) throw new TypeError(`spawn: unknown option "${k}" (valid: ${[...known].join(', ')})`);
    }
    const env = opts.env ?? process.env;
    const cwd = opts.cwd ?? process.cwd();
    const stdioOpt = opts.stdio ?? 'inherit';
    const stdio = (typeof stdioOpt === 'string' || typeof stdioOpt === 'number' ? [stdioOpt, stdioOpt, stdioOpt] : stdioOpt) as StdioOption[];
    if (stdio.length !== 3) throw new TypeError('spawn: stdio must be one value or an array of three');

    const resolved = resolveProgram(file, env, cwd);
    const argv = [opts.argv0 ?? file, ...args];
    if (resolved === undefined) {
      // Like child_process: the error arrives asynchronously, on the child.
      const child = new SupervisedChild(0, [null, null, null], file, args);
      queueMicrotask(() => child._spawnError(new SpawnError(2 /* ENOENT */, file, [...args])));
      return child;
    }

    const tracer = this.ensureTracer();
    const actions = this.table.isFrozen ? this.actions! : (this.actions = this.table.freeze());
    if (!this.routesPushed) {
      this.routesPushed = true;
      for (const nr of this.table.wiredNumbers()) this.pushRoute(nr);
    }

    const fds: [number, number, number] = [-1, -1, -1];
    const parentEnds: (number | null)[] = [null, null, null];
    const toClose: number[] = [];
    try {
      stdio.forEach((s, i) => {
        if (s === 'inherit') fds[i] = i;
        else if (s === 'ignore') fds[i] = -1;
        else if (s === 'pipe') {
          const [r, w] = native().pipe();
          fds[i] = i === 0 ? r : w;
          parentEnds[i] = i === 0 ? w : r;
          toClose.push(fds[i]);
        } else if (typeof s === 'number' && Number.isInteger(s) && s >= 0) fds[i] = s;
        else throw new TypeError(`spawn: stdio[${i}] must be 'pipe', 'inherit', 'ignore' or an fd, got ${String(s)}`);
      });
      const envp = Object.entries(env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
      const pid = tracer.spawn({ file: resolved, argv, envp, cwd, stdio: fds, actions });
      const streams: [Writable | null, Readable | null, Readable | null] = [
        parentEnds[0] !== null ? new net.Socket({ fd: parentEnds[0], readable: false, writable: true }) : null,
        parentEnds[1] !== null ? new net.Socket({ fd: parentEnds[1], readable: true, writable: false }) : null,
        parentEnds[2] !== null ? new net.Socket({ fd: parentEnds[2], readable: true, writable: false }) : null,
      ];
      const child = new SupervisedChild(pid, streams, file, args);
      child.exited.then(() => {}, () => {}).finally(() => {
        this.roots.delete(pid);
      });
      this.roots.set(pid, child);
      this.processes.add(pid);
      this.updateRef();
      return child;
    } catch (err) {
      for (const fd of parentEnds) if (fd !== null) fs.closeSync(fd);
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
    for (const child of this.roots.values()) if (!child.exitResult) child._exit(null, 9, false);
    this.processes.clear();
    this.updateRef();
  }

  private actions: Uint32Array | undefined;
  private routesPushed = false;

  private ensureTracer(): NativeTracer {
    if (!this.tracer) {
      const { Tracer } = native();
      this.tracer = new Tracer((events) => this.onEvents(events));
    }
    return this.tracer;
  }

  /** Tell the tracer thread what a seccomp stop on nr does now. */
  private pushRoute(nr: number): void {
    if (!this.tracer || !this.table.isWired(nr)) return;
    if (this.table.hasHandlers(nr)) this.tracer.setRoute(nr, NativeRoute.Handler, 0);
    else if (this.table.bottom(nr) === 'kernel') this.tracer.setRoute(nr, NativeRoute.Continue, 0);
    else this.tracer.setRoute(nr, NativeRoute.Errno, 38 /* ENOSYS: the empty stub */);
  }

  private updateRef(): void {
    const want = this.processes.size > 0 || this.inflight.size > 0;
    if (!this.tracer || want === this.refd) return;
    this.refd = want;
    if (want) this.tracer.ref();
    else this.tracer.unref();
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
        this.onCall(e);
        return;
      case 'cancel': {
        const key = `${e.tid}:${e.seq}`;
        const c = this.inflight.get(key);
        if (c) c.ctl.abort(new Error(`thread ${e.tid} is gone`));
        return;
      }
      case 'newProcess':
        this.processes.add(e.pid);
        this.emit('process', { pid: e.pid, parent: e.parent });
        return;
      case 'exec':
        this.emit('exec', { pid: e.pid, formerTid: e.tid });
        return;
      case 'signal':
        this.emit('signal', { pid: e.pid, tid: e.tid, signal: signalNames.get(e.signal) ?? e.signal });
        return;
      case 'exit': {
        this.processes.delete(e.pid);
        this.roots.get(e.pid)?._exit(e.code, e.signal, e.core);
        this.emit('processExit', { pid: e.pid, code: e.code, signal: e.signal ? signalNames.get(e.signal) ?? null : null });
        if (this.processes.size === 0) this.emit('idle');
        return;
      }
      case 'spawnError': {
        this.processes.delete(e.pid);
        const child = this.roots.get(e.pid);
        if (child) child._spawnError(new SpawnError(e.errno, child.spawnfile, [...child.spawnargs]));
        if (this.processes.size === 0) this.emit('idle');
        return;
      }
    }
  }

  private onCall(e: Extract<NativeEvent, { type: 'call' }>): void {
    const tracer = this.tracer!;
    const key = `${e.tid}:${e.seq}`;
    const args = e.args as unknown as SyscallArgs;
    const chain = this.table.acquire(e.nr);
    const ctl = new AbortController();
    const entry: InflightCall = { ctl, chain, done: false };
    this.inflight.set(key, entry);
    const info = syscallByNr(e.nr);
    const site: CallSite = {
      nr: e.nr,
      name: info?.name ?? `syscall_${e.nr}`,
      pid: e.pid,
      tid: e.tid,
      args,
      signal: ctl.signal,
      bottom: this.table.bottom(e.nr),
      defaultTimeout: this.handlerTimeout,
      report: (r) => this.report(r),
    };
    runLevel(site, chain, 0, args).then((o) => {
      this.inflight.delete(key);
      this.table.release(chain);
      if (!ctl.signal.aborted) this.answer(tracer, e.tid, e.seq, args, o);
      this.updateRef();
    });
  }

  private answer(tracer: NativeTracer, tid: number, seq: bigint, orig: SyscallArgs, o: Outcome): void {
    switch (o.type) {
      case 'return':
        tracer.answer(tid, seq, 0, o.value);
        return;
      case 'error':
        tracer.answer(tid, seq, 0, BigInt.asUintN(64, BigInt(-o.errno)));
        return;
      case 'kernel': {
        const changed = o.args.map((a, i) => (a === orig[i] ? undefined : BigInt.asUintN(64, a)));
        tracer.answer(tid, seq, 1, 0n, changed.some((a) => a !== undefined) ? changed : undefined);
        return;
      }
    }
  }

  private report(r: HandlerReport): void {
    if (this.listenerCount('handlerError') > 0) this.emit('handlerError', r);
    else process.stderr.write(`sysstub: ${r.message}\n`);
  }
}
