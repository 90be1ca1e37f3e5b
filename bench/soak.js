#!/usr/bin/env node
// npm run soak [-- --minutes N] (default 10; not part of npm test): the load
// mix of test/load/ (bench/load-mix.js: processes x threads, thread storms, a
// fork tree, exec chains, signal storms, with the answering modules unloaded
// and loaded while the calls run) in rounds for N minutes, against dist/.
// Every round runs each part on two long-lived supervisors (route auto and
// route ptrace) and the processes x threads part once more on a new
// supervisor, then prints one line: trapped calls and calls/s, this process's
// RSS, open fds and threads, against round 1.
//
// Exits 1 if any call was lost, duplicated or misrouted (bench/load-mix.js
// checkMix() lists each problem), or if RSS grew more than RSS_BOUND_MIB over
// round 1 or the fd count did not come back to round 1's (bounds printed at
// the start). The RSS bound is on the whole RSS, V8's heap included: its
// young generation grows by ~12 MiB over the first rounds and then stays
// (the "outside V8" column is rss - heapTotal). On this machine RSS levels
// off 30-40 MiB over round 1 after ~10 rounds, and stays there. Needs the build (npm
// install): test/fixtures/build/load_mix and dist/.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CONFIGS, checkMix, parts, root, runMix, sample, settleFds, signalDelay, signalExpectation } from './load-mix.js';

const RSS_BOUND_MIB = 64;

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    config: { type: 'string', default: 'soak' },
  },
});
const minutes = Number(values.minutes);
if (!(minutes > 0)) {
  console.error(`soak: --minutes must be a positive number, got ${values.minutes}`);
  process.exit(2);
}
const config = CONFIGS[values.config];
if (!config) {
  console.error(`soak: --config must be one of ${Object.keys(CONFIGS).join(', ')}`);
  process.exit(2);
}

const api = await import(path.join(root, 'dist', 'index.js'));
const gc = globalThis.gc ?? (() => {});
const mib = (b) => (b / 2 ** 20).toFixed(1);
const signed = (x, f = String) => (x >= 0 ? '+' : '-') + f(Math.abs(x));

const all = parts(config);
const routes = ['auto', 'ptrace'];
console.log(
  `soak: ${minutes} min, config ${values.config}: ${Object.entries(all).map(([k, p]) => `${k} (${p.args.join(' ')})`).join(', ')}; ` +
    `routes ${routes.join(', ')} on long-lived supervisors, calls once more on a new one each round`,
);
console.log(`soak: bounds: no call lost, duplicated or misrouted; RSS at most ${RSS_BOUND_MIB} MiB over round 1; open fds equal to round 1's${globalThis.gc ? '' : ' (no --expose-gc: RSS sampled without a collection)'}`);

const sups = Object.fromEntries(routes.map((route) => [route, new api.Supervisor({ stubs: [400, 401], route })]));
// What the notif route really is here: 'auto' falls back to ptrace without user notification.
let autoRoute = 'ptrace';
sups.auto.on('route', (e) => (autoRoute = e.route));

const deadline = Date.now() + minutes * 60_000;
const t0 = Date.now();
let base = null;
let failures = 0;
let totalCalls = 0;
for (let round = 1; round === 1 || round === 2 || Date.now() < deadline; round++) {
  const started = process.hrtime.bigint();
  let calls = 0;
  const problems = [];
  const one = async (label, route, part, sup) => {
    const eff = route === 'auto' ? autoRoute : 'ptrace';
    const exp = part.signals ? { ...part.expect, ...signalExpectation(eff, part.signals) } : part.expect;
    const r = await runMix(api, { args: part.args, route, sup, toggle: !part.signals, delay: part.signals ? signalDelay : undefined });
    calls += r.trapped;
    // On a kernel without WAIT_KILLABLE_RECV (< 5.19) a signal during the answer can
    // lose it without onAbandoned (test/load/signals.test.ts). Still a failure, labelled.
    const all = checkMix(r, exp);
    const rest = new Set(part.signals && eff === 'notif' ? checkMix(r, { ...exp, handlerAccounting: false }) : all);
    for (const p of all) problems.push(`${label} ${route} (${part.args.join(' ')}): ${p}${rest.has(p) ? '' : ' [answer lost without onAbandoned: a kernel without WAIT_KILLABLE_RECV?]'}`);
  };
  for (const route of routes) for (const [name, part] of Object.entries(all)) await one(name, route, part, sups[route]);
  if (all.calls) for (const route of routes) await one('calls/new-supervisor', route, all.calls, undefined);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  totalCalls += calls;
  gc();
  const s = sample();
  if (base) s.fds = await settleFds(base.fds);
  else base = s;
  const drss = s.rss - base.rss;
  const dfds = s.fds - base.fds;
  const mem = process.memoryUsage();
  if (drss > RSS_BOUND_MIB * 2 ** 20) problems.push(`RSS ${mib(s.rss)} MiB is ${mib(drss)} MiB over round 1 (bound ${RSS_BOUND_MIB} MiB)`);
  if (dfds !== 0) problems.push(`${s.fds} open fds, round 1 had ${base.fds}`);
  console.log(
    `round ${String(round).padStart(3)}  t=${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s  calls ${String(calls).padStart(6)} in ${seconds.toFixed(1)}s = ${(calls / seconds).toFixed(0).padStart(5)}/s  ` +
      `rss ${mib(s.rss)} MiB (${signed(drss, mib)})  (outside V8 ${mib(mem.rss - mem.heapTotal)}, JS heap used ${mib(mem.heapUsed)})  fds ${s.fds} (${signed(dfds)})  threads ${s.threads}  ${problems.length ? `FAIL ${problems.length}` : 'ok'}`,
  );
  for (const p of problems) console.log(`  ${p}`);
  failures += problems.length;
}
for (const sup of Object.values(sups)) await sup.close();
console.log(`soak: ${totalCalls} trapped calls in ${((Date.now() - t0) / 1000).toFixed(0)} s; ${failures ? `${failures} problems` : 'no problems'}`);
process.exit(failures ? 1 : 0);
