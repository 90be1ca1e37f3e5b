// Conformance: Python (Debian's /usr/bin/python3): threads, multiprocessing
// with each start method, subprocess, posix_spawn, exec from a non-leader
// thread, and a real SIGSEGV with faulthandler.
import { describe, expect } from 'vitest';
import { onlyIf } from '../probes.js';
import { expectConforms, MODES, python3, replacing, script, SLOW, type Case } from './harness.js';

const py = onlyIf(python3 !== null, 'python3 is not installed (/usr/bin/python3, Debian package python3)');

const processes: Case = {
  argv: [python3 ?? 'python3', script('py-processes.py')],
  check: (n) =>
    expect(n).toEqual({
      stdout: [
        'threads: 8 (7, 9799930000)',
        'fork pool: [0, 1, 4, 9, 16, 25]',
        ...['fork', 'spawn', 'forkserver'].flatMap((m) => [`${m}: a child process: True, parent alive: True`, `${m}: exit code 0`]),
        "subprocess: 'sub out\\n' 'sub err\\n' 3",
        'posix_spawn: 5',
        'posix_spawnp: ran',
        'posix_spawnp: 0',
        '',
      ].join('\n'),
      stderr: '',
      code: 4,
      signal: null,
      hung: false,
    }),
};

const execThread: Case = {
  argv: [python3 ?? 'python3', script('py-exec-thread.py')],
  check: (n) =>
    expect(n).toEqual({
      stdout: 'leader: True\nexec thread is the leader: False\nafter exec: same pid: yes\n',
      stderr: '',
      code: 4,
      signal: null,
      hung: false,
    }),
  runs: 2, // the exec races the other threads' exit
};

// faulthandler names the thread by its pthread_t, an address: the only volatile text.
const segv: Case = {
  argv: [python3 ?? 'python3', script('py-segv.py')],
  normalise: replacing([/^Current thread 0x[0-9a-f]+ /m, 'Current thread 0xADDR ']),
  check: (n) => {
    expect({ stdout: n.stdout, code: n.code, signal: n.signal }).toEqual({ stdout: 'about to crash\n', code: null, signal: 'SIGSEGV' });
    expect(n.stderr).toMatch(
      new RegExp(
        '^Fatal Python error: Segmentation fault\n\nCurrent thread 0x[0-9a-f]+ \\(most recent call first\\):\n' +
          '  File ".*/ctypes/__init__\\.py", line \\d+ in string_at\n' +
          `  File "${script('py-segv.py')}", line 12 in crash\n` +
          `  File "${script('py-segv.py')}", line 15 in <module>\n`,
      ),
    );
  },
};

describe.each(MODES)('python3: native vs sysstub run $name', (mode) => {
  py.it('threads, multiprocessing (fork pool; fork, spawn, forkserver), subprocess, posix_spawn(p)', () => expectConforms(processes, mode), SLOW);
  py.it('exec from a non-leader thread: the new program has the leader pid (x2)', () => expectConforms(execThread, mode), SLOW);
  py.it('a real SIGSEGV under faulthandler: same traceback (thread address normalised), death by SIGSEGV', () => expectConforms(segv, mode), SLOW);
});
