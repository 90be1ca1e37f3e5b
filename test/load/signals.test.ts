// Signal storms while calls are in flight (issue 8): 8 threads each make 500
// calls to 401, whose async handler waits 0-3 ms, while a signal thread
// tgkill()s them (SIGUSR1) and itself (SIGUSR2) every 100 us; the handlers are
// installed with SA_RESTART or without; and the same with signal handlers
// that make a trapped call (400) themselves, nested in the interrupted one
// (each must get its exact answer too, or EINTR where a call may).
//
// What a call may then get is defined by the same storm against a real
// blocking call, natively (load_mix signals ... native: read(2) on a pipe that
// a server thread answers after a delay): with SA_RESTART no read fails, the
// kernel restarts it; without, reads fail with EINTR. So, with
// bench/load-mix.js signalExpectation():
//  - notif route ('auto'): like the real call. A call interrupted before its
//    answer reached it has its answer abandoned (onAbandoned runs); with
//    SA_RESTART it is asked again and gets its exact answer, without it fails
//    with EINTR (and some do). Every other call gets its exact answer, and
//    the handler side counts every call answered exactly once.
//  - ptrace route: signals wait until the handler answers (README): every call
//    gets its exact answer, no EINTR, nothing abandoned.
//
// Regression (issue 8, "lost answer without onAbandoned"): without
// SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV a signal that lands while the
// handler's answer is being sent made the kernel drop that answer although
// SECCOMP_IOCTL_NOTIF_SEND succeeded (the woken thread saw the signal first
// and returned -ERESTARTSYS), so the handler answered the restarted call
// again, or the program got EINTR for an answer sysstub counted as
// delivered. The case at the end found it in 3 to 8 of 10 runs.
import { describe, expect, it } from 'vitest';
import * as api from '../../lib/index.js';
import { CONFIGS, LOAD_MIX, checkMix, parseOutput, parts, runMix, signalDelay, signalExpectation, type MixResult } from '../../bench/load-mix.js';
import { ROUTES, effectiveRoute, runNative } from '../helpers.js';
import { reasons } from '../machine.js';
import { probe } from '../probes.js';

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
  for (const [flag, nested] of FLAGS.flatMap((f) => [[f, ''], [f, '-nested']] as const)) {
    const part = parts(CONFIGS.test)[`signals-${flag}${nested}`];
    // Without WAIT_KILLABLE_RECV (< 5.19) the kernel may still drop an answer
    // (the regression below): the program-side checks hold all the same.
    const droppable = effectiveRoute(route) === 'notif' && !probe.killableRecv;
    const exp = { ...part.expect, ...signalExpectation(effectiveRoute(route), flag), handlerAccounting: !droppable };
    const what = exp.eintr === 'allowed' ? 'its exact answer or EINTR (and some EINTR)' : 'its exact answer';
    it(`${flag}${nested}: load_mix ${part.args.join(' ')}: every call gets ${what}`, async () => {
      const r = await runMix(api, { args: part.args, route, toggle: false, delay: signalDelay });
      expect(checkMix(r, exp), summary(r)).toEqual([]);
      expect(r.totals.sigs, summary(r)).toBeGreaterThan(0);
      if (exp.eintr === 'allowed') expect(r.totals.eintr, summary(r)).toBeGreaterThan(0);
    }, 120_000);
  }
});

describe('notif route: an answer the kernel drops is abandoned', () => {
  // The regression described at the top of this file. 401 answers at once (a
  // microtask) so that answers and signals meet; runs the SA_RESTART storm up
  // to 40 times, failing at the first run in which the handlers delivered more
  // answers than the program got, or answered one (tid, nonce, seq) twice
  // without onAbandoned() in between. Before the fix that happened in 3 to 8
  // runs in 10. A kernel without WAIT_KILLABLE_RECV (< 5.19) still has the bug.
  const title = 'signals 8 500 restart: every answer the program did not get ran onAbandoned (no call answered twice)';
  const can = probe.userNotif && probe.killableRecv;
  const why = probe.userNotif ? reasons.killableRecv : reasons.userNotif;
  (can ? it : it.skip)(can ? title : `${title} [skipped: ${why}]`, async () => {
    const part = parts(CONFIGS.test)['signals-restart'];
    const exp = { ...part.expect, ...signalExpectation('notif', 'restart') };
    const t0 = Date.now();
    for (let i = 0; i < 40 && Date.now() - t0 < 45_000; i++) {
      const r = await runMix(api, { args: part.args, route: 'auto', toggle: false, delay: async () => {} });
      const problems = checkMix(r, exp);
      if (problems.length) expect(problems, `run ${i + 1}: ${summary(r)}`).toEqual([]);
    }
  }, 60_000);
});
