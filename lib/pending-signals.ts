// Which signals would interrupt a thread's blocking call, read from
// /proc/PID/task/TID/status (proc(5): SigPnd, ShdPnd, SigBlk, SigIgn, SigCgt;
// bit n-1 for signal n).
//
// The user-notification route needs it: its filter asks for
// SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (native/spawn.cc), so once sysstub
// has received a call, the caller waits through every non-fatal signal. The
// kernel would have ended that wait at once (the signal is taken, then the
// call restarted or failed with EINTR); the supervisor does it instead, for
// the calls whose handler is still working when a signal comes.
import fs from 'node:fs';
import os from 'node:os';
import { sigbit as bit } from './signals.js';

const MASK64 = (1n << 64n) - 1n;
const { SIGCHLD, SIGCONT, SIGURG, SIGWINCH } = os.constants.signals;

/**
 * Signals whose default action is to ignore them (signal(7)): discarded when
 * sent unless caught (kernel sig_task_ignored), so they interrupt nothing.
 * Under ptrace they are queued all the same, and would show as pending.
 */
const DEFAULT_IGNORED = bit(SIGCHLD) | bit(SIGCONT) | bit(SIGURG) | bit(SIGWINCH);

export interface SignalState {
  /** Sent to this thread (SigPnd). */
  own: bigint;
  /** Sent to its thread group (ShdPnd). */
  shared: bigint;
  blocked: bigint;
  ignored: bigint;
  caught: bigint;
}

// One compiled pattern per status line: read every 10 ms per call in flight.
const FIELDS = new Map(['SigPnd', 'ShdPnd', 'SigBlk', 'SigIgn', 'SigCgt'].map((n) => [n, new RegExp(`\\n${n}:\\s*([0-9a-f]+)`)]));

function field(text: string, name: 'SigPnd' | 'ShdPnd' | 'SigBlk' | 'SigIgn' | 'SigCgt'): bigint {
  const m = FIELDS.get(name)!.exec(text);
  return m ? BigInt(`0x${m[1]}`) : 0n;
}

/** The thread's signal state, or undefined when it is gone. */
export function readSignalState(pid: number, tid: number): SignalState | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'latin1');
  } catch {
    return undefined;
  }
  return {
    own: field(text, 'SigPnd'),
    shared: field(text, 'ShdPnd'),
    blocked: field(text, 'SigBlk'),
    ignored: field(text, 'SigIgn'),
    caught: field(text, 'SigCgt'),
  };
}

/**
 * The pending signals that would end the thread's interruptible wait: not
 * blocked, not ignored. `own` ones certainly reach this thread; a `shared`
 * one reaches some thread of the group that does not block it, perhaps
 * another one (kernel complete_signal), so it is a reason only once it has
 * stayed pending a while.
 */
export function interruptingSignals(s: SignalState): { own: bigint; shared: bigint } {
  const takes = ~s.blocked & ~s.ignored & ~(DEFAULT_IGNORED & ~s.caught) & MASK64;
  return { own: s.own & takes, shared: s.shared & takes };
}

/** The lowest signal number in a set (the one the kernel takes first, next_signal), or 0. */
export function lowestSignal(set: bigint): number {
  for (let n = 1; n <= 64; n++) if (set & bit(n)) return n;
  return 0;
}

