// Sealed constants (sealConstants / --seal-constants): an errno answered by
// the filter itself. They share the routing filter, one filter for the
// program, unless a sealed call is one the child makes itself between its
// first filter and execve (native/spawn_child.h kChildCallsAfterFilter): then
// they go in after the child's set-up as a second filter, and the program
// starts exactly as without them. Each of those calls is sealed here once.
import { describe, expect, it } from 'vitest';
import { defineModule, Supervisor, type SyscallName } from '../lib/index.js';
import { fixture, haveProgram } from './helpers.js';
import { onlyIf } from './probes.js';

/** The program's view of itself, and getpmsg (181) through the stub table. */
async function sealedRun(name: SyscallName): Promise<{ status: string; stubcall: string; stderr: string; error?: string }> {
  const sup = new Supervisor({ modules: [defineModule({ name: 'sealed', syscalls: { [name]: { errno: 'EPERM' as const } } })], sealConstants: true });
  try {
    // dash's builtins only: the program makes as few calls as it can (a sealed close fails any dynamic loader).
    const script = 'while read -r k v; do case $k in SigIgn:|SigBlk:|Seccomp_filters:) echo "$k $v";; esac; done </proc/self/status; exec "$0" 181';
    const c = sup.spawn('dash', ['-c', script, fixture('stubcall')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout!.on('data', (d: Buffer) => (out += d));
    c.stderr!.on('data', (d: Buffer) => (err += d));
    const error = await c.exited.then(
      () => undefined,
      (e: NodeJS.ErrnoException) => e.code,
    );
    await c.closed.catch(() => {});
    const lines = out.split('\n');
    return { status: lines.filter((l) => /^(SigIgn|SigBlk|Seccomp_filters):/.test(l)).join('\n'), stubcall: lines.filter((l) => l.startsWith('181 ')).join('\n'), stderr: err, ...(error ? { error } : {}) };
  } finally {
    await sup.close();
  }
}

const startsAsNatively = (filters: number) => ({
  // Supervisor.spawn's default: nothing ignored or blocked, whatever Node has (SIGPIPE is ignored in Node).
  status: `SigBlk: 0000000000000000\nSigIgn: 0000000000000000\nSeccomp_filters: ${filters}`,
  stubcall: '181 = -1 ENOSYS',
  stderr: '',
});

onlyIf(haveProgram('dash', ['-c', ':']), 'dash is not installed').describe('sealed constants', () => {
  it('a call the child does not make itself (getuid): one filter for the program', async () => {
    const r = await sealedRun('getuid');
    expect(r).toEqual(startsAsNatively(1));
  });

  // The child's own calls after its first filter (rt_sigaction and rt_sigprocmask set the program's signals; sendmsg and close hand the listener over).
  for (const name of ['sendmsg', 'seccomp', 'prctl', 'rt_sigaction', 'rt_sigprocmask', 'exit'] as const) {
    it(`${name}, which the child makes itself: a second filter after its set-up; the program starts as without it`, async () => {
      expect(await sealedRun(name)).toEqual(startsAsNatively(2));
    });
  }

  it('close, which the child makes itself: the program is run and its loader meets the errno (it cannot close its files)', async () => {
    const r = await sealedRun('close');
    expect(r).toMatchObject({ status: '', stubcall: '' });
    expect(r.stderr).toMatch(/^dash: error while loading shared libraries: .*: cannot close file descriptor: Operation not permitted\n$/);
  });

  it('exit_group sealed: the child set-up still ends in the program, which exits by exit(2) when exit_group fails', async () => {
    const r = await sealedRun('exit_group');
    expect(r).toEqual(startsAsNatively(2));
  });
});
