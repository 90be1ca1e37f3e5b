// Conformance: Node (worker_threads, child_process) and Perl (fork, pipe,
// alarm, death by SIGKILL, a segfault), natively and under `sysstub run`.
import { describe, expect, it } from 'vitest';
import { onlyIf } from '../probes.js';
import { expectConforms, MODES, replacing, script, SLOW, which, type Case } from './harness.js';

const needs = (tool: string) => onlyIf(which(tool) !== null, `${tool} is not installed`);

const nodeWorkers: Case = {
  argv: [process.execPath, script('node-workers.mjs')],
  check: (n) =>
    expect(n).toEqual({
      stdout:
        'workers: 1:499999500000 2:1999999000000 3:4499998500000\nexecFileSync: 42\nsh got: a line\nspawn: exit code 3\nkilled child: SIGTERM\n',
      stderr: 'to stderr\n',
      code: 5,
      signal: null,
      hung: false,
    }),
};

const perlFork: Case = {
  argv: ['perl', script('perl-fork.pl')],
  check: (n) =>
    expect(n).toEqual({
      stdout: [
        'child 1: 11',
        'child 2: 22',
        'child 3: 33',
        'child exit status: 1',
        'child exit status: 2',
        'child exit status: 3',
        'alarm: alarm fired',
        'from a piped open',
        'piped open status: 2',
        '',
      ].join('\n'),
      stderr: 'killing myself\n',
      code: null,
      signal: 'SIGKILL',
      hung: false,
    }),
};

// unpack "p" of address 8: a real invalid read, not a signal sent by kill.
const perlSegv: Case = {
  argv: ['perl', '-e', '$| = 1; print "before\\n"; my $x = unpack("p", pack("J", 8)); print "not reached\\n"'],
  normalise: replacing(),
  check: (n) => expect(n).toEqual({ stdout: 'before\n', stderr: '', code: null, signal: 'SIGSEGV', hung: false }),
};

describe.each(MODES)('node and perl: native vs sysstub run $name', (mode) => {
  it('node: worker_threads and child_process (execFileSync, spawn, kill), exit code 5', () => expectConforms(nodeWorkers, mode), SLOW);
  needs('perl').it('perl: fork + pipe, waitpid statuses, alarm, piped open, death by SIGKILL', () => expectConforms(perlFork, mode), SLOW);
  needs('perl').it('perl: a segfault (invalid read): death by SIGSEGV', () => expectConforms(perlSegv, mode), SLOW);
});

