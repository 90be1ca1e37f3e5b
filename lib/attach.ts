// Attaching to a running process (Supervisor.attach): what may be attached
// (checked here, from /proc, so that each refusal says why in words), the
// attached process as JS sees it, and the errors. The mechanics are native
// (native/attach.h): PTRACE_SEIZE of every thread, and either a routing
// filter injected into the process (it traps only slots the kernel answers
// with ENOSYS, so it changes nothing once detached) or PTRACE_SYSCALL stops.
import fs from 'node:fs';
import os from 'node:os';
import { SupervisedChild } from './child.js';
import { errnoName } from './errno.js';

/** How an attached process's calls reach the stub table. */
export type AttachRoute = 'filter' | 'syscall';

export interface AttachOptions {
  /**
   * 'auto' (default): the injected filter when every wired slot is a stub or
   * unassigned number (ENOSYS natively) and nothing is traced, else
   * PTRACE_SYSCALL stops. 'syscall' forces the stops; 'filter' fails when the
   * filter cannot serve the table.
   */
  route?: 'auto' | AttachRoute;
}

/** An error of attach(), shaped like Node's SystemError where the kernel said no. */
export class AttachError extends Error {
  constructor(message: string, readonly code: string, readonly errno?: number, readonly syscall?: string) {
    super(message);
    this.name = 'AttachError';
  }
}

const PF_KTHREAD = 0x00200000;

/** The thread group to attach for pid, or an AttachError saying why it cannot be. */
export function checkAttachable(pid: number, ownTracees: ReadonlySet<number>): number {
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new TypeError(`attach: pid must be a positive integer, got ${String(pid)}`);
  let status: string;
  let stat: string;
  try {
    status = fs.readFileSync(`/proc/${pid}/status`, 'latin1');
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    throw new AttachError(`attach ${pid}: no such process`, 'ESRCH', -os.constants.errno.ESRCH, 'attach');
  }
  const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1] ?? '';
  const tgid = Number(field('Tgid'));
  // /proc/PID/stat: "pid (comm) state ppid ... flags" (proc(5)); comm may hold spaces and parentheses.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const flags = Number(rest[6]);
  if (flags & PF_KTHREAD) throw new AttachError(`attach ${pid}: a kernel thread cannot be traced`, 'EPERM', -os.constants.errno.EPERM, 'attach');
  if (tgid === process.pid) throw new AttachError(`attach ${pid}: that is this supervisor itself`, 'EINVAL', -os.constants.errno.EINVAL, 'attach');
  if (rest[0] === 'Z' || rest[0] === 'X') throw new AttachError(`attach ${pid}: the process has exited (a zombie, not yet reaped)`, 'ESRCH', -os.constants.errno.ESRCH, 'attach');
  // Our own child: libuv waits for it by pid (waitpid, no __WNOTHREAD), and
  // with tracer and parent in one thread group the kernel reports its ptrace
  // stops to that wait too (wait_consider_task: "traced by its real parent's
  // group"), where child_process would take a stop for its exit.
  if (Number(field('PPid')) === process.pid) {
    throw new AttachError(`attach ${pid}: it is a child of this process (child_process would take its ptrace stops for an exit); start it with Supervisor.spawn, or from another process`, 'EINVAL', -os.constants.errno.EINVAL, 'attach');
  }
  if (ownTracees.has(tgid)) throw new AttachError(`attach ${pid}: already supervised here`, 'EBUSY', -os.constants.errno.EBUSY, 'attach');
  const tracer = Number(field('TracerPid'));
  if (tracer) {
    const who = tracerName(tracer);
    throw new AttachError(`attach ${pid}: already traced by ${who} (a task may have one tracer)`, 'EBUSY', -os.constants.errno.EBUSY, 'attach');
  }
  return tgid;
}

function tracerName(pid: number): string {
  let comm = '';
  try {
    comm = fs.readFileSync(`/proc/${pid}/comm`, 'latin1').trim();
  } catch {
    // gone meanwhile
  }
  return comm ? `${comm} (pid ${pid})` : `pid ${pid}`;
}

/** The tracer thread's refusal, in words: EPERM names Yama's ptrace_scope when it is what says no. */
export function attachFailed(pid: number, err: NodeJS.ErrnoException): AttachError {
  const errno = err.errno ?? 0;
  const name = errnoName(-errno) ?? err.code ?? 'EIO';
  let why = err.message;
  if (name === 'EPERM') {
    let scope = '';
    try {
      scope = fs.readFileSync('/proc/sys/kernel/yama/ptrace_scope', 'latin1').trim();
    } catch {
      // no Yama
    }
    why = scope && scope !== '0'
      ? `not permitted (Yama ptrace_scope is ${scope}: see /proc/sys/kernel/yama/ptrace_scope; root or CAP_SYS_PTRACE may attach at 1 and 2)`
      : 'not permitted (another user\'s process needs root or CAP_SYS_PTRACE)';
  } else if (name === 'ESRCH') {
    why = 'no such process (it exited)';
  }
  return new AttachError(`attach ${pid}: ${why}`, name, errno, 'ptrace');
}

/** The native attach result (lib/native.ts NativeAttachResult). */
export interface AttachFacts {
  threads: number;
  filter: boolean;
  filterErrno: number;
  stopped: boolean;
}

/**
 * A process sysstub attached to: its calls are served as a spawned child's
 * are until `detach()`, after which it runs on as if sysstub had never been
 * there. Not sysstub's child: no stdio; `exited` settles only when it exits
 * while attached; `ended` settles either way.
 */
export class AttachedProcess extends SupervisedChild {
  /** How its calls are served: the injected filter, or PTRACE_SYSCALL stops. */
  readonly attachRoute: AttachRoute;
  /** Why the filter could not go in (an errno name), when the route fell back to 'syscall'. */
  readonly filterError: string | null;
  /** Threads seized at attach. */
  readonly threads: number;
  /** It was stopped (T) at attach; it stays stopped, and so after detach. */
  readonly stoppedAtAttach: boolean;
  /** 'exit' (it exited while attached) or 'detach'. */
  readonly ended: Promise<'exit' | 'detach'>;
  private endedWith!: (how: 'exit' | 'detach') => void;
  /** @internal */
  _detachVia: (() => Promise<void>) | undefined;

  /** @internal */
  constructor(pid: number, facts: AttachFacts, wanted: AttachRoute) {
    super(pid, [null, null, null], exeOf(pid), argsOf(pid));
    this.route = 'ptrace';
    this.threads = facts.threads;
    this.stoppedAtAttach = facts.stopped;
    this.attachRoute = wanted === 'filter' && facts.filter ? 'filter' : 'syscall';
    this.filterError = wanted === 'filter' && !facts.filter ? errnoName(facts.filterErrno) ?? `errno ${facts.filterErrno}` : null;
    this.ended = new Promise((resolve) => (this.endedWith = resolve));
    this.exited.then(() => this.endedWith('exit'), () => {});
  }

  /** Let it go: every thread at its next stop (after its call in flight, if any, is answered). */
  detach(): Promise<void> {
    return this._detachVia ? this._detachVia() : this.ended.then(() => {});
  }

  private rootDetached = false;

  /** @internal A process of its tree was detached: once it is itself, `ended` says 'detach' when the tree is gone. */
  _processDetached(pid: number): void {
    if (pid === this.pid) this.rootDetached = true;
  }

  /** @internal Every process of its tree is detached or has exited. */
  override _treeExited(): void {
    super._treeExited();
    if (this.rootDetached) this.endedWith('detach');
  }

  /** @internal close() detached everything at once. */
  _detached(): void {
    this.rootDetached = true;
    this._treeExited();
  }
}

function exeOf(pid: number): string {
  try {
    return fs.readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return `pid ${pid}`;
  }
}

function argsOf(pid: number): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(1, -1);
  } catch {
    return [];
  }
}
