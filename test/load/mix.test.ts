// Load (issue 8): 100 processes x 20 threads (fork, then pthreads) making
// trapped calls at 400 (a synchronous handler) and 401 (an async one with a
// random small delay), with getpid in between, while both modules are
// unloaded and loaded again at random as fast as the event loop allows; on
// both routes. The mix itself is bench/load-mix.js (also what `npm run soak`
// runs); checkMix() lists every way a run can be wrong:
//  - every call answered exactly once: each process reports C calls and
//    ok + ENOSYS = C; the handlers saw every (tid, nonce, seq) once and gave as
//    many answers as the program got; the supervisor trapped handler calls +
//    ENOSYS calls, no more;
//  - the right answer to the right thread: answers encode (tid, seq), zero
//    mismatches in the program, and the tid/pid the handler is told match the
//    caller's own arguments;
//  - exit 0, no process of the tree left in /proc stopped, traced or as a
//    zombie (other than init's), and the supervisor counts none alive.
// Then memory and fds: 10 rounds of a smaller mix on two long-lived
// supervisors (one per route) in this process, sampled after a full GC. From
// round 1 to round 10: RSS outside V8's heap (rss - heapTotal: the addon,
// its tracer thread, libuv, malloc) grows less than 20 MiB, the JS heap in use
// less than 5 MiB, and the number of open fds is the same. V8's own heap
// reservation is left out of the RSS bound: its young generation grows from
// ~4 to ~16 MiB under this allocation rate and stays there (with
// --max-semi-space-size=1 total RSS is flat too), which is not a leak.
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import * as api from '../../lib/index.js';
import { CONFIGS, checkMix, parts, runMix, sample, settleFds, type MixResult } from '../../bench/load-mix.js';
import { ROUTES } from '../helpers.js';

const summary = (r: MixResult) =>
  `${r.route} ${r.args.join(' ')}: ${r.seconds.toFixed(1)} s, ${JSON.stringify(r.totals)}, handlers ${r.tracker.calls} (abandoned ${r.tracker.abandoned}), trapped ${r.trapped}, toggles ${r.toggles}`;

describe.each(ROUTES)('route %s', (route) => {
  const part = parts(CONFIGS.test).calls!;
  it(`load_mix ${part.args.join(' ')} while both modules are unloaded and loaded: every call answered once, to its own thread`, async () => {
    const r = await runMix(api, { args: part.args, route });
    expect(checkMix(r, part.expect), summary(r)).toEqual([]);
    expect(r.procs.size).toBe(100);
  }, 150_000);
});

describe('memory and fds of a long-lived supervisor', () => {
  const MiB = 2 ** 20;
  // A full collection before each sample (the test process has no --expose-gc).
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  it('10 rounds of the small mix on both routes: RSS outside the V8 heap +< 20 MiB, JS heap used +< 5 MiB, fds equal', async () => {
    const part = parts(CONFIGS.small).calls!;
    const sups = ROUTES.map((route) => new api.Supervisor({ stubs: [400, 401], route }));
    const samples: { rss: number; native: number; heapUsed: number; fds: number }[] = [];
    try {
      for (let round = 1; round <= 10; round++) {
        for (const [i, route] of ROUTES.entries()) {
          const r = await runMix(api, { args: part.args, route, sup: sups[i] });
          expect(checkMix(r, part.expect), `round ${round}: ${summary(r)}`).toEqual([]);
        }
        const fds = samples.length ? await settleFds(samples[0].fds) : sample().fds;
        gc();
        const m = process.memoryUsage();
        samples.push({ rss: m.rss, native: m.rss - m.heapTotal, heapUsed: m.heapUsed, fds });
      }
    } finally {
      for (const s of sups) await s.close();
    }
    const mib = (b: number) => (b / MiB).toFixed(1);
    const table = samples.map((s, i) => `round ${i + 1}: rss ${mib(s.rss)} MiB, outside V8 ${mib(s.native)} MiB, heap used ${mib(s.heapUsed)} MiB, fds ${s.fds}`).join('\n');
    const [first, last] = [samples[0], samples[9]];
    expect(last.native - first.native, table).toBeLessThan(20 * MiB);
    expect(last.heapUsed - first.heapUsed, table).toBeLessThan(5 * MiB);
    expect(last.fds, table).toBe(first.fds);
  }, 150_000);
});
