// Timers with user-given durations (handler timeouts, fault delays) of 2^31 ms
// or more, which Node's setTimeout turns into 1 ms; and the library options
// that take them, which refuse what is not a duration with an error naming the option.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defineModule, faults } from '../../lib/index.js';
import { setLongTimeout, sleep } from '../../lib/timers.js';
import { fixture, runSupervised } from '../helpers.js';

describe('setLongTimeout and sleep', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fire after the whole delay, not after 1 ms', async () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    setLongTimeout(fn, 2 ** 31 + 10);
    let slept = false;
    void sleep(3_000_000_000).then(() => (slept = true));
    vi.advanceTimersByTime(2 ** 31);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(10);
    expect(fn).toHaveBeenCalledOnce();
    await vi.advanceTimersByTimeAsync(3_000_000_000 - 2 ** 31 - 11);
    expect(slept).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(slept).toBe(true);
  });

  it('a cleared timer never fires, whichever leg it is on', () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    const t = setLongTimeout(fn, 2 ** 32);
    vi.advanceTimersByTime(2 ** 31 + 5);
    t.clear();
    vi.advanceTimersByTime(2 ** 33);
    expect(fn).not.toHaveBeenCalled();
  });

  it('refuse what is not a duration', () => {
    expect(() => setLongTimeout(() => {}, NaN)).toThrow(RangeError);
    expect(() => setLongTimeout(() => {}, -1)).toThrow(RangeError);
  });
});

describe('library options that take a duration', () => {
  it('Supervisor handlerTimeout of 2^40 ms: a 200 ms handler answers', async () => {
    const slow = defineModule({
      name: 'slow',
      syscalls: { getpmsg: async () => { await new Promise((r) => setTimeout(r, 200)); return 7; } },
    });
    const r = await runSupervised(fixture('stubcall'), ['181'], { modules: [slow], supervisor: { handlerTimeout: 2 ** 40 } });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('181 = 7\n');
  });

  it('faults() rules: a bad number is a TypeError or RangeError naming the rule and the option', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ retval: 1, delayEnter: NaN }, /faults: getpid: delayEnter must be .*ms.*got NaN/],
      [{ retval: 1, delayEnter: -1 }, /delayEnter/],
      [{ retval: 1, delayExit: Infinity }, /delayExit/],
      [{ retval: 1, delayEnter: '5' }, /delayEnter/],
      [{ retval: 2n ** 64n }, /faults: getpid: retval .*-9223372036854775808\.\.18446744073709551615/],
      [{ retval: 1.5 }, /retval/],
      [{ retval: 1, nth: [0] }, /nth/],
      [{ retval: 1, nth: [1.5] }, /nth/],
      [{ retval: 1, fd: 2 ** 31 }, /fd .*-2147483648\.\.2147483647/],
      [{ setArgs: { 6: 1 } }, /setArgs/],
      [{ setArgs: { 0: 2n ** 64n } }, /setArgs\.0/],
      [{ retval: 1, signal: 99 }, /signal/],
      [{ retval: 1, delay_enter: 5 }, /faults: getpid: unknown key "delay_enter" \(valid: .*delayEnter/],
    ];
    for (const [spec, match] of bad) {
      let err: unknown;
      try {
        faults({ getpid: spec as never });
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(spec, (_, v) => (typeof v === 'bigint' ? String(v) : v))).toBeInstanceOf(Error);
      expect(err instanceof TypeError || err instanceof RangeError).toBe(true);
      expect((err as Error).message).toMatch(match);
    }
    expect(() => faults({ getpid: { retval: 2n ** 64n - 1n, delayEnter: 2 ** 40, fd: -100, nth: [1, 3] } })).not.toThrow();
  });

  it('a handler timeout that is not a duration is refused by defineModule', () => {
    expect(() => defineModule({ name: 'm', syscalls: { getpmsg: { handler: () => 0, timeout: NaN } } })).toThrow(/syscalls\.getpmsg\.timeout/);
  });
});
