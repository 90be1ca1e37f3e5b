// Conformance: bash and dash scripts, and a program that stops itself and is
// continued, natively and under `sysstub run` in each mode.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { onlyIf } from '../probes.js';
import { expectConforms, MODES, replacing, runRaw, script, SLOW, tempDir, which, type Case } from './harness.js';

const needs = (tool: string) => onlyIf(which(tool) !== null, `${tool} is not installed`);

const bashFeatures: Case = {
  argv: ['bash', script('bash-features.sh')],
  check: (n) => {
    expect(n.stdout).toBe(
      [
        'A,B,C',
        'ERR trap: status 3 at line 17',
        'ERR trap: status 3 at line 17',
        'PIPESTATUS: 1 0 3',
        'subshells: sub1 sub2 ERR trap: status 4 at line 18 inner status 4',
        'ERR trap: status 1 at line 19',
        'USR1 trap',
        'after USR1',
        'ERR trap: status 5 at line 25',
        'wait job 2: 5',
        'ERR trap: status 7 at line 25',
        'wait job 3: 7',
        'ERR trap: status 3 at line 25',
        'wait job 1: 3',
        'coproc said: HELLO COPROCESS',
        'coproc status: 0',
        'ERR trap: status 143 at line 33',
        'child killed by TERM: 143',
        'EXIT trap: status 6',
        '',
      ].join('\n'),
    );
    expect({ stderr: n.stderr, code: n.code, signal: n.signal }).toEqual({ stderr: 'Terminated\n', code: 6, signal: null });
  },
  runs: 2, // the coprocess ends on its own time
};

const dashVfork: Case = {
  argv: ['dash', script('dash-vfork.sh')],
  check: (n) =>
    expect(n).toEqual({
      stdout: [
        'external 1',
        'external 2',
        'external 3',
        'true: ok',
        'false: 1',
        'substitution: captured',
        "sh -c 'exit 9': 9",
        'missing: 127',
        'xyz',
        'killed by USR2: 140',
        '',
      ].join('\n'),
      stderr: 'User defined signal 2\n',
      code: 3,
      signal: null,
      hung: false,
    }),
};

// Racy by nature (a stop and a continue between two processes): three runs.
const stopCont: Case = {
  argv: [script('stop-cont.sh')],
  check: (n) =>
    expect(n).toEqual({
      stdout: 'parent: running\nchild: parent is stopped\nchild: sending CONT\nparent: CONT trap\nparent: child status 0\n',
      stderr: '',
      code: 0,
      signal: null,
      hung: false,
    }),
  runs: 3,
};

// A shell killed by a signal it sends itself, and one killed by another process.
const killedBySignal: Case = {
  argv: ['sh', '-c', 'echo before; kill -TERM $$; echo after'],
  check: (n) => expect(n).toEqual({ stdout: 'before\n', stderr: '', code: null, signal: 'SIGTERM', hung: false }),
};
const killedByOther: Case = {
  argv: ['bash', '-c', 'sleep 10 & pid=$!; kill -HUP $pid; wait $pid; echo "sleep: $?"; sh -c "kill -USR1 \\$PPID"; echo not reached'],
  // bash reports the background job it saw killed with that job's pid.
  normalise: replacing([/^bash: line 1: +\d+ Hangup/m, 'bash: line 1: PID Hangup']),
  check: (n) => {
    expect({ stdout: n.stdout, code: n.code, signal: n.signal }).toEqual({ stdout: 'sleep: 129\n', code: null, signal: 'SIGUSR1' });
    expect(n.stderr).toMatch(/^bash: line 1: +\d+ Hangup {18}sleep 10\n$/);
  },
};

describe.each(MODES)('shells: native vs sysstub run $name', (mode) => {
  needs('bash').it('bash: pipelines, subshells, EXIT/ERR/USR1 traps, jobs waited for by pid, coproc, exit 6', () => expectConforms(bashFeatures, mode), SLOW);
  needs('dash').it('dash (vfork for external commands): statuses, substitution, pipeline, death by USR2, exit 3', () => expectConforms(dashVfork, mode), SLOW);
  needs('bash').it('a program stopped by SIGSTOP from its child and continued by it: CONT trap once (x3)', () => expectConforms(stopCont, mode), SLOW);
  it('sh killing itself with SIGTERM: death by SIGTERM', () => expectConforms(killedBySignal, mode), SLOW);
  needs('bash').it('bash: a child killed by HUP (129), then bash killed by SIGUSR1 from its child', () => expectConforms(killedByOther, mode), SLOW);
});

describe('what the shell cases rely on, natively', () => {
  onlyIf(which('strace') !== null && which('dash') !== null, 'strace or dash is not installed').it(
    'dash starts its external commands with vfork (strace -f counts the calls)',
    async () => {
      const t = tempDir('strace');
      try {
        const log = path.join(t.dir, 'log');
        const r = await runRaw('strace', ['-f', '-qq', '-e', 'trace=vfork', '-e', 'signal=none', '-o', log, 'dash', script('dash-vfork.sh')]);
        expect(r.code, r.stderr).toBe(3);
        const text = fs.readFileSync(log, 'utf8');
        expect(text.split('\n').filter((l) => /\bvfork\(\)/.test(l)).length, text).toBeGreaterThanOrEqual(8);
      } finally {
        t.remove();
      }
    },
    SLOW,
  );
});
