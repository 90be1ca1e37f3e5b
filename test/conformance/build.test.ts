// Conformance: make -j2 with a jobserver and a recursive make, a failing
// make target, and git, natively and under `sysstub run` in each mode.
import { describe, expect } from 'vitest';
import { onlyIf } from '../probes.js';
import { expectConforms, MODES, script, SLOW, which, type Case } from './harness.js';

const needs = (tool: string) => onlyIf(which(tool) !== null, `${tool} is not installed`);

const makeJ2: Case = {
  argv: [script('make-j2.sh')],
  check: (n) =>
    expect(n).toEqual({
      stdout: 'top: a and b in parallel: yes yes\ntop: sub: jobserver in MAKEFLAGS, x and y in parallel: yes yes\nmake all: 0\n',
      stderr: '',
      code: 0,
      signal: null,
      hung: false,
    }),
};

const makefile = script('make/Makefile');
const makeFail: Case = {
  argv: ['make', '-j2', '-f', makefile, 'fail'],
  check: (n) =>
    expect(n).toEqual({
      stdout: 'fail: about to fail\n',
      stderr: `make: *** [${makefile}:15: fail] Error 3\n`,
      code: 2,
      signal: null,
      hung: false,
    }),
};

const gitMerge: Case = {
  argv: [script('git-merge.sh')],
  check: (n) => {
    const who = 'A U Thor <author@example.org> C O Mitter 2001-02-03T04:05:06+00:00';
    expect(n.stdout).toBe(
      [
        `*   035b18fdd89e4b1e058088de31cc7c503cc98ecc ${who} Merge branch 'feature'`,
        '|\\  ',
        `| * 115f0116414f8e5293361767f757c344470f86b4 ${who} second`,
        `* | f17ab13d2ee2e49f463b640f8d33f69b8d7e94e1 ${who} third`,
        '|/  ',
        `* 5885677de74cf0a76c0577341d5cc97cbb7a5a84 ${who} first`,
        '  feature',
        '* main',
        'count: 0',
        'in-pack: 11',
        'fsck: ok',
        '',
      ].join('\n'),
    );
    expect({ stderr: n.stderr, code: n.code }).toEqual({ stderr: '', code: 0 });
  },
};

describe.each(MODES)('build tools: native vs sysstub run $name', (mode) => {
  needs('make').it('make -j2: jobs in parallel, recursive $(MAKE) gets two slots from the jobserver', () => expectConforms(makeJ2, mode), SLOW);
  needs('make').it('make -j2 with a failing target: exit 2 and its "*** [...] Error 3" line', () => expectConforms(makeFail, mode), SLOW);
  needs('git').it('git init/commit/branch/merge/log/gc/fsck with fixed dates: same commit ids', () => expectConforms(gitMerge, mode), SLOW);
});
