// A program a Supervisor spawned: its pid, stdio streams and exit, as
// child_process's ChildProcess has them, plus the spawn options and the
// Node-shaped SpawnError for a program that could not be executed.
import { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { errnoName, strerror } from './errno.js';
import { signalNames } from './signals.js';
import type { SyscallEvent } from './trace/events.js';

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

/** Bytes as text (lossy for non-UTF-8 bytes: for messages and spawnargs only). */
export const text = (b: Bytes): string => (typeof b === 'string' ? b : Buffer.from(b).toString());

/**
 * A process started by a Supervisor, supervised with everything it starts.
 * Events: 'exit' (code, signal), 'error' (SpawnError), and with the
 * supervisor's trace option 'syscall' (SyscallEvent) for its whole tree, as
 * calls finish: child.on('syscall', e => ...), or `for await (const e of
 * child.syscalls())`, which ends when the whole tree has exited and its output
 * is in.
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
  private treeGone!: () => void;
  /** Resolves when the child and everything it started have exited (the supervisor closing counts). */
  private readonly treeDone = new Promise<void>((resolve) => (this.treeGone = resolve));
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

  /**
   * The tree's traced calls as they finish, as an async iterator that ends
   * once the child's whole tree has exited and its output is in (`closed`),
   * after the calls reported until then; a spawn error ends it with that error.
   */
  syscalls(): AsyncIterableIterator<SyscallEvent> {
    const queue: SyscallEvent[] = [];
    // Callers of next() waiting for an event, in order (next() may be called again before it settles).
    const waiting: { resolve: (r: IteratorResult<SyscallEvent>) => void; reject: (e: unknown) => void }[] = [];
    let done = false;
    let failure: unknown;
    const settle = () => {
      while (waiting.length > 0 && (queue.length > 0 || done)) {
        const w = waiting.shift()!;
        if (queue.length > 0) w.resolve({ value: queue.shift()!, done: false });
        else if (failure !== undefined) {
          w.reject(failure);
          failure = undefined; // thrown once; the iterator is done after it
        } else w.resolve({ value: undefined, done: true });
      }
    };
    const onCall = (e: SyscallEvent) => {
      queue.push(e);
      settle();
    };
    this.on('syscall', onCall);
    const finish = (err?: unknown) => {
      // The tracer's events of a batch are emitted before its exit settles `closed`: none is lost.
      if (done) return;
      done = true;
      failure = err;
      this.off('syscall', onCall);
      settle();
    };
    Promise.all([this.closed, this.treeDone]).then(() => finish(), finish);
    const it: AsyncIterableIterator<SyscallEvent> = {
      next: () => new Promise<IteratorResult<SyscallEvent>>((resolve, reject) => {
        waiting.push({ resolve, reject });
        settle();
      }),
      return: async () => {
        finish();
        queue.length = 0;
        settle();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
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

  /** @internal The last process of this child's tree has exited. */
  _treeExited(): void {
    this.treeGone();
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
