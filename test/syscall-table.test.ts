// The syscall and errno tables against what this machine says: the installed kernel headers,
// Node's errno constants, glibc's messages, and the generator that produced table.ts.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  KERNEL_STUBS,
  MAX_SYSCALL_NR,
  SYSCALL_CLASSES,
  UNASSIGNED_RANGES,
  allSyscalls,
  parseSyscallRef,
  suggestSyscall,
  syscallByName,
  syscallByNr,
} from '../lib/syscalls/index.js';
import { allErrnos, errnoName, errnoNumber, strerror } from '../lib/errno.js';
import { root } from './helpers.js';

const UNISTD = '/usr/include/x86_64-linux-gnu/asm/unistd_64.h';

const STUBS = [134, 156, 174, 177, 178, 180, 181, 182, 183, 184, 185, 205, 211, 212, 214, 215, 236];

describe('syscall numbers', () => {
  it.skipIf(!existsSync(UNISTD))('match every __NR_ in the installed asm/unistd_64.h', () => {
    const defs = [...readFileSync(UNISTD, 'utf8').matchAll(/^#define __NR_(\w+)\s+(\d+)\s*$/gm)];
    expect(defs.length).toBeGreaterThan(300);
    for (const [, name, nr] of defs) {
      expect(syscallByName(name!)?.nr, name).toBe(Number(nr));
      expect(syscallByNr(Number(nr))?.name, nr).toBe(name);
    }
  });

  it('knows the calls newer than the installed headers', () => {
    const newer: [number, string][] = [
      [334, 'rseq'], [335, 'uretprobe'], [336, 'uprobe'], [451, 'cachestat'], [452, 'fchmodat2'],
      [453, 'map_shadow_stack'], [454, 'futex_wake'], [455, 'futex_wait'], [456, 'futex_requeue'],
      [457, 'statmount'], [458, 'listmount'], [459, 'lsm_get_self_attr'], [460, 'lsm_set_self_attr'],
      [461, 'lsm_list_modules'], [462, 'mseal'], [463, 'setxattrat'], [464, 'getxattrat'],
      [465, 'listxattrat'], [466, 'removexattrat'], [467, 'open_tree_attr'], [468, 'file_getattr'],
      [469, 'file_setattr'], [470, 'listns'],
    ];
    for (const [nr, name] of newer) {
      expect(syscallByNr(nr)).toMatchObject({ nr, name });
      expect(syscallByName(name)?.nr).toBe(nr);
    }
  });

  it('lists assigned calls in order, each name once, with only known classes', () => {
    const all = allSyscalls();
    expect(all.map((s) => s.nr)).toEqual([...all.map((s) => s.nr)].sort((a, b) => a - b));
    expect(new Set(all.map((s) => s.name)).size).toBe(all.length);
    expect(all.some((s) => s.status === 'unassigned')).toBe(false);
    expect(all.at(-1)?.nr).toBe(470);
    for (const s of all) for (const c of s.classes) expect(SYSCALL_CLASSES).toContain(c);
    expect(Object.isFrozen(all)).toBe(true);
    expect(Object.isFrozen(all[0])).toBe(true);
  });
});

describe('slot status', () => {
  it('has exactly the 17 kernel stubs', () => {
    expect(KERNEL_STUBS).toEqual(STUBS);
    expect(allSyscalls().filter((s) => s.status === 'stub').map((s) => s.nr)).toEqual(STUBS);
    expect(syscallByName('getpmsg')).toMatchObject({ nr: 181, status: 'stub' });
    expect(syscallByName('putpmsg')).toMatchObject({ nr: 182, status: 'stub' });
    expect(syscallByName('_sysctl')).toMatchObject({ nr: 156, status: 'stub' });
  });

  it('marks the uprobe trampoline calls special', () => {
    expect(syscallByNr(335)).toMatchObject({ name: 'uretprobe', status: 'special' });
    expect(syscallByNr(336)).toMatchObject({ name: 'uprobe', status: 'special' });
    expect(allSyscalls().filter((s) => s.status === 'special').map((s) => s.nr)).toEqual([335, 336]);
  });

  it('has the unassigned ranges 337..423 and 471..1023', () => {
    expect(MAX_SYSCALL_NR).toBe(1023);
    expect(UNASSIGNED_RANGES).toEqual([[337, 423], [471, 1023]]);
    for (const nr of [337, 400, 423, 471, 512, 547, 1023]) {
      expect(syscallByNr(nr)).toEqual({ nr, name: `syscall_${nr}`, status: 'unassigned', classes: [] });
    }
    expect(syscallByNr(400)).toBe(syscallByNr(400));
    expect(syscallByName('syscall_500')).toBe(syscallByNr(500));
    for (const nr of [336, 424, 470]) expect(syscallByNr(nr)?.status).not.toBe('unassigned');
  });

  it('accepts only 0..1023 and syscall_N for unassigned N', () => {
    for (const nr of [-1, 1024, 1.5, NaN, Infinity]) expect(syscallByNr(nr)).toBeUndefined();
    expect(syscallByNr(0)?.name).toBe('read');
    expect(syscallByName('syscall_2')).toBeUndefined();
    expect(syscallByName('syscall_1024')).toBeUndefined();
    expect(syscallByName('syscall_0400')).toBeUndefined();
    expect(syscallByName('OPEN')).toBeUndefined();
    expect(syscallByName('toString')).toBeUndefined();
  });
});

describe('trace classes (as strace assigns them)', () => {
  const classes = (name: string) => syscallByName(name)?.classes;
  it('tags representative calls', () => {
    expect(classes('read')).toEqual(['desc']);
    expect(classes('open')).toEqual(['file', 'desc']);
    expect(classes('openat')).toEqual(['file', 'desc']);
    expect(classes('stat')).toEqual(['file', 'stat', 'stat_like']);
    expect(classes('lstat')).toEqual(['file', 'lstat', 'stat_like']);
    expect(classes('fstat')).toEqual(['desc', 'fstat', 'stat_like']);
    expect(classes('newfstatat')).toEqual(['file', 'desc', 'fstat', 'stat_like']);
    expect(classes('statx')).toEqual(['file', 'desc', 'fstat', 'stat_like']);
    expect(classes('statfs')).toEqual(['file', 'statfs', 'statfs_like']);
    expect(classes('fstatfs')).toEqual(['desc', 'fstatfs', 'statfs_like']);
    expect(classes('ustat')).toEqual(['statfs_like']);
    expect(classes('execve')).toEqual(['file', 'process']);
    expect(classes('kill')).toEqual(['process', 'signal']);
    expect(classes('mmap')).toEqual(['desc', 'memory']);
    expect(classes('shmat')).toEqual(['ipc', 'memory']);
    expect(classes('sendfile')).toEqual(['desc', 'network']);
    expect(classes('getpmsg')).toEqual(['network']);
    expect(classes('getuid')).toEqual(['creds', 'pure']);
    expect(classes('getpid')).toEqual(['pure']);
    expect(classes('clock_gettime')).toEqual(['clock']);
    expect(classes('pidfd_send_signal')).toEqual(['desc', 'process', 'signal']);
    expect(classes('futex')).toEqual([]);
  });

  it("has the class sizes of strace's x86-64 table", () => {
    const sizes: Record<string, number> = {};
    for (const s of allSyscalls()) for (const c of s.classes) sizes[c] = (sizes[c] ?? 0) + 1;
    expect(sizes).toEqual({
      file: 75, desc: 132, process: 16, signal: 17, ipc: 12, network: 21, memory: 28, creds: 19,
      stat: 1, lstat: 1, fstat: 3, stat_like: 5, statfs: 1, fstatfs: 1, statfs_like: 3, clock: 8, pure: 8,
    });
  });
});

describe('names from users', () => {
  it('suggests the closest name', () => {
    expect(suggestSyscall('getpmgs')).toBe('getpmsg');
    expect(suggestSyscall('opne')).toBe('open');
    expect(suggestSyscall('GETPMSG')).toBe('getpmsg');
    expect(suggestSyscall('rt_sigacton')).toBe('rt_sigaction');
    expect(suggestSyscall('clock_getitme')).toBe('clock_gettime');
    expect(suggestSyscall('xyzzy')).toBeUndefined();
    expect(suggestSyscall('')).toBeUndefined();
    expect(suggestSyscall('completely_unrelated_name')).toBeUndefined();
  });

  it('parses names and numbers', () => {
    expect(parseSyscallRef('getpmsg').nr).toBe(181);
    expect(parseSyscallRef(181).name).toBe('getpmsg');
    expect(parseSyscallRef('181').name).toBe('getpmsg');
    expect(parseSyscallRef('syscall_400')).toMatchObject({ nr: 400, status: 'unassigned' });
    expect(parseSyscallRef(1023).name).toBe('syscall_1023');
  });

  it('explains bad input in one line', () => {
    const message = (ref: string | number) => {
      try {
        parseSyscallRef(ref);
      } catch (e) {
        expect(e).toBeInstanceOf(TypeError);
        const text = (e as Error).message;
        expect(text).not.toContain('\n');
        return text;
      }
      throw new Error(`${String(ref)} was accepted`);
    };
    expect(message('getpmgs')).toBe('unknown syscall "getpmgs" (did you mean "getpmsg"?)');
    expect(message('xyzzy')).toMatch(/^unknown syscall "xyzzy" \(expected .*0\.\.1023/);
    expect(message(2000)).toBe('syscall number 2000 out of range 0..1023');
    expect(message('2000')).toBe('syscall number 2000 out of range 0..1023');
    expect(message(-1)).toBe('syscall number -1 out of range 0..1023');
    expect(message(1.5)).toBe('syscall number 1.5 is not an integer');
    expect(message('syscall_2')).toBe('syscall "syscall_2" is assigned: use its name "open" or the number 2');
    expect(message('syscall_4000')).toBe('syscall number 4000 out of range 0..1023');
    expect(message('')).toMatch(/^unknown syscall ""/);
  });
});

describe('generated table', () => {
  it('is what scripts/gen-syscalls.mjs makes from the .tbl and classes.txt', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sysstub-gen-'));
    try {
      const out = join(dir, 'table.ts');
      execFileSync(process.execPath, [join(root, 'scripts/gen-syscalls.mjs'), out], { stdio: 'pipe' });
      expect(readFileSync(join(root, 'lib/syscalls/table.ts'), 'utf8'), 'run: node scripts/gen-syscalls.mjs').toBe(
        readFileSync(out, 'utf8'),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('errno', () => {
  it('agrees with every errno name Node knows', () => {
    const known = Object.entries(constants.errno);
    expect(known.length).toBeGreaterThan(70);
    for (const [name, n] of known) expect(errnoNumber(name), name).toBe(n);
  });

  it('names numbers in the kernel spelling, aliases only as input', () => {
    expect(errnoName(2)).toBe('ENOENT');
    expect(errnoName(11)).toBe('EAGAIN');
    expect(errnoName(35)).toBe('EDEADLK');
    expect(errnoName(95)).toBe('EOPNOTSUPP');
    expect(errnoName(133)).toBe('EHWPOISON');
    expect(errnoNumber('EWOULDBLOCK')).toBe(11);
    expect(errnoNumber('EDEADLOCK')).toBe(35);
    expect(errnoNumber('ENOTSUP')).toBe(95);
    expect(errnoNumber('enoent')).toBeUndefined();
    expect(errnoNumber('toString')).toBeUndefined();
    expect(errnoName(41)).toBeUndefined();
    expect(errnoName(58)).toBeUndefined();
    expect(errnoName(0)).toBeUndefined();
  });

  it("has glibc's messages", () => {
    expect(strerror(2)).toBe('No such file or directory');
    expect(strerror(11)).toBe('Resource temporarily unavailable');
    expect(strerror(38)).toBe('Function not implemented');
    expect(strerror(60)).toBe('Device not a stream');
    expect(strerror(95)).toBe('Operation not supported');
    expect(strerror(133)).toBe('Memory page has hardware error');
    expect(strerror(41)).toBe('Unknown error 41');
    expect(strerror(4000)).toBe('Unknown error 4000');
  });

  it('covers 1..133 and the kernel-internal codes strace prints', () => {
    const all = allErrnos();
    const numbers = all.map((e) => e.errno);
    const expected = [
      ...Array.from({ length: 133 }, (_, i) => i + 1).filter((n) => n !== 41 && n !== 58),
      ...[512, 513, 514, 515, 516, 517, 518, 519, 521, 522, 523, 524, 525, 526, 527, 528, 529, 530],
    ];
    expect(numbers).toEqual(expected);
    expect(new Set(all.map((e) => e.name)).size).toBe(all.length);
    for (const e of all) {
      expect(errnoNumber(e.name)).toBe(e.errno);
      expect(e.name).toMatch(/^E[A-Z0-9_]+$/);
      expect(e.message.length).toBeGreaterThan(0);
    }
    expect(errnoName(512)).toBe('ERESTARTSYS');
    expect(errnoName(516)).toBe('ERESTART_RESTARTBLOCK');
    expect(errnoNumber('ERECALLCONDITIONAL')).toBe(530);
    expect(errnoName(520)).toBeUndefined();
  });
});
