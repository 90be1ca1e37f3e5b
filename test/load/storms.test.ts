// Storms (issue 8), on both routes, with the answering modules (400 sync, 401
// async) unloaded and loaded again at random while they run, checked as in
// mix.test.ts (bench/load-mix.js checkMix(): every call answered once, to its
// own thread, exit 0, nothing of the tree left in /proc):
//  - thread creation/exit: 4 spawner threads x 50 rounds x 20 short threads
//    (4000 threads created, each making 2 trapped calls and exiting);
//  - a binary fork tree of depth 8 (511 processes), each making 4 calls before
//    forking its two children and reaping them;
//  - exec: 40 processes, each exec'ing itself 10 times (/proc/self/exe) and
//    making 4 calls in every image, its sequence numbers carried on;
//  - exit and exec while calls are in flight: 16 threads call 401 in a loop
//    while the main thread exit()s (or execs itself, 5 times over): exit 0, no
//    (tid, nonce, seq) answered twice, the handler calls of the threads that
//    died end (every answered call is delivered or abandoned), nothing left.
import { describe, expect, it } from 'vitest';
import * as api from '../../lib/index.js';
import { CONFIGS, checkMix, parts, runMix, type MixResult } from '../../bench/load-mix.js';
import { ROUTES } from '../helpers.js';

const summary = (r: MixResult) =>
  `${r.route} ${r.args.join(' ')}: ${r.seconds.toFixed(1)} s, ${JSON.stringify(r.totals)}, handlers ${r.tracker.calls}, trapped ${r.trapped}, toggles ${r.toggles}`;

const all = parts(CONFIGS.test);

describe.each(ROUTES)('route %s', (route) => {
  for (const name of ['threads', 'tree', 'exec'] as const) {
    const part = all[name];
    it(`${name}: load_mix ${part.args.join(' ')}`, async () => {
      const r = await runMix(api, { args: part.args, route });
      expect(checkMix(r, part.expect), summary(r)).toEqual([]);
    }, 120_000);
  }

  for (const args of [['exit-inflight', '16'], ['exec-inflight', '16', '5']]) {
    it(`${args[0]}: load_mix ${args.join(' ')}: the process ends cleanly with calls in flight`, async () => {
      // No toggling: with the module unloaded, answers are the native ENOSYS
      // and no handler might run before the process ends (seen under ASan).
      const r = await runMix(api, { args, route, toggle: false });
      const irregular = r.tracker.irregular();
      expect(
        {
          hung: r.hung, exitCode: r.exitCode, signal: r.signal, stderr: r.stderr, pids: r.pids.size,
          done: args[0] === 'exec-inflight' ? r.done : null, irregular: irregular.examples,
          badArgs: r.tracker.badArgs, liveAfter: r.liveAfter, leftovers: r.leftovers,
        },
        summary(r),
      ).toEqual({
        hung: false, exitCode: 0, signal: null, stderr: '', pids: 1,
        done: args[0] === 'exec-inflight' ? { failed: 0 } : null, irregular: [],
        badArgs: 0, liveAfter: 0, leftovers: [],
      });
      expect(r.tracker.calls, summary(r)).toBeGreaterThan(0);
    }, 60_000);
  }
});
