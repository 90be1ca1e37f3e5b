// Conformance: coreutils, findutils, util-linux and xz, natively and under
// `sysstub run` in each mode (test/conformance/harness.ts).
import { describe, expect } from 'vitest';
import { onlyIf } from '../probes.js';
import { expectConforms, MODES, replacing, script, SLOW, which, type Case } from './harness.js';

const needs = (tool: string) => onlyIf(which(tool) !== null, `${tool} is not installed`);

const sortMerge: Case = {
  argv: [script('sort-merge.sh')],
  check: (n) =>
    expect(n).toEqual({
      stdout:
        'without a temporary directory: status 2, 1 error\nlines: 200000\nfirst: 1000051456 last: 999978752\nsame as a one-pass sort in memory\n',
      stderr: '',
      code: 0,
      signal: null,
      hung: false,
    }),
};

const findXargs: Case = {
  argv: [script('find-xargs.sh')],
  check: (n) => {
    expect(n.stdout).toBe(
      [
        'one batch of 40',
        ' 40 total',
        'xargs -P4 saw 40 files: ./d0/f4.txt: line 4 ... ./d3/f39.txt: line 39',
        './d1/f1.txt',
        'xargs -P4 with failing jobs: 123',
        '',
      ].join('\n'),
    );
    expect({ stderr: n.stderr, code: n.code }).toEqual({ stderr: '', code: 0 });
  },
};

// bash reports the SIGKILLed timeout with its pid: the one volatile part.
const timeoutCase: Case = {
  argv: [script('timeout.sh')],
  normalise: replacing([/line (\d+): +\d+ Killed/g, 'line $1: PID Killed']),
  check: (n) => {
    expect(n.stdout).toBe(
      'timeout: 124\nignoring TERM\ntimeout -k: 137\ntimeout --foreground: 124\nin time: 7\ntimeout --preserve-status: 138\n',
    );
    expect(n.stderr).toMatch(/^\S+timeout\.sh: line 5: +\d+ Killed +timeout -s TERM -k 0\.5 0\.5 sh -c .*\n$/);
    expect(n.code).toBe(0);
  },
  runs: 2,
};

const flockCase: Case = {
  argv: [script('flock.sh')],
  check: (n) =>
    expect(n).toEqual({
      stdout: [
        'flock -n: 1',
        'flock -E 42 -w 0.1: 42',
        'holder: releasing',
        'holder: 0',
        'second: got the lock now',
        'fd 9: locked',
        'another process while fd 9 holds it: 1',
        '',
      ].join('\n'),
      stderr: '',
      code: 0,
      signal: null,
      hung: false,
    }),
  runs: 3,
};

const xzCase: Case = {
  argv: [script('xz-roundtrip.sh')],
  check: (n) => {
    const lines = n.stdout.split('\n');
    expect(lines[0]).toMatch(/^streams 1, blocks ([3-9]|\d\d+)$/); // several blocks: both threads had work
    expect(lines[1]).toMatch(/^[0-9a-f]{64} {2}-$/);
    expect(lines[1]).toBe(lines[2]); // the round trip gives the input back
    expect({ stderr: n.stderr, code: n.code }).toEqual({ stderr: '', code: 0 });
  },
};

describe.each(MODES)('coreutils and friends: native vs sysstub run $name', (mode) => {
  needs('sort').it('sort --parallel=2 -S 64K merges temporary files: same sorted output', () => expectConforms(sortMerge, mode), SLOW);
  needs('find').it('find -exec {} + and xargs -P4 (sorted output, exit 123 for failing jobs)', () => expectConforms(findXargs, mode), SLOW);
  needs('timeout').it('timeout: 124, -k (137 after an ignored TERM), --foreground, --preserve-status', () => expectConforms(timeoutCase, mode), SLOW);
  needs('flock').it('flock contention: the holder keeps the lock, flock -n fails with 1 (x3)', () => expectConforms(flockCase, mode), SLOW);
  needs('xz').it('xz -T2 round trip: several blocks, checksum of the result equals the input', () => expectConforms(xzCase, mode), SLOW);
});
