// How does a program cope when writing fails? The suite a user would write
// for their own program, here for coreutils cat: each fault as a strace
// expression, the program's behaviour and its calls asserted with the
// sysstub/vitest matchers. Run with `npm test` (examples/ is in the suite).
import { execFileSync, spawnSync } from 'node:child_process';
import net from 'node:net';
import { describe, expect } from 'vitest';
import { test } from 'sysstub/vitest';

const env = { ...process.env, LC_ALL: 'C' };
const file = '/etc/passwd'; // a few hundred bytes or more: several writes' worth when cut short

describe('cat under write faults', () => {
  test('EIO on the first write: cat says so and exits 1', async ({ run }) => {
    const r = await run(['cat', file], { inject: 'write:error=EIO:when=1', trace: 'write', env });
    expect(r).toHaveExitedWith(1);
    expect(r.stderr).toBe('cat: write error: Input/output error\n');
    expect(r).toFailSyscallWith('write', 'EIO');
  });

  // fd=1: only the output; on every write, the error message could not be written either.
  test('ENOSPC on stdout: a full disk', async ({ run }) => {
    const r = await run(['cat', file], { inject: 'write:fd=1:error=ENOSPC', env });
    expect(r).toHaveExitedWith(1);
    expect(r.stderr).toBe('cat: write error: No space left on device\n');
  });

  test('EINTR on the first write: cat retries, the output is complete', async ({ run }) => {
    const r = await run(['cat', file], { inject: 'write:error=EINTR:when=1', trace: 'write', env });
    expect(r).toHaveExitedWith(0);
    expect(r.stdout).toBe(execFileSync('cat', [file], { encoding: 'utf8' }));
    expect(r).toFailSyscallWith('write', 'EINTR');
  });

  // Done right: the call runs with a smaller count (set_arg2=1), so the
  // kernel really writes one byte and returns 1. (retval=1 would return 1
  // without writing anything: a lost write, not a short one.)
  test('short writes (1 byte each of the first three): cat writes the rest, nothing is lost', async ({ run }) => {
    const r = await run(['cat', file], { inject: 'write:set_arg2=1:when=1..3', trace: 'write', env });
    expect(r).toHaveExitedWith(0);
    expect(r.stdout).toBe(execFileSync('cat', [file], { encoding: 'utf8' }));
    expect(r).toHaveCalledSyscall('write', { result: 1, times: 3 });
  });
});

describe('a slow connect', () => {
  const python = spawnSync('python3', ['-c', '0']).status === 0;

  test.skipIf(!python)('connect delayed by 300 ms: the program waits for it, then talks (needs python3)', async ({ run }) => {
    const server = net.createServer((s) => s.end('hello\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const script = [
        'import socket, time',
        't = time.monotonic()',
        `s = socket.create_connection(("127.0.0.1", ${port}))`,
        'print("waited %s" % (time.monotonic() - t >= 0.3))',
        'print(s.makefile().readline().strip())',
      ].join('\n');
      const r = await run(['python3', '-c', script], { inject: 'connect:delay_enter=300ms', trace: 'connect' });
      expect(r).toHaveExitedWith(0);
      expect(r.stdout).toBe('waited True\nhello\n');
      expect(r).toHaveCalledSyscall('connect', { result: 0 });
    } finally {
      server.close();
    }
  });
});
