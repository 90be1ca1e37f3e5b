// Trace lines against strace's own, for the calls the decoders cover: the
// same program traced by both, addresses (ASLR) and per-run values aside.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, runNative } from '../helpers.js';
import { needs } from '../probes.js';

// A small fixed environment, the same for both tools: with the whole vitest
// environment python3 placed one mmap differently (cause not found); its allocations
// (and so where its mmap/brk calls fall) depend on the environment it starts
// with, and on hash randomisation (PYTHONHASHSEED).
const env = { PATH: process.env.PATH, HOME: process.env.HOME, LC_ALL: 'C', PYTHONHASHSEED: '0' };
// Calls whose lines depend on the run (random bytes, tids) or on which tool traces them are left out.
const SET = 'execve,brk,mmap,munmap,mprotect,access,openat,close,read,pread64,write,newfstatat,arch_prctl,prlimit64,exit_group,lseek,getdents64,ioctl,fcntl,dup2,pipe2,uname,getuid,geteuid,rt_sigaction,rt_sigprocmask';
// Addresses change with ASLR, and so does the padding before "= " (alignment at column 40).
const normalize = (s: string) =>
  s.replace(/0x[0-9a-f]{6,}/g, '0xADDR').replace(/\/\* \d+ vars \*\//g, '/* N vars */').trimEnd().split('\n')
    .map((l) => l.replace(/^\d+ +/, '').replace(/\) +(= [^=]*)$/, ') $1'));

const PROGRAMS: [string, string[]][] = [
  ['cat', ['/etc/hostname']],
  ['ls', ['/usr']],
  ['uname', ['-s']],
  ['id', ['-u']],
  ['/usr/bin/python3', ['-c', 'print(1)']],
  ['sh', ['-c', 'read x </etc/hostname; echo "$x" $((1+2))']],
];

needs('strace').describe('multi-process traces match strace -f (pids aside)', () => {
  it('execs, exits and SIGCHLD with its siginfo', async () => {
    const a = path.join(os.tmpdir(), `sysstub-parity-${process.pid}-fa`);
    const b = path.join(os.tmpdir(), `sysstub-parity-${process.pid}-fb`);
    const script = 'ls / >/dev/null; true';
    await runNative('strace', ['-f', '-qq', '-e', 'trace=execve,exit_group', '-o', a, 'sh', '-c', script], { env });
    await runCli(['run', '-qq', '-e', 'trace=execve,exit_group', '-o', b, '--', 'sh', '-c', script], { env });
    // The child's CPU times in the siginfo (si_utime/si_stime, in clock ticks,
    // with strace's " /* 0.01 s */") differ from run to run.
    const norm = (f: string) => normalize(fs.readFileSync(f, 'utf8')).map((l) => l.replace(/^\d+ +/, '').replace(/(si_pid=|wait4\()\d+/g, '$1N').replace(/= \d+$/, '= N')
      .replace(/(si_[us]time=)\d+(?: \/\* [\d.]+ s \*\/)?/g, '$1T'));
    const [ta, tb] = [norm(a), norm(b)];
    fs.rmSync(a, { force: true });
    fs.rmSync(b, { force: true });
    expect(tb).toEqual(ta);
    expect(ta.some((l) => l.startsWith('--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED'))).toBe(true);
  });
});

needs('strace').describe('trace lines match strace', () => {
  for (const [prog, args] of PROGRAMS) {
    it(`${prog} ${args.join(' ')}`, async () => {
      const a = path.join(os.tmpdir(), `sysstub-parity-${process.pid}-a`);
      const b = path.join(os.tmpdir(), `sysstub-parity-${process.pid}-b`);
      // sysstub always follows, as strace -f does (and then prefixes pids in files).
      const theirs = await runNative('strace', ['-f', '-qq', '-e', `trace=${SET}`, '-o', a, prog, ...args], { env });
      const ours = await runCli(['run', '-qq', '-e', `trace=${SET}`, '-o', b, '--', prog, ...args], { env });
      expect(ours.stdout).toBe(theirs.stdout);
      const [ta, tb] = [normalize(fs.readFileSync(a, 'utf8')), normalize(fs.readFileSync(b, 'utf8'))];
      fs.rmSync(a, { force: true });
      fs.rmSync(b, { force: true });
      expect(tb).toEqual(ta);
      expect(ta.length).toBeGreaterThan(10);
    });
  }
});
