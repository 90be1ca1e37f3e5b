// The ptrace route: a trapped call stops its thread in a seccomp stop on the
// tracer thread (native/tracer.cc), which hands it here as a 'call' event;
// the thread waits, stopped, until answer() tells the tracer what it does.
// observe() (RouteCall.runKernel) lets the kernel run the call and stops again at
// its exit for the handler's final word.
import os from 'node:os';
import { answeredBy, CallAbort, runLevel, type RouteCall } from '../call.js';
import { errnoName } from '../errno.js';
import type { Outcome, SyscallArgs } from '../module.js';
import type { NativeEvent } from '../native.js';
import { callSite, type RouteHost } from './host.js';

/** What the tracer does with a call stopped in a seccomp stop (native/seccomp_stop.cc Tracer::AnswerKind, its one native twin). */
export const enum Answer {
  /** Skip the call; the program gets value. */
  Return = 0,
  /** Let the kernel run it, with the arguments given replaced. */
  Run = 1,
  /** The same, stopping at its exit (an 'exitStop' event) for an AtExit answer. */
  RunToExit = 2,
  /** At that exit stop: continue, with rax = value when args[0] is given. */
  AtExit = 3,
}

const { ESRCH } = os.constants.errno;

type CallEvent = Extract<NativeEvent, { type: 'call' }>;

/** Replacement arguments for the tracer: undefined where an argument is unchanged. */
function changedArgs(runArgs: readonly bigint[], args: SyscallArgs): (bigint | undefined)[] | undefined {
  const changed = runArgs.map((a, i) => (a === args[i] ? undefined : BigInt.asUintN(64, a)));
  return changed.some((a) => a !== undefined) ? changed : undefined;
}

export class PtraceRoute {
  /** Calls whose handlers run, by `tid:seq` (the stop they are for). */
  private readonly inflight = new Map<string, CallAbort>();
  /** Handlers waiting in observe() for their call's exit stop, by `tid:seq`. */
  private readonly exitWaiters = new Map<string, (o: Outcome) => void>();
  /** Handler answers to traced calls, by tid, until the call's 'syscall' event takes them. */
  private readonly answers = new Map<number, { nr: number; by: string | null }>();

  constructor(private readonly host: RouteHost) {}

  get pending(): number {
    return this.inflight.size;
  }

  /** A call in a seccomp stop: run its chain, then answer the tracer. */
  onCall(e: CallEvent): void {
    const tracer = this.host.tracer()!;
    const key = `${e.tid}:${e.seq}`;
    const args = e.args as unknown as SyscallArgs;
    const chain = this.host.table.acquire(e.nr);
    const ctl = new CallAbort();
    let ranKernel = false;
    let atExit = false;
    const route: RouteCall = {
      args: () => args,
      valid: () => true,
      // observe(): run the call now, stop at its exit, resolve with its result.
      runKernel: (runArgs) => {
        ranKernel = true;
        tracer.answer(e.tid, e.seq, Answer.RunToExit, 0n, changedArgs(runArgs, args));
        return new Promise<Outcome>((resolve) => this.exitWaiters.set(key, (o) => {
          atExit = true;
          resolve(o);
        }));
      },
    };
    const site = callSite(this.host, e.nr, e.pid, e.tid, route, ctl);
    const answerAtExit = (o: Outcome) => {
      if (o.type === 'kernel') tracer.answer(e.tid, e.seq, Answer.AtExit, 0n);
      else tracer.answer(e.tid, e.seq, Answer.AtExit, o.type === 'return' ? o.value : BigInt.asUintN(64, BigInt(-o.errno)), [0n]);
    };
    const finish = (o: Outcome) => {
      this.inflight.delete(key);
      this.host.table.release(chain);
      if (!site.settle(o)) return;
      // The program gets a handler's answer (not the kernel's result): say whose, for the trace.
      if (o.type !== 'kernel' && this.host.table.traced.has(e.nr)) this.answers.set(e.tid, { nr: e.nr, by: answeredBy(o) });
      if (ranKernel) {
        // The handler's final word on the result, given at the exit stop (now,
        // or when the call gets there: a handler that timed out while it ran).
        if (atExit) answerAtExit(o);
        else this.exitWaiters.set(key, () => answerAtExit(o));
      } else if (o.type === 'return') tracer.answer(e.tid, e.seq, Answer.Return, o.value);
      else if (o.type === 'error') tracer.answer(e.tid, e.seq, Answer.Return, BigInt.asUintN(64, BigInt(-o.errno)));
      else tracer.answer(e.tid, e.seq, Answer.Run, 0n, changedArgs(o.args, args));
    };
    this.inflight.set(key, ctl);
    const o = this.host.watched(e.nr, () => runLevel(site, chain, 0, args));
    if (o instanceof Promise) {
      o.then((r) => {
        finish(r);
        this.host.updateRef();
      });
    } else finish(o);
  }

  /** The stopped thread is gone (or will never be answered): its handler is abandoned. */
  onCancel(e: Extract<NativeEvent, { type: 'cancel' }>): void {
    const key = `${e.tid}:${e.seq}`;
    this.inflight.get(key)?.abort(new Error(`thread ${e.tid} is gone`));
    const w = this.exitWaiters.get(key);
    if (w) {
      this.exitWaiters.delete(key);
      w({ type: 'error', errno: ESRCH, code: 'ESRCH' });
    }
  }

  /** An observed call reached its exit stop: its result goes to the handler waiting in observe(). */
  onExitStop(e: Extract<NativeEvent, { type: 'exitStop' }>): void {
    const key = `${e.tid}:${e.seq}`;
    const w = this.exitWaiters.get(key);
    this.exitWaiters.delete(key);
    const ret = BigInt.asIntN(64, e.ret);
    if (w) w(ret < 0n && ret >= -4095n ? { type: 'error', errno: Number(-ret), code: errnoName(Number(-ret)) ?? `E${-ret}` } : { type: 'return', value: BigInt.asUintN(64, ret) });
    else this.host.tracer()?.answer(e.tid, e.seq, Answer.AtExit, 0n); // nobody waits (closing): let it go
  }

  /**
   * Whose answer a traced call's program got: a handler's (noted when it
   * answered), a native constant's (the tracer says it answered without
   * running the call), or the kernel's (null).
   */
  handledBy(e: { readonly tid: number; readonly nr: number; readonly emulated: boolean }): string | null {
    const noted = this.answers.get(e.tid);
    if (noted && noted.nr === e.nr) {
      this.answers.delete(e.tid);
      return noted.by;
    }
    return e.emulated ? this.host.table.constantOwner(e.nr) ?? null : null;
  }

  onThreadExit(tid: number): void {
    this.answers.delete(tid);
  }

  abortAll(why: Error): void {
    for (const c of this.inflight.values()) c.abort(why);
  }
}
