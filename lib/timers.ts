// Timers for user-given durations: handler timeouts (lib/call.ts) and fault
// delays (lib/modules/faults.ts). Node's setTimeout takes at most 2^31-1 ms
// and turns anything longer into 1 ms, with a TimeoutOverflowWarning on
// stderr; these chain timers of at most that length instead, so every
// duration means what it says.

/** The longest delay one setTimeout honours (a signed 32-bit int, in ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface LongTimer {
  /** Cancel it; it never fires afterwards. */
  clear(): void;
}

/** Refuse what is not a duration in ms (NaN, negative, not a number): a RangeError naming `what`. */
export function checkDuration(ms: unknown, what: string): number {
  if (typeof ms !== 'number' || Number.isNaN(ms) || ms < 0) {
    throw new RangeError(`${what} must be a non-negative number of ms, got ${typeof ms === 'number' ? ms : typeof ms}`);
  }
  return ms;
}

/**
 * setTimeout for any duration: `fn` runs once after `ms` milliseconds
 * (Infinity: never). `unref`: the timer alone does not keep Node running.
 */
export function setLongTimeout(fn: () => void, ms: number, opts: { unref?: boolean } = {}): LongTimer {
  checkDuration(ms, 'timer delay');
  let timer: NodeJS.Timeout | undefined;
  let cleared = false;
  // Each leg is at most MAX_TIMER_MS; a leg never fires early, so the sum is at least `ms`.
  const arm = (left: number) => {
    const leg = Math.min(left, MAX_TIMER_MS);
    timer = setTimeout(() => {
      if (cleared) return;
      if (left > leg) arm(left - leg);
      else fn();
    }, leg);
    if (opts.unref) timer.unref();
  };
  arm(ms);
  return {
    clear() {
      cleared = true;
      if (timer) clearTimeout(timer);
    },
  };
}

/** Resolve after `ms` milliseconds, any duration. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setLongTimeout(resolve, ms));
}
