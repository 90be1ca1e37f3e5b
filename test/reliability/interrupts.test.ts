// A signal for a thread whose call is still with its handler (issue 8): on
// the user-notification route the filter has the kernel wait killably once
// sysstub received the call (SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, so that
// no answer is ever dropped), and sysstub itself interrupts the call as the
// kernel would interrupt a real blocking call: the signal is delivered, the
// call restarted (SA_RESTART, a stop) or failed with EINTR; a blocked or
// ignored signal interrupts nothing. The oracle is the same program natively
// with read(2) on a pipe (test/fixtures/interrupted_call.c); supervised it
// blocks in getpmsg (the `streams` module) instead, and the handler calls are
// counted: each interruption abandons one call.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { defineModule, streams, Supervisor, type Call } from '../../lib/index.js';
import { fixture, startCollect, type Outcome } from '../helpers.js';
import { probe } from '../probes.js';
import { reasons } from '../machine.js';

const prog = fixture('interrupted_call');
const DEADLINE_MS = 15_000;

/** Every thread of pid in a stop (T, or t under ptrace); false when it is gone. */
function allStopped(pid: number): boolean {
  try {
    const tids = fs.readdirSync(`/proc/${pid}/task`);
    return tids.length > 0 && tids.every((t) => /\) [Tt] /.test(fs.readFileSync(`/proc/${pid}/task/${t}/stat`, 'latin1')));
  } catch {
    return false;
  }
}

async function waitFor(what: string, cond: () => boolean): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > DEADLINE_MS) throw new Error(`${what}: not within ${DEADLINE_MS} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Watches stdout (text(): what the caller collected of it so far); for the
 * stop case, once the program said "stopping", waits until every thread of it
 * is stopped (the one blocked in the call too), then continues it. Resolves
 * whether all stopped.
 */
function watchStdout(pid: () => number, stdout: NodeJS.ReadableStream, text: () => string, stop: boolean): Promise<boolean> {
  return new Promise((resolve) => {
    let seen = false;
    stdout.on('data', () => {
      if (!stop || seen || !text().includes('stopping\n')) return;
      seen = true;
      waitFor('every thread stopped', () => allStopped(pid())).then(
        () => {
          process.kill(pid(), 'SIGCONT');
          resolve(true);
        },
        () => {
          process.kill(pid(), 'SIGKILL');
          resolve(false);
        },
      );
    });
    if (!stop) resolve(true);
  });
}

async function runNative(args: string[]): Promise<Outcome & { stopped: boolean }> {
  const c = startCollect(prog, args, { stdio: ['ignore', 'pipe', 'pipe'], killMs: DEADLINE_MS });
  const stopped = watchStdout(() => c.child.pid!, c.child.stdout!, () => c.stdout().toString(), args[1] === 'stop');
  const r = await c.ended;
  return { stdout: r.stdout.toString(), stderr: r.stderr.toString(), exitCode: r.exitCode, signal: r.signal, stopped: await stopped };
}

async function runSupervised(args: string[]): Promise<Outcome & { stopped: boolean; calls: number; abandoned: number }> {
  let calls = 0;
  let abandoned = 0;
  const count = defineModule({
    name: 'count',
    syscalls: {
      getpmsg: {
        timeout: null,
        handler: (call: Call) => {
          calls++;
          // The fixture's "the handler has it" flag (its sixth argument).
          if (call.ptr(5)) call.write(call.ptr(5), new Uint8Array([1, 0, 0, 0]));
          call.onAbandoned(() => abandoned++);
          return call.next();
        },
      },
    },
  });
  const sup = new Supervisor({ modules: [streams(), count] });
  try {
    const child = sup.spawn(prog, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const stopped = watchStdout(() => child.pid, child.stdout!, () => stdout, args[1] === 'stop');
    const timer = setTimeout(() => child.kill('SIGKILL'), DEADLINE_MS);
    const r = await child.closed.finally(() => clearTimeout(timer));
    return { stdout, stderr, exitCode: r.exitCode, signal: r.signal, stopped: await stopped, calls, abandoned };
  } finally {
    await sup.close();
  }
}

// What each disposition does to the blocked call (natively, asserted below),
// and how many getpmsg handler calls that takes supervised: an interrupted
// call is abandoned, a restarted one asked again.
const CASES = {
  restart: { stdout: 'handler\ngot x\n', calls: 2, abandoned: 1 },
  norestart: { stdout: 'handler\nfailed EINTR\n', calls: 1, abandoned: 1 },
  default: { stdout: '', signal: 'SIGUSR1', calls: 1, abandoned: 1 },
  ignore: { stdout: 'got x\n', calls: 1, abandoned: 0 },
  block: { stdout: 'got x\n', calls: 1, abandoned: 0 },
  stop: { stdout: 'stopping\ngot x\n', calls: 2, abandoned: 1 },
} as const;

const notif = probe.userNotif && probe.killableRecv;
const skipWhy = !probe.userNotif ? reasons.userNotif : reasons.killableRecv;

describe('a signal for a thread blocked in a call its handler has not answered', () => {
  for (const [disposition, want] of Object.entries(CASES)) {
    for (const target of ['thread', 'process']) {
      const args = [disposition, target];
      const title = `${disposition} ${target}: as natively for read(2): ${JSON.stringify(want.stdout)}${'signal' in want ? `, killed by ${want.signal}` : ''}; ${want.calls} handler call(s), ${want.abandoned} abandoned`;
      (notif ? it : it.skip)(notif ? title : `${title} [skipped: ${skipWhy}]`, async () => {
        const native = await runNative(['read', ...args]);
        const expected = { stdout: want.stdout, exitCode: 'signal' in want ? null : 0, signal: 'signal' in want ? want.signal : null, stopped: true };
        // The native run does what the case is about.
        expect({ stdout: native.stdout, exitCode: native.exitCode, signal: native.signal, stopped: native.stopped }, native.stderr).toEqual(expected);
        const r = await runSupervised(['getpmsg', ...args]);
        expect({ stdout: r.stdout, exitCode: r.exitCode, signal: r.signal, stopped: r.stopped }, r.stderr).toEqual(expected);
        expect(r.stderr).toBe('');
        expect({ calls: r.calls, abandoned: r.abandoned }).toEqual({ calls: want.calls, abandoned: want.abandoned });
      }, 40_000);
    }
  }
});

// A group-stop while a sibling's call is held: before the route waited for the
// stop itself (the tracer's group-stop report), it interrupted the call at the
// stopping thread's signal; a sibling whose restarted call came back before the
// stop had begun was held again and the process never finished stopping (under
// load: 14 of 40 runs). Load makes that order likely; correctness is asserted.
describe('a group-stop while a sibling waits for an answer, under CPU load', () => {
  (notif ? it : it.skip)(notif ? 'stop thread, 20 times with two busy loops running: every thread stops each time, as natively' : `stop thread under load [skipped: ${skipWhy}]`, async () => {
    const hogs = [0, 1].map(() => spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }));
    // Also when the test times out (a finally would not run then).
    onTestFinished(() => {
      for (const h of hogs) h.kill('SIGKILL');
    });
    for (let i = 0; i < 20; i++) {
      const r = await runSupervised(['getpmsg', 'stop', 'thread']);
      expect({ run: i, stdout: r.stdout, stopped: r.stopped, exitCode: r.exitCode }).toEqual({ run: i, stdout: 'stopping\ngot x\n', stopped: true, exitCode: 0 });
      expect({ calls: r.calls, abandoned: r.abandoned }).toEqual({ calls: 2, abandoned: 1 });
    }
  }, 120_000);
});
