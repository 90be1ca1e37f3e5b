// Signal storms while calls are in flight (issue 8): 8 threads each make 500
// calls to 401, whose async handler waits 0-3 ms, while a signal thread
// tgkill()s them (SIGUSR1) and itself (SIGUSR2) every 100 us; the handlers are
// installed with SA_RESTART or without.
//
// What a call may then get is defined by the same storm against a real
// blocking call, natively (load_mix signals ... native: read(2) on a pipe that
// a server thread answers after a delay): with SA_RESTART no read fails, the
// kernel restarts it; without, reads fail with EINTR. So, with
// bench/load-mix.js signalExpectation():
//  - notif route ('auto'): like the real call. A call interrupted before its
//    answer reached it has its answer abandoned (onAbandoned runs); with
//    SA_RESTART it is asked again and gets its exact answer, without it fails
//    with EINTR (and some do). Every other call gets its exact answer.
//  - ptrace route: signals wait until the handler answers (README): every call
//    gets its exact answer, no EINTR, nothing abandoned.
import { describe, expect, it } from 'vitest';
import * as api from '../../lib/index.js';
import { CONFIGS, LOAD_MIX, checkMix, parseOutput, parts, runMix, signalDelay, signalExpectation, type MixResult } from '../../bench/load-mix.js';
import { ROUTES, effectiveRoute, runNative } from '../helpers.js';

const summary = (r: MixResult) =>
  `${r.route} ${r.args.join(' ')}: ${r.seconds.toFixed(1)} s, ${JSON.stringify(r.totals)}, handlers ${r.tracker.calls} (abandoned ${r.tracker.abandoned}), trapped ${r.trapped}`;

const { threads, n } = CONFIGS.test.signals!;
const FLAGS = ['restart', 'norestart'] as const;

describe('the native reference: the same storm against a blocking read(2)', () => {
  for (const flag of FLAGS) {
    it(`${flag}: every read gets its answer; ${flag === 'restart' ? 'none fails with EINTR' : 'some fail with EINTR first'}`, async () => {
      const r = await runNative(LOAD_MIX, ['signals', String(threads), String(n), flag, 'native'], { timeoutMs: 60_000 });
      expect({ exitCode: r.exitCode, stderr: r.stderr }).toEqual({ exitCode: 0, stderr: '' });
      const { totals } = parseOutput(r.stdout);
      expect(totals.calls).toBe(threads * n);
      expect(totals.ok).toBe(threads * n);
      expect(totals.sigs).toBeGreaterThan(0);
      if (flag === 'restart') expect(totals.eintr, r.stdout).toBe(0);
      else expect(totals.eintr, r.stdout).toBeGreaterThan(0);
    }, 60_000);
  }
});

describe.each(ROUTES)('route %s', (route) => {
  for (const flag of FLAGS) {
    const part = parts(CONFIGS.test)[`signals-${flag}`];
    const exp = { ...part.expect, ...signalExpectation(effectiveRoute(route), flag) };
    const what = exp.eintr === 'allowed' ? 'its exact answer or EINTR (and some EINTR)' : 'its exact answer';
    it(`${flag}: load_mix ${part.args.join(' ')}: every call gets ${what}`, async () => {
      const r = await runMix(api, { args: part.args, route, toggle: false, delay: signalDelay });
      expect(checkMix(r, exp), summary(r)).toEqual([]);
      expect(r.totals.sigs, summary(r)).toBeGreaterThan(0);
      if (exp.eintr === 'allowed') expect(r.totals.eintr, summary(r)).toBeGreaterThan(0);
    }, 120_000);
  }
});
