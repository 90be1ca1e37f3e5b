// The load mix (issue 8), shared by test/load/*.test.ts (which pass the
// TypeScript sources' Supervisor) and bench/soak.js (which passes dist/'s).
//
// The fixture test/fixtures/build/load_mix (test/fixtures/load_mix.c) makes trapped
// calls at 400 and 401 with (tid, seq, pid, nonce) as arguments; the handlers
// here answer (tid << 32) | (seq << 1) | (nr & 1), computed from the tid the
// supervisor reports and the seq the caller passed, so an answer that reaches
// the wrong thread, or the right thread for another call, is a mismatch the
// caller counts. 400 is a synchronous handler, 401 an async one that waits a
// random small delay (a microtask, setImmediate or a 0-2 ms timer). The
// handler side counts each (tid, nonce, seq) it answers, minus those its
// onAbandoned() undo reports: every key must end at exactly 1, or 0 for a call
// the program saw fail with EINTR.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const LOAD_MIX = path.join(root, 'test', 'fixtures', 'build', 'load_mix');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const immediate = () => new Promise((r) => setImmediate(r));

/** Handler-side bookkeeping of one run. */
export class Tracker {
  constructor() {
    /** (tid:nonce:seq) -> answers given minus answers abandoned */
    this.seen = new Map();
    this.calls = 0;
    this.abandoned = 0;
    /** calls whose arguments did not name the thread the supervisor reported (tid, pid) */
    this.badArgs = 0;
    this.badArgsExamples = [];
  }

  /** Record the call and compute its answer. */
  answer(call) {
    const [tidArg, seq, pidArg, nonce] = call.args;
    if (tidArg !== BigInt(call.tid) || pidArg !== BigInt(call.pid)) {
      this.badArgs++;
      if (this.badArgsExamples.length < 5) this.badArgsExamples.push(`nr ${call.nr} tid ${call.tid} pid ${call.pid}: args tid ${tidArg} pid ${pidArg} seq ${seq}`);
    }
    const key = `${call.tid}:${nonce}:${seq}`;
    this.seen.set(key, (this.seen.get(key) ?? 0) + 1);
    this.calls++;
    call.onAbandoned(() => {
      this.abandoned++;
      this.seen.set(key, this.seen.get(key) - 1);
    });
    return (BigInt(call.tid) << 32n) | (seq << 1n) | BigInt(call.nr & 1);
  }

  /** Keys answered more than once (not counting abandoned answers), or abandoned more often than answered. */
  irregular() {
    const out = [];
    let n = 0;
    for (const [k, v] of this.seen) {
      if (v !== 0 && v !== 1) {
        n++;
        if (out.length < 5) out.push(`${k} x${v}`);
      }
    }
    return { count: n, examples: out };
  }

  /** Sum over keys: answers that reached their caller. */
  delivered() {
    let s = 0;
    for (const v of this.seen.values()) s += v;
    return s;
  }
}

async function delayMixed() {
  const k = Math.floor(Math.random() * 3);
  if (k === 0) await null;
  else if (k === 1) await immediate();
  else await sleep(Math.random() * 2);
}

/** The two answering modules: 400 synchronous, 401 async with a random small delay. */
export function answerModules(tracker, { delay = delayMixed } = {}) {
  return [
    { name: 'sync400', syscalls: { 400: (call) => tracker.answer(call) } },
    {
      name: 'async401',
      syscalls: {
        async 401(call) {
          const v = tracker.answer(call);
          await delay();
          return v;
        },
      },
    },
  ];
}

/** Parse load_mix's output. */
export function parseOutput(stdout) {
  const pids = new Set();
  const procs = new Map();
  let done = null;
  const other = [];
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    let m;
    if ((m = /^pid (\d+)$/.exec(line))) pids.add(Number(m[1]));
    else if ((m = /^done failed (\d+)$/.exec(line))) done = { failed: Number(m[1]) };
    else if (line.startsWith('proc ')) {
      const f = line.split(' ');
      const s = {};
      for (let i = 2; i + 1 < f.length; i += 2) s[f[i]] = Number(f[i + 1]);
      const pid = Number(f[1]);
      if (procs.has(pid)) other.push(`second proc line for ${pid}: ${line}`);
      procs.set(pid, s);
    } else other.push(line);
  }
  const totals = { calls: 0, ok: 0, enosys: 0, eintr: 0, mismatch: 0, getpid: 0, getpid_bad: 0, sigs: 0, nested_ok: 0, nested_eintr: 0, nested_bad: 0 };
  for (const s of procs.values()) for (const k of Object.keys(totals)) totals[k] += s[k] ?? 0;
  return { pids, procs, done, totals, other };
}

/**
 * Traced processes from the tree left behind: a pid still in /proc that is
 * stopped, traced by this process, or a zombie whose parent is not init
 * (a zombie of init's is reaped by init). A pid reused by an unrelated live
 * process passes. Polls up to settleMs for zombies to be reaped.
 */
export async function leftovers(pids, settleMs = 2000) {
  const check = () => {
    const bad = [];
    for (const pid of pids) {
      let status;
      try {
        status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      } catch {
        continue;
      }
      const state = /^State:\s+(\S)/m.exec(status)?.[1] ?? '?';
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]);
      const tracer = Number(/^TracerPid:\s+(\d+)/m.exec(status)?.[1]);
      const tracedByUs = tracer !== 0 && fs.existsSync(`/proc/${process.pid}/task/${tracer}`);
      if (state === 'Z' && ppid === 1 && !tracedByUs) continue;
      if (tracedByUs || 'ZtTX'.includes(state)) bad.push(`${pid} state ${state} ppid ${ppid} tracer ${tracer}`);
    }
    return bad;
  };
  let bad = check();
  for (let t = 0; bad.length > 0 && t < settleMs; t += 20) {
    await sleep(20);
    bad = check();
  }
  return bad;
}

/** This process's resident set (bytes), open fds and threads. */
export function sample() {
  return {
    rss: process.memoryUsage().rss,
    fds: fs.readdirSync('/proc/self/fd').length,
    threads: fs.readdirSync('/proc/self/task').length,
  };
}

/** Wait up to ms for the fd count to come back down to want (closed handles go on later loop turns). */
export async function settleFds(want, ms = 2000) {
  let n = sample().fds;
  for (let t = 0; n > want && t < ms; t += 20) {
    await sleep(20);
    n = sample().fds;
  }
  return n;
}

function trapped(s) {
  return s.handlerCalls + s.nativeAnswers + s.notifCalls;
}

/**
 * Run load_mix once under a supervisor (a new one for `route`, closed after,
 * or `sup`, left open), with the answering modules loaded, and, with toggle,
 * unloaded and loaded again at random as fast as the event loop allows while
 * it runs.
 *
 * @returns everything checkMix() needs
 */
export async function runMix(api, { args, route = 'auto', sup: given, toggle = true, delay, timeoutMs = 150_000 }) {
  const tracker = new Tracker();
  const mods = answerModules(tracker, delay ? { delay } : {});
  const sup = given ?? new Supervisor_(api, route);
  const t0 = process.hrtime.bigint();
  let out = '';
  let err = '';
  let hung = false;
  let toggles = 0;
  let result;
  let before;
  let after;
  let live;
  try {
    for (const m of mods) sup.load(m);
    const loaded = new Set(mods.map((m) => m.name));
    before = sup.stats();
    const child = sup.spawn(LOAD_MIX, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
    let done = false;
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const closed = child.closed.finally(() => {
      done = true;
      clearTimeout(timer);
    });
    const toggler = (async () => {
      if (!toggle) return;
      while (!done) {
        const m = mods[Math.random() < 0.5 ? 0 : 1];
        if (loaded.has(m.name)) {
          await sup.unload(m.name);
          loaded.delete(m.name);
        } else {
          sup.load(m);
          loaded.add(m.name);
        }
        toggles++;
        if (Math.random() < 0.5) await immediate();
        else await sleep(Math.random() * 2);
      }
    })();
    result = await closed;
    await toggler;
    for (const name of loaded) await sup.unload(name);
    after = sup.stats();
    live = sup.liveProcesses;
  } finally {
    if (!given) await sup.close();
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const parsed = parseOutput(out);
  return {
    args,
    route,
    seconds,
    hung,
    exitCode: result.exitCode,
    signal: result.signal,
    stdout: out,
    stderr: err,
    ...parsed,
    tracker,
    toggles,
    trapped: trapped(after) - trapped(before),
    liveAfter: live,
    leftovers: await leftovers(parsed.pids),
  };
}

function Supervisor_(api, route) {
  return new api.Supervisor({ stubs: [400, 401], route });
}

/**
 * Everything that must hold of a run; [] when it all does.
 *   procs: processes expected to print a proc line; callsPerProc: trapped calls each makes;
 *   eintr: 'never' | 'allowed' (a call may fail with EINTR; the handler's answer is then abandoned);
 *   abandoned: 'never' | 'allowed' (answers may be abandoned: EINTR, or a restart that asks again);
 *   bothStates: with toggling, some answers came from a module and some were ENOSYS;
 *   handlerAccounting: false leaves out the handler side's exactly-once checks
 *     (each key answered once net of onAbandoned, as many answers delivered as
 *     the program got), for kernels without WAIT_KILLABLE_RECV (< 5.19), where a
 *     signal can still make the kernel drop an answer (see test/load/signals.test.ts).
 */
export function checkMix(r, { procs, callsPerProc, eintr = 'never', abandoned = 'never', bothStates = false, handlerAccounting = true }) {
  const p = [];
  const say = (s) => p.push(s);
  if (r.hung) say(`hung: killed after the timeout`);
  if (r.exitCode !== 0 || r.signal !== null) say(`exit ${r.exitCode} signal ${r.signal}`);
  if (r.stderr !== '') say(`stderr: ${r.stderr.slice(0, 2000)}`);
  if (!r.done) say('no "done" line');
  else if (r.done.failed !== 0) say(`done failed ${r.done.failed}`);
  if (r.other.length) say(`unexpected output: ${r.other.slice(0, 5).join(' | ')}`);
  if (r.procs.size !== procs) say(`${r.procs.size} proc lines, expected ${procs}`);
  if (r.pids.size !== procs) say(`${r.pids.size} pid lines, expected ${procs}`);
  let shown = 0;
  for (const [pid, s] of r.procs) {
    const probs = [];
    if (!r.pids.has(pid)) probs.push('no pid line');
    if (s.calls !== callsPerProc) probs.push(`calls ${s.calls}, expected ${callsPerProc}`);
    if (s.ok + s.enosys + s.eintr + s.mismatch !== s.calls) probs.push('ok+enosys+eintr+mismatch != calls');
    if (s.mismatch !== 0) probs.push(`mismatch ${s.mismatch}`);
    if (eintr === 'never' && s.eintr !== 0) probs.push(`eintr ${s.eintr}`);
    if (s.getpid !== s.calls || s.getpid_bad !== 0) probs.push(`getpid ${s.getpid} bad ${s.getpid_bad}`);
    if (s.nested_bad) probs.push(`signal handlers' calls: ${s.nested_bad} wrong answers`);
    if (eintr === 'never' && s.nested_eintr) probs.push(`signal handlers' calls: ${s.nested_eintr} EINTR`);
    if (probs.length && shown++ < 5) say(`proc ${pid}: ${probs.join(', ')}`);
  }
  if (shown > 5) say(`... ${shown - 5} more processes with problems`);
  const t = r.totals;
  const tr = r.tracker;
  if (tr.badArgs) say(`${tr.badArgs} calls whose tid/pid arguments differ from the supervisor's: ${tr.badArgsExamples.join('; ')}`);
  const irr = tr.irregular();
  if (handlerAccounting && irr.count) say(`${irr.count} (tid, nonce, seq) answered != once net of abandoned: ${irr.examples.join('; ')}`);
  if (handlerAccounting && tr.delivered() !== t.ok + t.nested_ok) {
    say(`handlers delivered ${tr.delivered()} answers (${tr.calls} calls - ${tr.abandoned} abandoned), the program got ${t.ok} + ${t.nested_ok} in signal handlers`);
  }
  // Every trapped call went to a handler or was answered ENOSYS natively. When
  // signals may interrupt calls, a native ENOSYS can be kept from its caller
  // too (EINTR, or asked again): then at least that many.
  if (abandoned === 'allowed' ? r.trapped < tr.calls + t.enosys : r.trapped !== tr.calls + t.enosys) {
    say(`supervisor counted ${r.trapped} trapped calls, handlers ${tr.calls} + ENOSYS ${t.enosys}`);
  }
  if (abandoned === 'never' && tr.abandoned !== 0) say(`${tr.abandoned} answers abandoned`);
  if (bothStates && (t.ok === 0 || t.enosys === 0)) say(`toggling: ok ${t.ok} enosys ${t.enosys} after ${r.toggles} toggles (expected both)`);
  if (r.liveAfter !== 0) say(`supervisor still counts ${r.liveAfter} live processes`);
  if (r.leftovers.length) say(`left in /proc: ${r.leftovers.slice(0, 5).join('; ')} (${r.leftovers.length})`);
  return p;
}

/** The sizes of each part of the mix; the soak and the default suite use different ones. */
export const CONFIGS = {
  // The default suite (about 3 minutes for test/load on 2 cores, both routes).
  test: {
    calls: { procs: 100, threads: 20, n: 30 },
    threads: { spawners: 4, rounds: 50, batch: 20, n: 2 },
    tree: { depth: 8, n: 4 },
    exec: { procs: 40, execs: 10, n: 4 },
    signals: { threads: 8, n: 500 },
  },
  // One round of the soak (both routes).
  soak: {
    calls: { procs: 20, threads: 10, n: 20 },
    threads: { spawners: 2, rounds: 25, batch: 20, n: 2 },
    tree: { depth: 6, n: 4 },
    exec: { procs: 8, execs: 8, n: 4 },
    signals: { threads: 8, n: 100 },
  },
  // The memory/fd flatness rounds of the default suite.
  small: {
    calls: { procs: 10, threads: 4, n: 25 },
  },
};

/** load_mix arguments and expectations of each part, for a config. */
export function parts(c) {
  const out = {};
  if (c.calls) {
    const { procs, threads, n } = c.calls;
    out.calls = { args: ['calls', procs, threads, n].map(String), expect: { procs, callsPerProc: threads * n, bothStates: true } };
  }
  if (c.threads) {
    const { spawners, rounds, batch, n } = c.threads;
    out.threads = { args: ['threads', spawners, rounds, batch, n].map(String), expect: { procs: 1, callsPerProc: spawners * rounds * batch * n } };
  }
  if (c.tree) {
    const { depth, n } = c.tree;
    out.tree = { args: ['tree', depth, n].map(String), expect: { procs: 2 ** (depth + 1) - 1, callsPerProc: n } };
  }
  if (c.exec) {
    const { procs, execs, n } = c.exec;
    out.exec = { args: ['exec', procs, execs, n].map(String), expect: { procs, callsPerProc: (execs + 1) * n } };
  }
  if (c.signals) {
    const { threads, n } = c.signals;
    for (const flag of ['restart', 'norestart']) {
      for (const nested of [false, true]) {
        out[`signals-${flag}${nested ? '-nested' : ''}`] = {
          args: ['signals', threads, n, flag, 'stub', ...(nested ? ['nested'] : [])].map(String),
          expect: { procs: 1, callsPerProc: threads * n },
          signals: flag,
        };
      }
    }
  }
  return out;
}

/** The async handler's delay during a signal storm: 0-3 ms, so calls are in flight when signals come. */
export const signalDelay = () => sleep(Math.random() * 3);

/**
 * What a signal storm may do to a call, by route and SA_RESTART, as the
 * native reference (load_mix signals ... native: a blocking read(2)) shows
 * for a real blocking call: with SA_RESTART the call is restarted and gets
 * its answer; without it fails with EINTR. The notif route behaves like that
 * (README: "interrupted by signals as a real blocking call is"): an
 * interrupted call's answer is abandoned (onAbandoned), and the call either
 * fails with EINTR (no SA_RESTART) or is asked again (SA_RESTART). On the
 * ptrace route signals wait until the handler answers: no call fails, no
 * answer is abandoned.
 */
export function signalExpectation(effectiveRoute, flag) {
  if (effectiveRoute !== 'notif') return { eintr: 'never', abandoned: 'never' };
  return { eintr: flag === 'norestart' ? 'allowed' : 'never', abandoned: 'allowed' };
}
