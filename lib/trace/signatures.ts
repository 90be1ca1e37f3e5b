// Per-syscall argument decoders, in strace's output format, and the tracee memory each needs.
// A signature lists the printed arguments (a function of the call, since some depend on others:
// open's mode only with O_CREAT, fcntl's third argument by command), the captures, and how a
// successful return value prints. See the man pages of each call and strace's src/*.c.
import { Ctx, PATH_MAX } from './context.js';
import {
  ACCESS_MODES, ARCH_PRCTL_CODES, AT_EACCESS_FLAGS, AT_FLAGS, CLOCK_IDS, CLONE_FLAGS, CLOSE_RANGE_FLAGS,
  EFD_FLAGS, EPOLL_CREATE_FLAGS, EPOLL_CTL_OPS, FCNTL_CMDS, FD_FLAGS, GRND_FLAGS, IOCTL_CMDS,
  IPPROTOS, MADVISE_ADVICE, MREMAP_FLAGS, MSG_FLAGS, OPEN_FLAGS, O_CREAT, O_TMPFILE, PROT_FLAGS,
  PR_OPTIONS, RENAME_FLAGS, RLIMIT_RESOURCES, SEEK_WHENCE, SIGPROCMASK_HOW, STATX_MASK, SUID_DUMP,
  TIMER_FLAGS, WAIT_OPTIONS, ADDRESS_FAMILIES, flags, futexOp, mmapFlags, octal, openFlags, signalName,
  sockType, xlat, xlatHex,
} from './flags.js';
import type { Table } from './flags.js';
import { quoteHex, quoteString } from './quote.js';
import {
  EPOLL_EVENT_SIZE, SIGACTION_SIZE, STATX_SIZE, STAT_SIZE, TIMESPEC_SIZE, countDirents, cstrBytes,
  pointer, printCpuSet, printEpollEvent, printEpollEvents, printFdSet, printIntArray, printPollRevents,
  printPollfds, printRlimit, printSigaction, printSigset, printSockaddr, printStat, printStatfs, printStatx,
  printSysinfo, printTimespec, printTimeval, printTimezone, printUintArray, printUtsname, printWaitStatus,
  printWinsize,
} from './structs.js';
import type { CaptureSpec, DecodeOptions } from './types.js';

type Cap = (o: DecodeOptions) => CaptureSpec;

export interface Signature {
  /** The printed arguments. */
  args: (x: Ctx) => string[];
  /** What the tracer must capture. */
  caps?: readonly Cap[];
  /** A successful return value, when it does not print as decimal. */
  ret?: (x: Ctx) => string;
}

// --- captures ----------------------------------------------------------------------------------

const pathIn = (arg: number): Cap => () =>
  ({ key: `a${arg}`, arg, at: 'entry', kind: 'cstr', len: { size: PATH_MAX }, max: PATH_MAX, role: 'path' });
const strIn = (arg: number): Cap => (o) =>
  ({ key: `a${arg}`, arg, at: 'entry', kind: 'cstr', len: { size: o.strsize + 1 }, max: o.strsize + 1 });
const bufIn = (arg: number, lenArg: number): Cap => (o) =>
  ({ key: `a${arg}`, arg, at: 'entry', kind: 'buf', len: { arg: lenArg }, max: o.strsize });
const bufOut = (arg: number): Cap => (o) =>
  ({ key: `a${arg}.out`, arg, at: 'exit', kind: 'buf', len: { ret: true }, max: o.strsize });
const structIn = (arg: number, size: number): Cap => () =>
  ({ key: `a${arg}`, arg, at: 'entry', kind: 'buf', len: { size }, max: size });
const structOut = (arg: number, size: number): Cap => () =>
  ({ key: `a${arg}.out`, arg, at: 'exit', kind: 'buf', len: { size }, max: size });
const arrIn = (arg: number, lenArg: number, scale: number, max: number): Cap => () =>
  ({ key: `a${arg}`, arg, at: 'entry', kind: 'buf', len: { arg: lenArg, scale }, max });
const arrOut = (arg: number, len: CaptureSpec['len'], max: number): Cap => () =>
  ({ key: `a${arg}.out`, arg, at: 'exit', kind: 'buf', len, max });
const strvIn = (arg: number): Cap => (o) =>
  ({ key: `a${arg}`, arg, at: 'entry', kind: 'strv', len: { size: o.strsize + 1 }, max: o.strsize + 1 });
/** envp: only the count is printed, so every pointer, with one byte of each string. */
const strvCountIn = (arg: number): Cap => () =>
  ({ key: `a${arg}`, arg, at: 'entry', kind: 'strv', len: { size: 65536 }, max: 1 });

// --- shared printers ---------------------------------------------------------------------------

const sigsetIn = (x: Ctx, i: number) => x.inStruct(i, printSigset);
const sigsetOut = (x: Ctx, i: number) => x.outStruct(i, printSigset);
const hexRet = (x: Ctx) => pointer(x.ret).replace('NULL', '0');
const octRet = (x: Ctx) => octal(x.ret);
const modeArg = (x: Ctx, i: number) => octal(x.u32(i));
const atFlags = (x: Ctx, i: number) => flags(x.u32(i), AT_FLAGS);
const oflags0 = (x: Ctx, i: number) => flags(x.u32(i), OPEN_FLAGS);
/** An int written by the call: `[2]`. */
const intOut = (x: Ctx, i: number) => x.outStruct(i, (b) => printIntArray(b, 1));
/** A pointer-sized value written by the call: `[0x7f...]`. */
const ptrOut = (x: Ctx, i: number) =>
  x.outStruct(i, (b) => (b.length < 8 ? undefined : `[${pointer(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true))}]`));

function openArgs(x: Ctx, flagsArg: number): string[] {
  const f = x.u32(flagsArg);
  const out = [openFlags(f)];
  if ((f & O_CREAT) !== 0 || (f & O_TMPFILE) === O_TMPFILE) out.push(modeArg(x, flagsArg + 1));
  return out;
}

/** execve's argv: `["ls", "-l"]`, `...` after strsize entries; the pointer if not captured. */
function strv(x: Ctx, i: number): string {
  if (x.u(i) === 0n) return 'NULL';
  const b = x.in(i);
  if (!b) return x.ptr(i);
  const items = splitStrv(b);
  const shown = items.slice(0, x.o.strsize).map((s) => quoteString(s, x.o.strsize, s.length > x.o.strsize));
  if (items.length > x.o.strsize) shown.push('...');
  return `[${shown.join(', ')}]`;
}
function splitStrv(b: Uint8Array): Uint8Array[] {
  const items: Uint8Array[] = [];
  for (let p = 0; p < b.length;) {
    const z = b.indexOf(0, p);
    const end = z < 0 ? b.length : z;
    items.push(b.subarray(p, end));
    p = end + 1;
  }
  return items;
}
/** execve's envp as strace prints it without -v: `0x7ffd... /* 23 vars *\/`. */
function envCount(x: Ctx, i: number): string {
  if (x.u(i) === 0n) return 'NULL';
  const b = x.in(i);
  if (!b) return x.ptr(i);
  return `${x.ptr(i)} /* ${splitStrv(b).length} vars */`;
}

// --- the table ---------------------------------------------------------------------------------

const S: Record<string, Signature> = {};
function def(names: string | string[], sig: Signature): void {
  for (const n of Array.isArray(names) ? names : [names]) S[n] = sig;
}

const none: Signature = { args: () => [] };
def(['getpid', 'getppid', 'gettid', 'getuid', 'geteuid', 'getgid', 'getegid', 'getpgrp', 'setsid',
  'sched_yield', 'sync', 'fork', 'vfork', 'pause', 'munlockall', 'inotify_init'], none);
def('rt_sigreturn', { args: () => ['{mask=[]}'] }); // the frame lives on the tracee's stack

// files and descriptors
def('read', { args: (x) => [x.fd(0), x.rbuf(1), x.ulong(2)], caps: [bufOut(1)] });
def('write', { args: (x) => [x.fd(0), x.wbuf(1, x.u(2)), x.ulong(2)], caps: [bufIn(1, 2)] });
def('pread64', { args: (x) => [x.fd(0), x.rbuf(1), x.ulong(2), x.long(3)], caps: [bufOut(1)] });
def('pwrite64', { args: (x) => [x.fd(0), x.wbuf(1, x.u(2)), x.ulong(2), x.long(3)], caps: [bufIn(1, 2)] });
def(['readv', 'writev'], { args: (x) => [x.fd(0), x.ptr(1), x.ulong(2)] });
def('open', { args: (x) => [x.path(0), ...openArgs(x, 1)], caps: [pathIn(0)] });
def('openat', { args: (x) => [x.dirfd(0), x.path(1), ...openArgs(x, 2)], caps: [pathIn(1)] });
def('openat2', {
  args: (x) => [x.dirfd(0), x.path(1), x.inStruct(2, (b) => {
    if (b.length < 24) return undefined;
    const d = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const f = d.getBigUint64(0, true), mode = d.getBigUint64(8, true), res = d.getBigUint64(16, true);
    let s = `{flags=${openFlags(f)}`;
    if ((Number(f & 0xffffffffn) & O_CREAT) !== 0 || mode !== 0n) s += `, mode=${octal(mode)}`;
    if (res !== 0n) s += `, resolve=${flags(res, RESOLVE_FLAGS)}`;
    return s + '}';
  }), x.ulong(3)],
  caps: [pathIn(1), structIn(2, 24)],
});
const RESOLVE_FLAGS = [[1, 'RESOLVE_NO_XDEV'], [2, 'RESOLVE_NO_MAGICLINKS'], [4, 'RESOLVE_NO_SYMLINKS'],
  [8, 'RESOLVE_BENEATH'], [16, 'RESOLVE_IN_ROOT'], [32, 'RESOLVE_CACHED']] as const;
def('creat', { args: (x) => [x.path(0), modeArg(x, 1)], caps: [pathIn(0)] });
def(['close', 'fsync', 'fdatasync', 'fchdir', 'dup', 'syncfs'], { args: (x) => [x.fd(0)] });
def('close_range', { args: (x) => [x.fd(0), x.uint(1), flags(x.u32(2), CLOSE_RANGE_FLAGS)] });
def(['stat', 'lstat'], { args: (x) => [x.path(0), x.outStruct(1, printStat)], caps: [pathIn(0), structOut(1, STAT_SIZE)] });
def('fstat', { args: (x) => [x.fd(0), x.outStruct(1, printStat)], caps: [structOut(1, STAT_SIZE)] });
def('newfstatat', {
  args: (x) => [x.dirfd(0), x.path(1), x.outStruct(2, printStat), atFlags(x, 3)],
  caps: [pathIn(1), structOut(2, STAT_SIZE)],
});
def('statx', {
  args: (x) => [x.dirfd(0), x.path(1), statxFlags(x.u32(2)), flags(x.u32(3), STATX_MASK), x.outStruct(4, printStatx)],
  caps: [pathIn(1), structOut(4, STATX_SIZE)],
});
/** statx(2) flags as strace prints them: the AT_STATX_SYNC_* type first, then the AT_* flags. */
function statxFlags(v: number): string {
  const sync = v & 0x6000;
  const rest = flags(v & ~0x6000, AT_FLAGS);
  const s = sync === 0 ? 'AT_STATX_SYNC_AS_STAT' : sync === 0x2000 ? 'AT_STATX_FORCE_SYNC'
    : sync === 0x4000 ? 'AT_STATX_DONT_SYNC' : 'AT_STATX_FORCE_SYNC|AT_STATX_DONT_SYNC';
  return (v & ~0x6000) === 0 ? s : `${s}|${rest}`;
}
def('access', { args: (x) => [x.path(0), flags(x.u32(1), ACCESS_MODES, 'F_OK')], caps: [pathIn(0)] });
def('faccessat', { args: (x) => [x.dirfd(0), x.path(1), flags(x.u32(2), ACCESS_MODES, 'F_OK')], caps: [pathIn(1)] });
def('faccessat2', {
  args: (x) => [x.dirfd(0), x.path(1), flags(x.u32(2), ACCESS_MODES, 'F_OK'), flags(x.u32(3), AT_EACCESS_FLAGS)],
  caps: [pathIn(1)],
});
def('lseek', { args: (x) => [x.fd(0), x.long(1), xlat(x.u32(2), SEEK_WHENCE, `0x${x.u32(2).toString(16)} /* SEEK_??? */`)] });
def('pipe', { args: (x) => [x.outStruct(0, (b) => printIntArray(b, 2))], caps: [structOut(0, 8)] });
def('pipe2', { args: (x) => [x.outStruct(0, (b) => printIntArray(b, 2)), oflags0(x, 1)], caps: [structOut(0, 8)] });
def('dup2', { args: (x) => [x.fd(0), x.fd(1)] });
def('dup3', { args: (x) => [x.fd(0), x.fd(1), oflags0(x, 2)] });
def('fcntl', {
  args: (x) => {
    const cmd = x.u32(1);
    const head = [x.fd(0), xlatHex(cmd, FCNTL_CMDS, 'F_')];
    switch (cmd) {
      case 1: case 3: case 9: case 11: case 1025: case 1032: case 1034: return head; // getters
      case 2: return [...head, flags(x.u32(2), FD_FLAGS)];
      case 4: return [...head, openFlags(x.u32(2))];
      case 0: case 1030: case 8: case 10: case 1024: case 1031: return [...head, x.int(2)];
      case 1026: case 1033: return [...head, x.hex(2)];
      default: return [...head, x.ptr(2)];
    }
  },
  ret: (x) => {
    const cmd = x.u32(1), r = x.ret;
    if (cmd === 1 && r !== 0n) return `0x${r.toString(16)} (flags ${flags(r, FD_FLAGS)})`;
    if (cmd === 3) return `${r === 0n ? '0' : `0x${r.toString(16)}`} (flags ${openFlags(r)})`;
    return String(r);
  },
});
def('ioctl', {
  args: (x) => {
    const req = x.u32(1);
    const head = [x.fd(0), xlat(req, IOCTL_CMDS, `0x${req.toString(16)}`)];
    switch (req) {
      case 0x5450: case 0x5451: return head; // FIONCLEX, FIOCLEX
      case 0x541b: return [...head, intOut(x, 2)]; // FIONREAD
      case 0x5413: return [...head, x.outStruct(2, printWinsize)]; // TIOCGWINSZ
      case 0x5414: return [...head, x.inStruct(2, printWinsize)];
      case 0x5421: return [...head, x.inStruct(2, (b) => printIntArray(b, 1))]; // FIONBIO
      case 0x540f: return [...head, intOut(x, 2)]; // TIOCGPGRP
      default: return [...head, x.ptr(2)];
    }
  },
  caps: [structOut(2, 8), structIn(2, 8)],
});
def('getcwd', {
  args: (x) => [x.failed ? x.ptr(0) : x.outStruct(0, (b) => quoteString(cstrBytes(b), PATH_MAX, false)), x.ulong(1)],
  caps: [arrOut(0, { ret: true }, PATH_MAX)],
});
def(['chdir', 'rmdir', 'unlink', 'acct', 'chroot', 'swapoff'], { args: (x) => [x.path(0)], caps: [pathIn(0)] });
def(['mkdir', 'chmod'], { args: (x) => [x.path(0), modeArg(x, 1)], caps: [pathIn(0)] });
def('mkdirat', { args: (x) => [x.dirfd(0), x.path(1), modeArg(x, 2)], caps: [pathIn(1)] });
def('unlinkat', { args: (x) => [x.dirfd(0), x.path(1), atFlags(x, 2)], caps: [pathIn(1)] });
def(['rename', 'symlink', 'link'], { args: (x) => [x.path(0), x.path(1)], caps: [pathIn(0), pathIn(1)] });
def('renameat', { args: (x) => [x.dirfd(0), x.path(1), x.dirfd(2), x.path(3)], caps: [pathIn(1), pathIn(3)] });
def('renameat2', {
  args: (x) => [x.dirfd(0), x.path(1), x.dirfd(2), x.path(3), flags(x.u32(4), RENAME_FLAGS)],
  caps: [pathIn(1), pathIn(3)],
});
def('symlinkat', { args: (x) => [x.path(0), x.dirfd(1), x.path(2)], caps: [pathIn(0), pathIn(2)] });
def('linkat', {
  args: (x) => [x.dirfd(0), x.path(1), x.dirfd(2), x.path(3), atFlags(x, 4)],
  caps: [pathIn(1), pathIn(3)],
});
def('readlink', { args: (x) => [x.path(0), x.rbuf(1), x.ulong(2)], caps: [pathIn(0), bufOut(1)] });
def('readlinkat', { args: (x) => [x.dirfd(0), x.path(1), x.rbuf(2), x.ulong(3)], caps: [pathIn(1), bufOut(2)] });
def('fchmod', { args: (x) => [x.fd(0), modeArg(x, 1)] });
def('fchmodat', { args: (x) => [x.dirfd(0), x.path(1), modeArg(x, 2)], caps: [pathIn(1)] });
def(['chown', 'lchown'], { args: (x) => [x.path(0), x.id(1), x.id(2)], caps: [pathIn(0)] });
def('fchown', { args: (x) => [x.fd(0), x.id(1), x.id(2)] });
def('fchownat', {
  args: (x) => [x.dirfd(0), x.path(1), x.id(2), x.id(3), atFlags(x, 4)], caps: [pathIn(1)],
});
def('umask', { args: (x) => [modeArg(x, 0)], ret: octRet });
def('getdents64', {
  args: (x) => {
    let dirp = x.ptr(1);
    const b = x.out(1);
    if (!x.failed && b) dirp += ` /* ${countDirents(b)} entries */`;
    return [x.fd(0), dirp, x.uint(2)];
  },
  caps: [arrOut(1, { ret: true }, 1 << 16)],
});
def('truncate', { args: (x) => [x.path(0), x.long(1)], caps: [pathIn(0)] });
def('ftruncate', { args: (x) => [x.fd(0), x.long(1)] });
def(['statfs'], { args: (x) => [x.path(0), x.outStruct(1, printStatfs)], caps: [pathIn(0), structOut(1, 120)] });
def(['fstatfs'], { args: (x) => [x.fd(0), x.outStruct(1, printStatfs)], caps: [structOut(1, 120)] });

// memory
def('mmap', {
  args: (x) => [x.ptr(0), x.ulong(1), flags(x.u32(2), PROT_FLAGS, 'PROT_NONE'), mmapFlags(x.u32(3)), x.fd(4), x.hex(5)],
  ret: hexRet,
});
def('mprotect', { args: (x) => [x.ptr(0), x.ulong(1), flags(x.u32(2), PROT_FLAGS, 'PROT_NONE')] });
def('munmap', { args: (x) => [x.ptr(0), x.ulong(1)] });
def('mremap', {
  args: (x) => {
    const f = x.u32(3);
    const a = [x.ptr(0), x.ulong(1), x.ulong(2), flags(f, MREMAP_FLAGS)];
    return f & 2 ? [...a, x.ptr(4)] : a;
  },
  ret: hexRet,
});
def('brk', { args: (x) => [x.ptr(0)], ret: hexRet });
def('madvise', { args: (x) => [x.ptr(0), x.ulong(1), xlat(x.u32(2), MADVISE_ADVICE, `0x${x.u32(2).toString(16)} /* MADV_??? */`)] });
def('shmat', { args: (x) => [x.int(0), x.ptr(1), x.hex(2)], ret: hexRet });

// signals
def('rt_sigaction', {
  args: (x) => [signalName(x.u32(0)), x.inStruct(1, printSigaction), x.outStruct(2, printSigaction), x.ulong(3)],
  caps: [structIn(1, SIGACTION_SIZE), structOut(2, SIGACTION_SIZE)],
});
def('rt_sigprocmask', {
  args: (x) => [xlat(x.u32(0), SIGPROCMASK_HOW, `0x${x.u32(0).toString(16)} /* SIG_??? */`), sigsetIn(x, 1), sigsetOut(x, 2), x.ulong(3)],
  caps: [arrIn(1, 3, 1, 8), arrOut(2, { arg: 3 }, 8)],
});
def('kill', { args: (x) => [x.int(0), signalName(x.u32(1))] });
def('tkill', { args: (x) => [x.int(0), signalName(x.u32(1))] });
def('tgkill', { args: (x) => [x.int(0), x.int(1), signalName(x.u32(2))] });

// processes
def(['exit', 'exit_group'], { args: (x) => [x.int(0)] });
def('wait4', {
  args: (x) => [x.int(0), x.outStruct(1, printWaitStatus), flags(x.u32(2), WAIT_OPTIONS), x.ptr(3)],
  caps: [structOut(1, 4)],
});
def('execve', {
  args: (x) => [x.path(0), strv(x, 1), envCount(x, 2)],
  caps: [pathIn(0), strvIn(1), strvCountIn(2)],
});
def('execveat', {
  args: (x) => [x.dirfd(0), x.path(1), strv(x, 2), envCount(x, 3), atFlags(x, 4)],
  caps: [pathIn(1), strvIn(2), strvCountIn(3)],
});
def('clone', {
  args: (x) => {
    const f = x.u(0);
    const sig = Number(f & 0xffn);
    const names = flags(f & ~0xffn, CLONE_FLAGS, '');
    const fl = [names, sig ? signalName(sig) : ''].filter(Boolean).join('|') || '0';
    const a = [`child_stack=${x.ptr(1)}`, `flags=${fl}`];
    if (f & 0x100000n) a.push(`parent_tid=${x.ptr(2)}`);
    if (f & 0x80000n) a.push(`tls=${x.ptr(4)}`);
    if (f & 0x1200000n) a.push(`child_tidptr=${x.ptr(3)}`);
    return a;
  },
});
def('clone3', { args: (x) => [x.ptr(0), x.ulong(1)] });
def(['setuid', 'setgid', 'setfsuid', 'setfsgid'], { args: (x) => [x.id(0)] });
def('setpgid', { args: (x) => [x.int(0), x.int(1)] });
def(['getpgid', 'getsid'], { args: (x) => [x.int(0)] });
def('set_tid_address', { args: (x) => [x.ptr(0)] });
def('set_robust_list', { args: (x) => [x.ptr(0), x.ulong(1)] });
def('rseq', { args: (x) => [x.ptr(0), x.hex(1), x.hex(2), x.hex(3)] });
def('arch_prctl', {
  args: (x) => {
    const code = x.u32(0);
    const name = xlatHex(code, ARCH_PRCTL_CODES, 'ARCH_');
    if (code === 0x1003 || code === 0x1004) return [name, ptrOut(x, 1)];
    return [name, x.hex(1)];
  },
  caps: [structOut(1, 8)],
});
def('prctl', {
  args: (x) => {
    const op = x.u32(0);
    const name = xlatHex(op, PR_OPTIONS, 'PR_');
    switch (op) {
      case 3: case 7: case 13: case 19: case 21: case 25: case 27: case 30: case 37: case 40: case 42:
        return [name]; // plain getters
      case 39: case 38: return [name, x.ulong(1), x.ulong(2), x.ulong(3), x.ulong(4)];
      case 1: return [name, signalName(x.u32(1))];
      case 2: return [name, x.outStruct(1, (b) => (b.length < 4 ? undefined : `[${signalName(new DataView(b.buffer, b.byteOffset).getInt32(0, true))}]`))];
      case 4: return [name, xlat(x.u(1), SUID_DUMP, String(x.u(1)))];
      case 8: case 36: case 41: case 29: return [name, x.ulong(1)];
      case 15: return [name, x.str(1, 16)];
      case 16: return [name, x.failed ? x.ptr(1) : x.outStruct(1, (b) => quoteString(cstrBytes(b), 16, false))];
      default: return [name, x.hex(1), x.hex(2), x.hex(3), x.hex(4)];
    }
  },
  caps: [(o) => ({ ...strIn(1)(o), max: 17 }), structOut(1, 16)],
  ret: (x) => (x.u32(0) === 3 ? `${x.ret} (${xlat(x.ret, SUID_DUMP)})` : String(x.ret)),
});
def('capget', { args: (x) => [x.ptr(0), x.ptr(1)] });
def('getgroups', {
  args: (x) => {
    const size = x.i32(0);
    if (size === 0 || x.u(1) === 0n) return [x.int(0), x.ptr(1)];
    return [x.int(0), x.outStruct(1, (b) => printUintArray(b, Number(x.ret)))];
  },
  caps: [arrOut(1, { ret: true, scale: 4 }, 4 * 65536)],
});
def('sched_getaffinity', {
  args: (x) => [x.int(0), x.uint(1), x.outStruct(1 + 1, (b) => printCpuSet(b.subarray(0, Number(x.ret))))],
  caps: [arrOut(2, { ret: true }, 1024)],
});
def('uname', { args: (x) => [x.outStruct(0, printUtsname)], caps: [structOut(0, 390)] });
def('sysinfo', { args: (x) => [x.outStruct(0, printSysinfo)], caps: [structOut(0, 112)] });
def('getrlimit', {
  args: (x) => [xlat(x.u32(0), RLIMIT_RESOURCES), x.outStruct(1, printRlimit)], caps: [structOut(1, 16)],
});
def('setrlimit', {
  args: (x) => [xlat(x.u32(0), RLIMIT_RESOURCES), x.inStruct(1, printRlimit)], caps: [structIn(1, 16)],
});
def('prlimit64', {
  args: (x) => [x.int(0), xlat(x.u32(1), RLIMIT_RESOURCES), x.inStruct(2, printRlimit), x.outStruct(3, printRlimit)],
  caps: [structIn(2, 16), structOut(3, 16)],
});
def('getrandom', {
  args: (x) => [x.rbuf(0, quoteHex), x.ulong(1), flags(x.u32(2), GRND_FLAGS)], caps: [bufOut(0)],
});

// time
def('nanosleep', {
  args: (x) => [x.inStruct(0, printTimespec), remaining(x, 1)],
  caps: [structIn(0, TIMESPEC_SIZE), structOut(1, TIMESPEC_SIZE)],
});
def('clock_nanosleep', {
  args: (x) => [xlat(x.u32(0), CLOCK_IDS), flags(x.u32(1), TIMER_FLAGS), x.inStruct(2, printTimespec), remaining(x, 3)],
  caps: [structIn(2, TIMESPEC_SIZE), structOut(3, TIMESPEC_SIZE)],
});
/** The remaining time is printed only when the sleep was interrupted; the address otherwise. */
function remaining(x: Ctx, i: number): string {
  if (x.u(i) === 0n) return 'NULL';
  const errno = -Number(x.ret);
  if (errno === 4 || errno === 516) return x.out(i) ? printTimespec(x.out(i)!) ?? x.ptr(i) : x.ptr(i);
  return x.ptr(i);
}
def(['clock_gettime', 'clock_getres'], {
  args: (x) => [xlat(x.u32(0), CLOCK_IDS), x.outStruct(1, printTimespec)], caps: [structOut(1, TIMESPEC_SIZE)],
});
def('gettimeofday', {
  args: (x) => [x.outStruct(0, printTimeval), x.outStruct(1, printTimezone)],
  caps: [structOut(0, 16), structOut(1, 8)],
});

// polling and events
def('poll', {
  args: (x) => [x.outStruct(0, (b) => printPollfds(b, x.u32(1))), x.uint(1), x.int(2)],
  caps: [arrOut(0, { arg: 1, scale: 8 }, 8 * 1024)],
  ret: (x) => pollRet(x, ''),
});
def('ppoll', {
  args: (x) => [x.outStruct(0, (b) => printPollfds(b, x.u32(1))), x.uint(1), x.inStruct(2, printTimespec),
    x.inStruct(3, printSigset), x.ulong(4)],
  caps: [arrOut(0, { arg: 1, scale: 8 }, 8 * 1024), structIn(2, TIMESPEC_SIZE), structOut(2, TIMESPEC_SIZE),
    arrIn(3, 4, 1, 8)],
  ret: (x) => {
    const b = x.out(2);
    const left = x.u(2) !== 0n && b ? printTimespec(b) : undefined;
    return pollRet(x, left ? `, left ${left}` : '');
  },
});
function pollRet(x: Ctx, tail: string): string {
  if (x.ret === 0n) return `0 (Timeout)`;
  const b = x.out(0);
  const re = b ? printPollRevents(b, x.u32(1)) : undefined;
  return re ? `${x.ret} (${re}${tail})` : String(x.ret);
}
def('select', {
  args: (x) => {
    const n = x.i32(0);
    const set = (i: number) => x.inStruct(i, (b) => printFdSet(b, n));
    return [x.int(0), set(1), set(2), set(3), x.inStruct(4, printTimeval)];
  },
  caps: [1, 2, 3].flatMap((i) => [structIn(i, 128), structOut(i, 128)]).concat([structIn(4, 16)]),
  ret: (x) => {
    if (x.ret === 0n) return '0 (Timeout)';
    const n = x.i32(0);
    const parts: string[] = [];
    (['in', 'out', 'except'] as const).forEach((w, k) => {
      const b = x.out(k + 1);
      if (b && x.u(k + 1) !== 0n) {
        const s = printFdSet(b, n);
        if (s !== '[]') parts.push(`${w} ${s}`);
      }
    });
    return parts.length ? `${x.ret} (${parts.join(', ')})` : String(x.ret);
  },
});
def('epoll_create1', { args: (x) => [flags(x.u32(0), EPOLL_CREATE_FLAGS)] });
def('epoll_create', { args: (x) => [x.int(0)] });
def('epoll_ctl', {
  args: (x) => [x.fd(0), xlat(x.u32(1), EPOLL_CTL_OPS), x.fd(2), x.inStruct(3, (b) => printEpollEvent(b))],
  caps: [structIn(3, EPOLL_EVENT_SIZE)],
});
def(['epoll_wait', 'epoll_pwait'], {
  args: (x) => {
    const ev = x.failed ? x.ptr(1)
      : x.ret === 0n && x.u(1) !== 0n ? '[]' : x.outStruct(1, (b) => printEpollEvents(b, Number(x.ret)));
    const a = [x.fd(0), ev, x.int(2), x.int(3)];
    if (x.c.nr === 281) a.push(x.inStruct(4, printSigset), x.ulong(5));
    return a;
  },
  caps: [arrOut(1, { ret: true, scale: EPOLL_EVENT_SIZE }, EPOLL_EVENT_SIZE * 1024), arrIn(4, 5, 1, 8)],
});
def('eventfd2', { args: (x) => [x.uint(0), flags(x.u32(1), EFD_FLAGS)] });
def('eventfd', { args: (x) => [x.uint(0)] });
def('futex', {
  args: (x) => {
    const op = x.u32(1);
    const cmd = op & 0x7f;
    const head = [x.ptr(0), futexOp(op)];
    switch (cmd) {
      case 0: return [...head, x.uint(2), x.inStruct(3, printTimespec)];
      case 1: case 7: return cmd === 1 ? [...head, x.int(2)] : head;
      case 9: return [...head, x.uint(2), x.inStruct(3, printTimespec), bitset(x.u32(5))];
      case 10: return [...head, x.int(2), bitset(x.u32(5))];
      case 3: return [...head, x.int(2), x.ulong(3), x.ptr(4)];
      case 4: return [...head, x.int(2), x.ulong(3), x.ptr(4), x.uint(5)];
      default: return [...head, x.hex(2), x.ptr(3), x.ptr(4), x.hex(5)];
    }
  },
  caps: [structIn(3, TIMESPEC_SIZE)],
});
const bitset = (v: number) => (v === 0xffffffff ? 'FUTEX_BITSET_MATCH_ANY' : `0x${v.toString(16)}`);

// sockets
def('socket', {
  args: (x) => {
    const fam = x.u32(0);
    const famName = xlat(fam, ADDRESS_FAMILIES, `${fam} /* AF_??? */`);
    const proto = fam === 2 || fam === 10 ? xlat(x.u32(2), IPPROTOS) : x.int(2);
    return [famName, sockType(x.u32(1)), proto];
  },
});
def(['connect', 'bind'], {
  args: (x) => [x.fd(0), x.inStruct(1, (b) => printSockaddr(b, x.u32(2))), x.uint(2)],
  caps: [arrIn(1, 2, 1, 128)],
});
def('sendto', {
  args: (x) => [x.fd(0), x.wbuf(1, x.u(2)), x.ulong(2), flags(x.u32(3), MSG_FLAGS),
    x.inStruct(4, (b) => printSockaddr(b, x.u32(5))), x.uint(5)],
  caps: [bufIn(1, 2), arrIn(4, 5, 1, 128)],
});
def('recvfrom', {
  args: (x) => {
    const addr = x.outStruct(4, (b) => printSockaddr(b, b.length));
    const alen = x.u(5) === 0n ? 'NULL' : x.outStruct(5, (b) => printIntArray(b, 1));
    return [x.fd(0), x.rbuf(1), x.ulong(2), flags(x.u32(3), MSG_FLAGS), addr, alen];
  },
  caps: [bufOut(1), structOut(4, 128), structOut(5, 4)],
});


/** The signature of a syscall by kernel name, if decoded. */
// Found missing by tracing real programs with -c (cat, ls, python3, sh, tar, find, date, grep).
const FADV: Table = [[0, 'POSIX_FADV_NORMAL'], [1, 'POSIX_FADV_RANDOM'], [2, 'POSIX_FADV_SEQUENTIAL'],
  [3, 'POSIX_FADV_WILLNEED'], [4, 'POSIX_FADV_DONTNEED'], [5, 'POSIX_FADV_NOREUSE']];
def('fadvise64', { args: (x) => [x.fd(0), x.long(1), x.long(2), xlat(x.i32(3), FADV)] });
/** A loff_t * as strace prints it: NULL, [value], or the pointer when unreadable. */
function loffPtr(x: Ctx, i: number): string {
  return x.u(i) === 0n ? 'NULL' : x.inStruct(i, (b) => (b.length < 8 ? undefined : `[${new DataView(b.buffer, b.byteOffset, 8).getBigInt64(0, true)}]`));
}
def('copy_file_range', {
  args: (x) => [x.fd(0), loffPtr(x, 1), x.fd(2), loffPtr(x, 3), x.ulong(4), x.uint(5)],
  caps: [structIn(1, 8), structIn(3, 8)],
});
const SS_FLAGS: Table = [[1, 'SS_ONSTACK'], [2, 'SS_DISABLE'], [0x80000000, 'SS_AUTODISARM']];
function stackT(b: Uint8Array): string | undefined {
  if (b.length < 24) return undefined;
  const d = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const sp = d.getBigUint64(0, true);
  return `{ss_sp=${sp === 0n ? 'NULL' : `0x${sp.toString(16)}`}, ss_flags=${flags(d.getUint32(8, true), SS_FLAGS, '0')}, ss_size=${d.getBigUint64(16, true)}}`;
}
def('sigaltstack', {
  args: (x) => [x.u(0) === 0n ? 'NULL' : x.inStruct(0, stackT), x.u(1) === 0n ? 'NULL' : x.outStruct(1, stackT)],
  caps: [structIn(0, 24), structOut(1, 24)],
});
def(['getxattr', 'lgetxattr'], {
  args: (x) => [x.path(0), x.str(1), x.rbuf(2), x.ulong(3)],
  caps: [pathIn(0), strIn(1), bufOut(2)],
});
def('fgetxattr', { args: (x) => [x.fd(0), x.str(1), x.rbuf(2), x.ulong(3)], caps: [strIn(1), bufOut(2)] });

export function signatureOf(name: string): Signature | undefined {
  return Object.prototype.hasOwnProperty.call(S, name) ? S[name] : undefined;
}

/** Every decoded syscall name. */
export function decodedSyscalls(): string[] {
  return Object.keys(S).sort();
}
