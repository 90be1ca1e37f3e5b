// The user-notification route (seccomp_unotify(2)): each spawned tree's
// filter has a listener, polled by Node's own loop (native/notif.cc), which
// calls onCall() with the notification's id and arguments in a shared view;
// the answer goes back with respond(). A signal for a thread whose handler
// still works interrupts the call as the kernel would (watch(),
// lib/pending-signals.ts, Tracer::InterruptNotified).
import os from 'node:os';
import { CallAbort, runLevel, type RouteCall } from '../call.js';
import type { SupervisedChild } from '../child.js';
import { errnoName } from '../errno.js';
import type { Outcome, SyscallArgs } from '../module.js';
import { native, type NativeEvent, type NativeNotifListener } from '../native.js';
import { interruptingSignals, lowestSignal, readSignalState } from '../pending-signals.js';
import { signalName } from '../signals.js';
import { syscallName } from '../syscalls/index.js';
import { callSite, type RouteHost } from './host.js';

/** How the notif route answers a notification (native/notif.cc NotifListenerWrap::AnswerKind, its one native twin). */
export const enum NotifAnswer {
  /** Return value (an errno when it is -4095..-1). */
  Return = 0,
  /** SECCOMP_USER_NOTIF_FLAG_CONTINUE: let the kernel run the call. */
  Continue = 1,
}

const { EIO } = os.constants.errno;

/** A notification whose handler has not answered yet. */
interface InflightCall {
  ctl: CallAbort;
  listener: NativeNotifListener;
  /** Set once the handler went async (the view then belongs to the next notification). */
  id?: bigint;
  /** A signal for the thread group was pending at the last look (watch()). */
  sharedSeen?: boolean;
}

export class NotifRoute {
  private readonly listeners = new Set<NativeNotifListener>();
  /** Spawned children whose listener has not reported yet (their route is 'pending'). */
  private readonly pendingRoute = new Map<NativeNotifListener, SupervisedChild>();
  /** Each spawned tree's listener, until the tree is gone; then only its counts stay (stats()). */
  private readonly listenerOf = new Map<number, NativeNotifListener>();
  private readonly released = { received: 0, nativeAnswers: 0 };
  /** The pending call of each thread (a thread has at most one). */
  private readonly byTid = new Map<number, InflightCall>();
  /** Calls whose handlers went async, by notification id. */
  private readonly inflight = new Map<bigint, InflightCall>();
  private timer: NodeJS.Timeout | undefined;
  private refd = true;

  constructor(private readonly host: RouteHost) {}

  get pending(): number {
    return this.inflight.size;
  }

  /** A listener for a tree about to be spawned: its fd comes home on sock. */
  open(sock: number): NativeNotifListener {
    const { NotifListener } = native();
    const view = new BigUint64Array(7);
    const listener: NativeNotifListener = new NotifListener(
      sock,
      (ok: boolean, syncWakeup: boolean, fallbackErrno: number) => this.onReady(listener, ok, syncWakeup, fallbackErrno),
      (tid: number, nr: number) => this.onCall(listener, view, tid, nr),
      view,
    );
    for (const nr of this.host.table.wiredNumbers()) this.host.table.pushTo(listener, nr);
    listener.ref(this.refd);
    this.listeners.add(listener);
    return listener;
  }

  /** The tree of child (pid) uses listener. */
  attach(listener: NativeNotifListener, pid: number, child: SupervisedChild): void {
    this.pendingRoute.set(listener, child);
    this.listenerOf.set(pid, listener);
  }

  /** A listener whose spawn failed. */
  discard(listener: NativeNotifListener): void {
    this.listeners.delete(listener);
    listener.close();
  }

  // fallbackErrno: why the child fell back (EINVAL/ENOSYS: no user
  // notification in this kernel; EBUSY: it has a listener already); 0 with
  // !ok: it died before it got that far. With a listener, it says the filter
  // went in without WAIT_KILLABLE_RECV (a kernel before 5.19): a signal can
  // then make the kernel drop an answer sent as it came (native/spawn.cc).
  private onReady(listener: NativeNotifListener, ok: boolean, syncWakeup: boolean, fallbackErrno: number): void {
    const child = this.pendingRoute.get(listener);
    this.pendingRoute.delete(listener);
    if (child) child.route = ok ? 'notif' : 'ptrace';
    if (!ok) this.discard(listener);
    if (ok || fallbackErrno) {
      const reason = ok ? undefined : errnoName(fallbackErrno) ?? `E${fallbackErrno}`;
      const killableWait = ok && fallbackErrno === 0;
      this.host.emit('route', { pid: child?.pid, route: ok ? 'notif' : 'ptrace', syncWakeup, killableWait, reason });
    }
  }

  /** A spawned tree is gone: its listener closes, and nothing of it stays but its counts. */
  releaseTree(root: number): void {
    const l = this.listenerOf.get(root);
    if (!l) return;
    this.listenerOf.delete(root);
    const n = l.stats();
    this.released.received += n.received;
    this.released.nativeAnswers += n.nativeAnswers;
    this.pendingRoute.delete(l);
    this.discard(l);
  }

  /** Tell every listener what a call on nr does now. */
  push(nr: number): void {
    for (const l of this.listeners) this.host.table.pushTo(l, nr);
  }

  ref(want: boolean): void {
    this.refd = want;
    for (const l of this.listeners) l.ref(want);
  }

  stats(): { received: number; nativeAnswers: number } {
    let { received, nativeAnswers } = this.released;
    for (const l of this.listenerOf.values()) {
      const n = l.stats();
      received += n.received;
      nativeAnswers += n.nativeAnswers;
    }
    return { received, nativeAnswers };
  }

  close(): void {
    for (const c of this.inflight.values()) c.ctl.abort(new Error('supervisor closed'));
    for (const root of [...this.listenerOf.keys()]) this.releaseTree(root);
    for (const l of this.listeners) l.close();
    this.listeners.clear();
    if (this.timer) clearTimeout(this.timer);
  }

  /**
   * A thread of pid entered group-stop (or left it: signal 0). Its siblings'
   * calls the route holds would keep them out of the stop (the filter's
   * WAIT_KILLABLE_RECV wait ends only for a fatal signal), and the stop would
   * never complete: they are interrupted, now and, until the process is
   * continued, as they come (onCall). Not earlier, at the stopping thread's
   * signal-delivery stop: the stop has not begun then, and a sibling whose
   * interrupted call restarted before its JOBCTL_STOP_PENDING was set would
   * be held again, for ever (kernel do_signal_stop sets it on every thread
   * before the first one stops, so it is set by the time this is reported).
   */
  onGroupStop(e: Extract<NativeEvent, { type: 'groupStop' }>): void {
    if (e.signal === 0) {
      this.stopping.delete(e.pid);
      return;
    }
    this.stopping.set(e.pid, e.signal);
    for (const [tid, c] of this.byTid) {
      if (c.ctl.aborted || c.id === undefined || this.host.tree.knownTgid(tid) !== e.pid) continue;
      this.interrupt(tid, c, e.signal);
    }
  }

  /** Processes with a group-stop in progress, and its signal (onGroupStop). */
  private readonly stopping = new Map<number, number>();

  /** pid exited (call before the tree forgets its threads): its calls are abandoned. */
  onProcessExit(pid: number): void {
    this.stopping.delete(pid);
    for (const [tid, c] of this.byTid) {
      if (this.host.tree.knownTgid(tid) === pid) c.ctl.abort(new Error(`process ${pid} exited`));
    }
  }

  /**
   * A call, dispatched on this thread while the listener's view holds its id
   * and arguments; answered with respondCurrent() when the handler is
   * synchronous, respond(id) otherwise.
   */
  private onCall(listener: NativeNotifListener, view: BigUint64Array, tid: number, nr: number): void {
    const { table, tree } = this.host;
    // A thread has one call in flight: an older pending one was interrupted
    // by a signal (the kernel will renotify or return EINTR) and is abandoned.
    this.byTid.get(tid)?.ctl.abort(new Error('interrupted by a signal'));
    let id: bigint | undefined;
    let args: SyscallArgs | undefined;
    const getId = () => (id ??= view[0]);
    const loadArgs = () => (args ??= [view[1], view[2], view[3], view[4], view[5], view[6]] as unknown as SyscallArgs);
    const ctl = new CallAbort();
    const entry: InflightCall = { ctl, listener };
    const chain = table.acquire(nr);
    const pid = tree.tgidOf(tid);
    // NOTIF_ID_VALID after reading and before writing tracee memory
    // (seccomp_unotify(2)): the tid may have died and been reused. A pid is not
    // recycled within a millisecond, so one check covers the accesses of a burst.
    let validAt = -Infinity;
    const route: RouteCall = {
      args: loadArgs,
      valid: () => {
        const now = performance.now();
        if (now - validAt < 1) return true;
        const ok = listener.isValid(getId());
        if (ok) validAt = now;
        return ok;
      },
    };
    const site = callSite(this.host, nr, pid, tid, route, ctl);
    let sync = true;
    const finish = (o: Outcome) => {
      if (this.byTid.get(tid) === entry) this.byTid.delete(tid);
      table.release(chain);
      if (!site.settle(o)) return;
      if (o.type === 'kernel' && !o.args.every((a, i) => a === loadArgs()[i])) {
        // Only the ptrace route can run the kernel's call with new arguments.
        const name = syscallName(nr);
        const module = chain[0]?.module.name ?? '?';
        this.host.report({
          module, syscall: name, nr, pid, tid, fault: 'invalid-result', detail: o, errno: EIO,
          message: `module "${module}": ${name} handler passed rewritten arguments to the kernel on the user-notification route; use route: 'ptrace' (the call failed with EIO)`,
        });
        o = { type: 'error', errno: EIO, code: 'EIO' };
      }
      const kind = o.type === 'kernel' ? NotifAnswer.Continue : NotifAnswer.Return;
      const value = o.type === 'return' ? BigInt.asIntN(64, o.value) : o.type === 'error' ? BigInt(-o.errno) : 0n;
      const rc = sync && value >= -(2n ** 53n) && value <= 2n ** 53n ? listener.respondCurrent(kind, Number(value)) : listener.respond(getId(), kind, value);
      // ENOENT: the call is gone (its thread died, or an old kernel let a signal interrupt it).
      if (rc < 0 && site.hasUndos) site.runUndos();
    };
    this.byTid.set(tid, entry);
    const o = this.host.watched(nr, () => runLevel(site, chain, 0, null));
    if (!(o instanceof Promise)) return finish(o);
    // The view belongs to the next notification once we return.
    sync = false;
    entry.id = getId();
    loadArgs();
    this.inflight.set(entry.id, entry);
    const stop = this.stopping.get(pid);
    if (stop !== undefined) this.interrupt(tid, entry, stop); // it must join the group-stop first
    this.watch();
    this.host.updateRef();
    o.then((r) => {
      this.inflight.delete(entry.id!);
      finish(r);
      this.host.updateRef();
    });
  }

  /**
   * Watches the calls whose handlers are still working: one that became
   * invalid (its thread died, or a kernel without WAIT_KILLABLE_RECV let a
   * signal interrupt it) is abandoned; one whose thread has a signal to take
   * is interrupted, as the kernel would have done at once. The kernel tells us
   * neither (seccomp_unotify(2)), so this looks every 10 ms while calls are
   * pending, less often when looking costs more than a tenth of that.
   */
  private watch(): void {
    if (this.timer) return;
    const tick = () => {
      this.timer = undefined;
      const t0 = performance.now();
      let pending = 0;
      for (const [tid, c] of this.byTid) {
        if (c.ctl.aborted || c.id === undefined) continue;
        pending++;
        if (!c.listener.isValid(c.id)) {
          c.ctl.abort(new Error('interrupted by a signal, or the thread died'));
          continue;
        }
        const state = readSignalState(this.host.tree.tgidOf(tid), tid);
        if (!state) continue;
        const { own, shared } = interruptingSignals(state);
        if (own || (shared && c.sharedSeen)) this.interrupt(tid, c, lowestSignal(own || shared));
        else c.sharedSeen = shared !== 0n;
      }
      if (pending === 0) return;
      this.timer = setTimeout(tick, Math.max(10, 10 * (performance.now() - t0)));
      this.timer.unref();
    };
    this.timer = setTimeout(tick, 10);
    this.timer.unref();
  }

  /**
   * Ends a call whose thread has `signal` to take: its handler is abandoned
   * (its answer, when it comes, is dropped and its undos run), and the tracer
   * answers -ERESTARTSYS, so the signal is delivered and the call restarted or
   * failed with EINTR as SA_RESTART says (Tracer::InterruptNotified).
   */
  private interrupt(tid: number, c: InflightCall, signal: number): void {
    c.ctl.abort(new Error(`interrupted by ${String(signalName(signal))}`));
    if (this.byTid.get(tid) === c) this.byTid.delete(tid);
    this.host.tracer()?.interruptNotified(tid, c.listener, c.id!);
  }
}
