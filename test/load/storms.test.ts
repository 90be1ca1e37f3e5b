// Storms (issue 8), on both routes, with the answering modules (400 sync, 401
// async) unloaded and loaded again at random while they run, checked as in
// mix.test.ts (bench/load-mix.js checkMix(): every call answered once, to its
// own thread, exit 0, nothing of the tree left in /proc):
//  - thread creation/exit: 4 spawner threads x 50 rounds x 20 short threads
//    (4000 threads created, each making 2 trapped calls and exiting);
//  - a binary fork tree of depth 8 (511 processes), each making 4 calls before
//    forking its two children and reaping them;
//  - exec: 40 processes, each exec'ing itself 10 times (/proc/self/exe) and
//    making 4 calls in every image, its sequence numbers carried on.
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
});
