// Printers for the kernel structures strace shows inside `{...}` and `[...]`, from the bytes a
// tracer captured (x86-64 layouts: asm/stat.h, linux/time_types.h, asm/signal.h, linux/un.h,
// linux/in.h, linux/eventpoll.h, linux/utsname.h, linux/sysinfo.h). Abbreviated the way strace
// prints them without -v.
import {
  ADDRESS_FAMILIES, EPOLL_EVENTS, POLL_EVENTS, SA_FLAGS, flags, signalName, statMode, xlat,
} from './flags.js';
import { quoteString } from './quote.js';

function dv(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** A pointer as strace prints it: NULL for 0, hex otherwise. */
export function pointer(v: bigint): string {
  const u = BigInt.asUintN(64, v);
  return u === 0n ? 'NULL' : `0x${u.toString(16)}`;
}

/** Bytes up to the first NUL (or all of them). */
export function cstrBytes(b: Uint8Array): Uint8Array {
  const z = b.indexOf(0);
  return z < 0 ? b : b.subarray(0, z);
}

/** makedev(0x1, 0x3) for a 64-bit dev_t (glibc's split of major and minor). */
function makedev(dev: bigint): string {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  const h = (n: bigint) => (n === 0n ? '0' : `0x${n.toString(16)}`);
  return `makedev(${h(major)}, ${h(minor)})`;
}

export const STAT_SIZE = 144;
/** struct stat (x86-64), abbreviated: `{st_mode=S_IFREG|0644, st_size=66, ...}`. */
export function printStat(b: Uint8Array): string | undefined {
  if (b.length < STAT_SIZE) return undefined;
  const d = dv(b);
  const mode = d.getUint32(24, true);
  const type = mode & 0o170000;
  const tail = type === 0o20000 || type === 0o60000
    ? `st_rdev=${makedev(d.getBigUint64(40, true))}`
    : `st_size=${d.getBigInt64(48, true)}`;
  return `{st_mode=${statMode(mode)}, ${tail}, ...}`;
}

export const STATX_SIZE = 256;
/** struct statx, abbreviated as strace does. */
export function printStatx(b: Uint8Array): string | undefined {
  if (b.length < STATX_SIZE) return undefined;
  const d = dv(b);
  const mask = d.getUint32(0, true);
  const mode = d.getUint16(28, true);
  const size = d.getBigUint64(40, true);
  return `{stx_mask=${flags(mask, STATX_MASK_PRINT)}, stx_attributes=${hex0(d.getBigUint64(8, true))}, ` +
    `stx_mode=${statMode(mode)}, stx_size=${size}, ...}`;
}
const STATX_MASK_PRINT: readonly (readonly [number, string])[] = [
  [0x7ff, 'STATX_BASIC_STATS'], [1, 'STATX_TYPE'], [2, 'STATX_MODE'], [4, 'STATX_NLINK'], [8, 'STATX_UID'],
  [0x10, 'STATX_GID'], [0x20, 'STATX_ATIME'], [0x40, 'STATX_MTIME'], [0x80, 'STATX_CTIME'],
  [0x100, 'STATX_INO'], [0x200, 'STATX_SIZE'], [0x400, 'STATX_BLOCKS'], [0x800, 'STATX_BTIME'],
  [0x1000, 'STATX_MNT_ID'], [0x2000, 'STATX_DIOALIGN'],
];

function hex0(v: bigint): string {
  return v === 0n ? '0' : `0x${v.toString(16)}`;
}

export const TIMESPEC_SIZE = 16;
export function printTimespec(b: Uint8Array): string | undefined {
  if (b.length < 16) return undefined;
  const d = dv(b);
  return `{tv_sec=${d.getBigInt64(0, true)}, tv_nsec=${d.getBigInt64(8, true)}}`;
}
export function printTimeval(b: Uint8Array): string | undefined {
  if (b.length < 16) return undefined;
  const d = dv(b);
  return `{tv_sec=${d.getBigInt64(0, true)}, tv_usec=${d.getBigInt64(8, true)}}`;
}
export function printTimezone(b: Uint8Array): string | undefined {
  if (b.length < 8) return undefined;
  const d = dv(b);
  return `{tz_minuteswest=${d.getInt32(0, true)}, tz_dsttime=${d.getInt32(4, true)}}`;
}

function rlim(v: bigint): string {
  if (v === 0xffffffffffffffffn) return 'RLIM64_INFINITY';
  if (v > 1024n && v % 1024n === 0n) return `${v / 1024n}*1024`;
  return String(v);
}
/** struct rlimit: `{rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}`. */
export function printRlimit(b: Uint8Array): string | undefined {
  if (b.length < 16) return undefined;
  const d = dv(b);
  return `{rlim_cur=${rlim(d.getBigUint64(0, true))}, rlim_max=${rlim(d.getBigUint64(8, true))}}`;
}

/** struct utsname, abbreviated: `{sysname="Linux", nodename="vm", ...}`. */
export function printUtsname(b: Uint8Array): string | undefined {
  if (b.length < 130) return undefined;
  const f = (i: number) => {
    const s = cstrBytes(b.subarray(i * 65, i * 65 + 65));
    return quoteString(s, 65, false);
  };
  return `{sysname=${f(0)}, nodename=${f(1)}, ...}`;
}

/** A signal set: `[INT TERM]`, `[]`, or `~[...]` when more than half the signals are in it. */
export function printSigset(b: Uint8Array): string {
  const nsig = Math.min(b.length, 8) * 8;
  const members: number[] = [];
  for (let s = 1; s <= nsig; s++) if (b[(s - 1) >> 3] & (1 << ((s - 1) & 7))) members.push(s);
  const name = (s: number) => signalName(s).replace(/^SIG/, '');
  if (members.length * 2 > nsig) {
    const out: string[] = [];
    for (let s = 1; s <= nsig; s++) if (!members.includes(s)) out.push(name(s));
    return `~[${out.join(' ')}]`;
  }
  return `[${members.map(name).join(' ')}]`;
}

export const SIGACTION_SIZE = 32;
/** struct kernel_sigaction (x86-64): handler, flags, restorer, mask. */
export function printSigaction(b: Uint8Array): string | undefined {
  if (b.length < 32) return undefined;
  const d = dv(b);
  const h = d.getBigUint64(0, true);
  const fl = d.getBigUint64(8, true);
  const handler = h === 0n ? 'SIG_DFL' : h === 1n ? 'SIG_IGN' : `0x${h.toString(16)}`;
  let s = `{sa_handler=${handler}, sa_mask=${printSigset(b.subarray(24, 32))}, sa_flags=${flags(fl, SA_FLAGS)}`;
  if (fl & 0x04000000n) s += `, sa_restorer=${pointer(d.getBigUint64(16, true))}`;
  return s + '}';
}

/** An array of ints: `[3, 5]`. */
export function printIntArray(b: Uint8Array, count: number): string | undefined {
  if (b.length < count * 4) return undefined;
  const d = dv(b);
  const v: number[] = [];
  for (let i = 0; i < count; i++) v.push(d.getInt32(i * 4, true));
  return `[${v.join(', ')}]`;
}
/** An array of unsigned ints (gid_t lists): `[0, 27]`. */
export function printUintArray(b: Uint8Array, count: number): string | undefined {
  if (b.length < count * 4) return undefined;
  const d = dv(b);
  const v: number[] = [];
  for (let i = 0; i < count; i++) v.push(d.getUint32(i * 4, true));
  return `[${v.join(', ')}]`;
}

/** A CPU set as the list of set bits: `[0 1]`. */
export function printCpuSet(b: Uint8Array): string {
  const v: number[] = [];
  for (let i = 0; i < b.length * 8; i++) if (b[i >> 3] & (1 << (i & 7))) v.push(i);
  return `[${v.join(' ')}]`;
}

/** An fd_set limited to nfds: `[7]`, `[]`. */
export function printFdSet(b: Uint8Array, nfds: number): string {
  const v: number[] = [];
  for (let i = 0; i < Math.min(nfds, b.length * 8); i++) if (b[i >> 3] & (1 << (i & 7))) v.push(i);
  return `[${v.join(' ')}]`;
}

/** struct pollfd[]: `[{fd=6, events=POLLIN}]`. */
export function printPollfds(b: Uint8Array, n: number): string | undefined {
  if (b.length < n * 8) return undefined;
  const d = dv(b);
  const v: string[] = [];
  for (let i = 0; i < n; i++) {
    v.push(`{fd=${d.getInt32(i * 8, true)}, events=${flags(d.getUint16(i * 8 + 4, true), POLL_EVENTS)}}`);
  }
  return `[${v.join(', ')}]`;
}
/** The revents part strace appends to poll's return value: `[{fd=6, revents=POLLIN}]`. */
export function printPollRevents(b: Uint8Array, n: number): string | undefined {
  if (b.length < n * 8) return undefined;
  const d = dv(b);
  const v: string[] = [];
  for (let i = 0; i < n; i++) {
    const re = d.getUint16(i * 8 + 6, true);
    if (re !== 0) v.push(`{fd=${d.getInt32(i * 8, true)}, revents=${flags(re, POLL_EVENTS)}}`);
  }
  return `[${v.join(', ')}]`;
}

export const EPOLL_EVENT_SIZE = 12;
/** struct epoll_event (packed on x86-64): `{events=EPOLLIN, data={u32=6, u64=6}}`. */
export function printEpollEvent(b: Uint8Array, off = 0): string | undefined {
  if (b.length < off + 12) return undefined;
  const d = dv(b);
  const data = d.getBigUint64(off + 4, true);
  return `{events=${flags(d.getUint32(off, true), EPOLL_EVENTS)}, data={u32=${Number(data & 0xffffffffn)}, u64=${data}}}`;
}
export function printEpollEvents(b: Uint8Array, n: number): string | undefined {
  const v: string[] = [];
  for (let i = 0; i < n; i++) {
    const e = printEpollEvent(b, i * 12);
    if (e === undefined) return undefined;
    v.push(e);
  }
  return `[${v.join(', ')}]`;
}

/** A socket address: AF_UNIX, AF_INET and AF_INET6 in full, others by family and raw data. */
export function printSockaddr(b: Uint8Array, len: number): string | undefined {
  const n = Math.min(b.length, len);
  if (n < 2) return undefined;
  const d = dv(b);
  const fam = d.getUint16(0, true);
  const famName = xlat(fam, ADDRESS_FAMILIES, `${fam} /* AF_??? */`);
  if (fam === 1) {
    const p = b.subarray(2, n);
    if (p.length > 0 && p[0] === 0 && n > 2) {
      return `{sa_family=AF_UNIX, sun_path=@${quoteString(p.subarray(1), 108, false)}}`;
    }
    return `{sa_family=AF_UNIX, sun_path=${quoteString(cstrBytes(p), 108, false)}}`;
  }
  if (fam === 2 && n >= 8) {
    const port = d.getUint16(2, false);
    return `{sa_family=AF_INET, sin_port=htons(${port}), sin_addr=inet_addr("${b[4]}.${b[5]}.${b[6]}.${b[7]}")}`;
  }
  if (fam === 10 && n >= 28) {
    const port = d.getUint16(2, false);
    const flow = d.getUint32(4, false);
    return `{sa_family=AF_INET6, sin6_port=htons(${port}), sin6_flowinfo=htonl(${flow}), ` +
      `inet_pton(AF_INET6, "${ipv6(b.subarray(8, 24))}", &sin6_addr), sin6_scope_id=${d.getUint32(24, true)}}`;
  }
  return `{sa_family=${famName}, sa_data=${quoteString(b.subarray(2, n), 14, false)}}`;
}

function ipv6(a: Uint8Array): string {
  const w: number[] = [];
  for (let i = 0; i < 16; i += 2) w.push((a[i] << 8) | a[i + 1]);
  // Longest run of zero words (length >= 2) becomes "::", as inet_ntop does.
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = (x: number[]) => x.map((v) => v.toString(16)).join(':');
  if (best < 0) return hex(w);
  return `${hex(w.slice(0, best))}::${hex(w.slice(best + bestLen))}`;
}

/** A wait status: `[{WIFEXITED(s) && WEXITSTATUS(s) == 0}]`. */
export function printWaitStatus(b: Uint8Array): string | undefined {
  if (b.length < 4) return undefined;
  const s = dv(b).getInt32(0, true);
  const low = s & 0x7f;
  let txt: string;
  if (low === 0) txt = `WIFEXITED(s) && WEXITSTATUS(s) == ${(s >> 8) & 0xff}`;
  else if ((s & 0xff) === 0x7f) txt = `WIFSTOPPED(s) && WSTOPSIG(s) == ${signalName((s >> 8) & 0xff)}`;
  else if (s === 0xffff) txt = 'WIFCONTINUED(s)';
  else txt = `WIFSIGNALED(s) && WTERMSIG(s) == ${signalName(low)}${s & 0x80 ? ' && WCOREDUMP(s)' : ''}`;
  const ev = (s >>> 16) & 0xff;
  if (ev !== 0 && (s & 0xff) === 0x7f) txt += ` | ${ev} << 16`;
  return `[{${txt}}]`;
}

/** How many struct linux_dirent64 records a getdents64 buffer holds. */
export function countDirents(b: Uint8Array): number {
  const d = dv(b);
  let n = 0;
  for (let off = 0; off + 19 <= b.length;) {
    const reclen = d.getUint16(off + 16, true);
    if (reclen === 0) break;
    n++;
    off += reclen;
  }
  return n;
}

/** struct sysinfo (x86-64, 112 bytes). */
export function printSysinfo(b: Uint8Array): string | undefined {
  if (b.length < 112) return undefined;
  const d = dv(b);
  const u = (o: number) => d.getBigUint64(o, true);
  return `{uptime=${d.getBigInt64(0, true)}, loads=[${u(8)}, ${u(16)}, ${u(24)}], totalram=${u(32)}, ` +
    `freeram=${u(40)}, sharedram=${u(48)}, bufferram=${u(56)}, totalswap=${u(64)}, freeswap=${u(72)}, ` +
    `procs=${d.getUint16(80, true)}, totalhigh=${u(88)}, freehigh=${u(96)}, mem_unit=${d.getUint32(104, true)}}`;
}

const FS_MAGIC: readonly (readonly [number, string])[] = [
  [0xef53, 'EXT2_SUPER_MAGIC'], [0x01021994, 'TMPFS_MAGIC'], [0x9123683e, 'BTRFS_SUPER_MAGIC'],
  [0x58465342, 'XFS_SUPER_MAGIC'], [0x9fa0, 'PROC_SUPER_MAGIC'], [0x62656572, 'SYSFS_MAGIC'],
  [0x794c7630, 'OVERLAYFS_SUPER_MAGIC'], [0x1cd1, 'DEVPTS_SUPER_MAGIC'], [0x6969, 'NFS_SUPER_MAGIC'],
  [0x63677270, 'CGROUP2_SUPER_MAGIC'], [0x65735546, 'FUSE_SUPER_MAGIC'], [0x2fc12fc1, 'ZFS_SUPER_MAGIC'],
];
const ST_FLAGS: readonly (readonly [number, string])[] = [
  [1, 'ST_RDONLY'], [2, 'ST_NOSUID'], [4, 'ST_NODEV'], [8, 'ST_NOEXEC'], [16, 'ST_SYNCHRONOUS'],
  [32, 'ST_VALID'], [64, 'ST_MANDLOCK'], [1024, 'ST_NOATIME'], [2048, 'ST_NODIRATIME'], [4096, 'ST_RELATIME'],
  [8192, 'ST_NOSYMFOLLOW'],
];
/** struct statfs (x86-64, 120 bytes). */
export function printStatfs(b: Uint8Array): string | undefined {
  if (b.length < 120) return undefined;
  const d = dv(b);
  const u = (o: number) => d.getBigUint64(o, true);
  const type = Number(u(0));
  const fsid = (o: number) => { const v = d.getInt32(o, true); return v === 0 ? '0' : `0x${(v >>> 0).toString(16)}`; };
  return `{f_type=${xlat(type, FS_MAGIC, `0x${type.toString(16)}`)}, f_bsize=${u(8)}, f_blocks=${u(16)}, ` +
    `f_bfree=${u(24)}, f_bavail=${u(32)}, f_files=${u(40)}, f_ffree=${u(48)}, ` +
    `f_fsid={val=[${fsid(56)}, ${fsid(60)}]}, f_namelen=${u(64)}, f_frsize=${u(72)}, ` +
    `f_flags=${flags(u(80), ST_FLAGS)}}`;
}

/** struct winsize. */
export function printWinsize(b: Uint8Array): string | undefined {
  if (b.length < 8) return undefined;
  const d = dv(b);
  return `{ws_row=${d.getUint16(0, true)}, ws_col=${d.getUint16(2, true)}, ` +
    `ws_xpixel=${d.getUint16(4, true)}, ws_ypixel=${d.getUint16(6, true)}}`;
}
