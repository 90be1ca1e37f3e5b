// Conformance: a signal sent once to the whole process group, as a terminal
// (Ctrl-C) or a service manager (killpg) sends it. The CLI (or, natively, the
// program) is spawned detached, so that it leads its own process group; the
// program traps SIGINT, SIGTERM and SIGHUP and prints how often each came:
// exactly once, as natively. Racy by nature (the signal meets the program
// wherever it is): three runs each.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { onlyIf } from '../probes.js';
import { baseEnv, commandLine, MODES, script, SLOW, which, type Mode, type Result } from './harness.js';

const perl = onlyIf(which('perl') !== null, 'perl is not installed');

/** Start argv (natively or under sysstub) in its own group; once it printed "ready", killpg(sig) once. */
function killGroupWhenReady(argv: string[], mode: Mode | null, sig: NodeJS.Signals): Promise<Result & { ready: boolean }> {
  return new Promise((resolve, reject) => {
    const [file, ...args] = commandLine({ argv }, mode);
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: baseEnv(), detached: true });
    let stdout = '';
    let stderr = '';
    let ready = false;
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      process.kill(-child.pid!, 'SIGKILL');
    }, 60_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (!ready && stdout.includes('ready\n')) {
        ready = true;
        process.kill(-child.pid!, sig);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code, signal, hung, ready });
    });
  });
}

const trapper = ['perl', script('sig-trap.pl')];
const sleeper = ['sh', '-c', 'echo ready; exec sleep 30'];
const RUNS = 3;

describe.each(MODES)('a signal to the whole process group: native vs sysstub run $name', (mode) => {
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    perl.it(
      `killpg(${sig}) once: a program trapping it sees it exactly once, as natively (x${RUNS})`,
      async () => {
        for (let i = 0; i < RUNS; i++) {
          const n = await killGroupWhenReady(trapper, null, sig);
          expect(n).toEqual({ stdout: `ready\n${sig.slice(3)} x1\n`, stderr: '', code: 0, signal: null, hung: false, ready: true });
          const s = await killGroupWhenReady(trapper, mode, sig);
          expect(s, `run ${i + 1}`).toEqual(n);
        }
      },
      SLOW,
    );
  }
  it(
    `killpg(SIGTERM) once to an untrapping program (sleep): death by SIGTERM, as natively (x${RUNS})`,
    async () => {
      for (let i = 0; i < RUNS; i++) {
        const n = await killGroupWhenReady(sleeper, null, 'SIGTERM');
        expect(n).toEqual({ stdout: 'ready\n', stderr: '', code: null, signal: 'SIGTERM', hung: false, ready: true });
        const s = await killGroupWhenReady(sleeper, mode, 'SIGTERM');
        expect(s, `run ${i + 1}`).toEqual(n);
      }
    },
    SLOW,
  );
});
