// Parity with strace's fault injection: for each expression, the program's
// effect (stdout, stderr, exit status) under `sysstub run -e inject=...` is
// the one it has under `strace -f -e inject=...`. CI installs strace.
import { describe, expect, it } from 'vitest';
import { runCli, runNative } from '../helpers.js';
import { needs } from '../probes.js';


// [expression (as given to -e), program, args]
const CASES: [string, string, string[]][] = [
  ['inject=openat:error=ENOENT:when=3', 'cat', ['/etc/hostname']],
  ['inject=openat:error=EACCES:when=3', 'cat', ['/etc/hostname', '/etc/hostname']],
  ['inject=openat:error=EMFILE:when=3+', 'cat', ['/etc/hostname', '/etc/passwd']],
  ['inject=openat:error=ENOENT:when=3..4', 'cat', ['/etc/hostname', '/etc/hostname', '/etc/hostname']],
  ['inject=openat:error=ENOENT:when=3..9+2', 'cat', ['/etc/hostname', '/etc/hostname', '/etc/hostname', '/etc/hostname']],
  ['inject=read:error=EIO:when=2', 'cat', ['/etc/hostname']],
  ['inject=read:retval=0:when=2', 'cat', ['/etc/passwd']],
  ['inject=write:error=ENOSPC', 'echo', ['hello']],
  ['inject=write:retval=1:when=1', '/bin/echo', ['hello']],
  ['inject=getcwd:error=ENOENT', '/bin/pwd', ['-P']],
  ['inject=uname:error=EPERM', 'uname', ['-s']],
  ['inject=getuid:retval=4242', 'id', ['-ru']],
  ['inject=geteuid:retval=4242', 'id', ['-u']],
  ['fault=openat:when=3', 'cat', ['/etc/hostname']],
  ['fault=openat:error=ELOOP:when=3', 'cat', ['/etc/hostname']],
  ['inject=/^open.*:error=ENOENT:when=3', 'cat', ['/etc/hostname']],
  ['inject=close:error=EBADF:when=3', 'cat', ['/etc/hostname']],
  ['inject=fstat,newfstatat,statx:error=EIO:when=3', 'ls', ['-l', '/etc/hostname']],
  ['inject=getpid:signal=SIGUSR1', 'python3', ['-c', 'import os; os.getpid(); print("survived")']],
  ['inject=getdents64:error=EIO', 'ls', ['/etc']],
  ['inject=write:signal=SIGUSR1:when=2', 'sh', ['-c', 'echo one; echo two; echo three']],
  ['inject=openat:signal=SIGTERM:delay_exit=50ms:when=3', 'cat', ['/etc/hostname']],
  ['inject=read:delay_exit=20ms:when=2', 'cat', ['/etc/hostname']],
  ['inject=%stat:error=ENOENT:when=2', 'ls', ['-ld', '/etc', '/tmp']],
  ['inject=openat:error=ENOENT:when=4', 'sh', ['-c', 'echo start; cat /etc/hostname; echo end $?']],
  ['inject=pipe2,pipe:error=EMFILE', 'sh', ['-c', 'echo a | cat; echo rc=$?']],
  ['inject=openat:error=ENOENT:when=6', 'python3', ['-c', 'print(open("/etc/hostname").read().strip())']],
];

// The C locale keeps the programs' early calls (and so the counts) short and fixed.
const env = { ...process.env, LC_ALL: 'C' };

needs('strace').describe('strace parity: -e inject= and -e fault= have the same effect', () => {
  const changed: string[] = [];
  for (const [expr, prog, args] of CASES) {
    it(`${expr}  ${prog} ${args.join(' ')}`, async () => {
      const strace = await runNative('strace', ['-f', '-qq', '-o', '/dev/null', '-e', expr, prog, ...args], { env });
      const ours = await runCli(['run', '-e', expr, '--', prog, ...args], { env });
      const native = await runNative(prog, args, { env });
      // Exactly what strace changes...
      expect(ours).toEqual(strace);
      if (JSON.stringify(ours) !== JSON.stringify(native)) changed.push(expr);
    });
  }
  // ...and at least 15 of the expressions change something, or they prove nothing.
  it('most expressions change the program\'s behaviour', () => {
    expect(changed.length).toBeGreaterThanOrEqual(15);
  });
});
