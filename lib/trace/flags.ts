// Flag and enum tables for decoding syscall arguments the way strace prints them, in strace's
// own order (src/xlat/*.in), plus the two printers: flags() for bit sets and xlat() for
// enumerations. Values are x86-64 (asm-generic/fcntl.h, asm/mman.h, linux/sched.h, ...).

/** [value, name] pairs, in the order strace tries them. */
export type Table = readonly (readonly [number, string])[];

/**
 * Print a bit set as strace does: matching names joined by `|`, left-over bits as one `0x...`
 * at the end, `0` (or `zero` when given) when nothing is set. A name matches when all its bits
 * are set (multi-bit entries such as O_SYNC come before their parts); its bits are then consumed.
 */
export function flags(value: number | bigint, table: Table, zero?: string): string {
  let v = BigInt.asUintN(64, BigInt(value));
  if (v === 0n) return zero ?? '0';
  const parts: string[] = [];
  for (const [bits, name] of table) {
    const b = BigInt(bits);
    if (b !== 0n && (v & b) === b) {
      parts.push(name);
      v &= ~b;
    }
  }
  if (v !== 0n) parts.push(`0x${v.toString(16)}`);
  return parts.join('|');
}

/** Name of an enumeration value, or undefined. */
function xlatName(value: number | bigint, table: Table): string | undefined {
  const v = Number(value);
  for (const [n, name] of table) if (n === v) return name;
  return undefined;
}

/** An enumeration value: its name, or `dflt` (decimal by default, as strace prints unknown values). */
export function xlat(value: number | bigint, table: Table, dflt?: string): string {
  return xlatName(value, table) ?? dflt ?? String(value);
}

/** An unknown enumeration value as strace prints it: hex with a comment naming the prefix. */
export function xlatHex(value: number | bigint, table: Table, prefix: string): string {
  const name = xlatName(value, table);
  if (name !== undefined) return name;
  return `0x${BigInt.asUintN(32, BigInt(value)).toString(16)} /* ${prefix}??? */`;
}

// --- files ---------------------------------------------------------------------------------

export const O_ACCMODE: Table = [[0, 'O_RDONLY'], [1, 'O_WRONLY'], [2, 'O_RDWR'], [3, 'O_ACCMODE']];
export const O_CREAT = 0o100;
export const O_TMPFILE = 0o20200000;
export const OPEN_FLAGS: Table = [
  [0o100, 'O_CREAT'], [0o200, 'O_EXCL'], [0o400, 'O_NOCTTY'], [0o1000, 'O_TRUNC'], [0o2000, 'O_APPEND'],
  [0o4000, 'O_NONBLOCK'], [0o4010000, 'O_SYNC'], [0o4000000, '__O_SYNC'], [0o10000, 'O_DSYNC'],
  [0o40000, 'O_DIRECT'], [0o100000, 'O_LARGEFILE'], [0o400000, 'O_NOFOLLOW'], [0o1000000, 'O_NOATIME'],
  [0o2000000, 'O_CLOEXEC'], [0o10000000, 'O_PATH'], [0o20200000, 'O_TMPFILE'], [0o20000000, '__O_TMPFILE'],
  [0o200000, 'O_DIRECTORY'], [0o20000, 'FASYNC'],
];

/** open(2) flags: the access mode first (O_RDONLY for 0), then the other bits. */
export function openFlags(value: number | bigint): string {
  const v = Number(BigInt.asUintN(32, BigInt(value)));
  const acc = xlat(v & 3, O_ACCMODE);
  const rest = v & ~3;
  return rest === 0 ? acc : `${acc}|${flags(rest, OPEN_FLAGS)}`;
}

export const AT_FDCWD = -100;
export const AT_FLAGS: Table = [
  [0x100, 'AT_SYMLINK_NOFOLLOW'], [0x200, 'AT_REMOVEDIR'], [0x400, 'AT_SYMLINK_FOLLOW'],
  [0x800, 'AT_NO_AUTOMOUNT'], [0x1000, 'AT_EMPTY_PATH'], [0x6000, 'AT_STATX_DONT_SYNC'],
  [0x2000, 'AT_STATX_FORCE_SYNC'], [0x4000, 'AT_STATX_DONT_SYNC'], [0x8000, 'AT_RECURSIVE'],
];
export const AT_EACCESS_FLAGS: Table = [[0x200, 'AT_EACCESS'], ...AT_FLAGS.filter(([v]) => v !== 0x200)];
export const ACCESS_MODES: Table = [[4, 'R_OK'], [2, 'W_OK'], [1, 'X_OK']];
export const SEEK_WHENCE: Table = [[0, 'SEEK_SET'], [1, 'SEEK_CUR'], [2, 'SEEK_END'], [3, 'SEEK_DATA'], [4, 'SEEK_HOLE']];
export const RENAME_FLAGS: Table = [[1, 'RENAME_NOREPLACE'], [2, 'RENAME_EXCHANGE'], [4, 'RENAME_WHITEOUT']];
export const CLOSE_RANGE_FLAGS: Table = [[2, 'CLOSE_RANGE_UNSHARE'], [4, 'CLOSE_RANGE_CLOEXEC']];
export const STATX_MASK: Table = [
  [0xfff, 'STATX_ALL'], [0x7ff, 'STATX_BASIC_STATS'], [1, 'STATX_TYPE'], [2, 'STATX_MODE'], [4, 'STATX_NLINK'],
  [8, 'STATX_UID'], [0x10, 'STATX_GID'], [0x20, 'STATX_ATIME'], [0x40, 'STATX_MTIME'], [0x80, 'STATX_CTIME'],
  [0x100, 'STATX_INO'], [0x200, 'STATX_SIZE'], [0x400, 'STATX_BLOCKS'], [0x800, 'STATX_BTIME'],
  [0x1000, 'STATX_MNT_ID'], [0x2000, 'STATX_DIOALIGN'],
];
const S_IFMT: Table = [
  [0o140000, 'S_IFSOCK'], [0o120000, 'S_IFLNK'], [0o100000, 'S_IFREG'], [0o60000, 'S_IFBLK'],
  [0o40000, 'S_IFDIR'], [0o20000, 'S_IFCHR'], [0o10000, 'S_IFIFO'],
];

/** A permission mode as strace prints it: octal with a leading 0, at least three digits (`000`). */
export function octal(v: number | bigint): string {
  const n = BigInt.asUintN(32, BigInt(v));
  return n === 0n ? '000' : `0${n.toString(8).padStart(2, '0')}`;
}

/** A st_mode: `S_IFREG|S_ISUID|0755`. */
export function statMode(mode: number): string {
  const parts: string[] = [];
  const type = mode & 0o170000;
  if (type !== 0) parts.push(xlat(type, S_IFMT, `0${type.toString(8)}`));
  if (mode & 0o4000) parts.push('S_ISUID');
  if (mode & 0o2000) parts.push('S_ISGID');
  if (mode & 0o1000) parts.push('S_ISVTX');
  parts.push(octal(mode & 0o777));
  return parts.join('|');
}

export const FCNTL_CMDS: Table = [
  [0, 'F_DUPFD'], [1, 'F_GETFD'], [2, 'F_SETFD'], [3, 'F_GETFL'], [4, 'F_SETFL'], [5, 'F_GETLK'],
  [6, 'F_SETLK'], [7, 'F_SETLKW'], [8, 'F_SETOWN'], [9, 'F_GETOWN'], [10, 'F_SETSIG'], [11, 'F_GETSIG'],
  [15, 'F_SETOWN_EX'], [16, 'F_GETOWN_EX'], [36, 'F_OFD_GETLK'], [37, 'F_OFD_SETLK'], [38, 'F_OFD_SETLKW'],
  [1024, 'F_SETLEASE'], [1025, 'F_GETLEASE'], [1026, 'F_NOTIFY'], [1030, 'F_DUPFD_CLOEXEC'],
  [1031, 'F_SETPIPE_SZ'], [1032, 'F_GETPIPE_SZ'], [1033, 'F_ADD_SEALS'], [1034, 'F_GET_SEALS'],
];
export const FD_FLAGS: Table = [[1, 'FD_CLOEXEC']];

export const IOCTL_CMDS: Table = [
  [0x5401, 'TCGETS'], [0x5402, 'TCSETS'], [0x5403, 'TCSETSW'], [0x5404, 'TCSETSF'], [0x540b, 'TCFLSH'],
  [0x540e, 'TIOCSCTTY'], [0x540f, 'TIOCGPGRP'], [0x5410, 'TIOCSPGRP'], [0x5413, 'TIOCGWINSZ'],
  [0x5414, 'TIOCSWINSZ'], [0x541b, 'FIONREAD'], [0x5421, 'FIONBIO'], [0x5450, 'FIONCLEX'],
  [0x5451, 'FIOCLEX'], [0x5452, 'FIOASYNC'],
];

// --- memory ----------------------------------------------------------------------------------

export const PROT_FLAGS: Table = [
  [1, 'PROT_READ'], [2, 'PROT_WRITE'], [4, 'PROT_EXEC'], [8, 'PROT_SEM'], [0x01000000, 'PROT_GROWSDOWN'],
  [0x02000000, 'PROT_GROWSUP'],
];
const MAP_TYPES: Table = [[1, 'MAP_SHARED'], [2, 'MAP_PRIVATE'], [3, 'MAP_SHARED_VALIDATE'], [8, 'MAP_DROPPABLE']];
const MAP_FLAGS: Table = [
  [0x10, 'MAP_FIXED'], [0x20, 'MAP_ANONYMOUS'], [0x40, 'MAP_32BIT'], [0x80, 'MAP_ABOVE4G'],
  [0x4000, 'MAP_NORESERVE'], [0x8000, 'MAP_POPULATE'], [0x10000, 'MAP_NONBLOCK'], [0x100, 'MAP_GROWSDOWN'],
  [0x800, 'MAP_DENYWRITE'], [0x1000, 'MAP_EXECUTABLE'], [0x2000, 'MAP_LOCKED'], [0x20000, 'MAP_STACK'],
  [0x40000, 'MAP_HUGETLB'], [0x80000, 'MAP_SYNC'], [0x4000000, 'MAP_UNINITIALIZED'],
  [0x100000, 'MAP_FIXED_NOREPLACE'],
];

/** mmap(2) flags: the mapping type (low 4 bits, MAP_TYPE) first, then the rest. */
export function mmapFlags(value: number | bigint): string {
  const v = Number(BigInt.asUintN(32, BigInt(value)));
  const type = xlat(v & 0xf, MAP_TYPES, `0x${(v & 0xf).toString(16)} /* MAP_??? */`);
  const rest = v & ~0xf;
  return rest === 0 ? type : `${type}|${flags(rest, MAP_FLAGS)}`;
}

export const MREMAP_FLAGS: Table = [[1, 'MREMAP_MAYMOVE'], [2, 'MREMAP_FIXED'], [4, 'MREMAP_DONTUNMAP']];
export const MADVISE_ADVICE: Table = [
  [0, 'MADV_NORMAL'], [1, 'MADV_RANDOM'], [2, 'MADV_SEQUENTIAL'], [3, 'MADV_WILLNEED'], [4, 'MADV_DONTNEED'],
  [8, 'MADV_FREE'], [9, 'MADV_REMOVE'], [10, 'MADV_DONTFORK'], [11, 'MADV_DOFORK'], [12, 'MADV_MERGEABLE'],
  [13, 'MADV_UNMERGEABLE'], [14, 'MADV_HUGEPAGE'], [15, 'MADV_NOHUGEPAGE'], [16, 'MADV_DONTDUMP'],
  [17, 'MADV_DODUMP'], [18, 'MADV_WIPEONFORK'], [19, 'MADV_KEEPONFORK'], [20, 'MADV_COLD'],
  [21, 'MADV_PAGEOUT'], [22, 'MADV_POPULATE_READ'], [23, 'MADV_POPULATE_WRITE'], [24, 'MADV_DONTNEED_LOCKED'],
  [25, 'MADV_COLLAPSE'], [100, 'MADV_HWPOISON'], [101, 'MADV_SOFT_OFFLINE'],
];

// --- signals and processes -------------------------------------------------------------------

export const SIGNALS: Table = [
  [1, 'SIGHUP'], [2, 'SIGINT'], [3, 'SIGQUIT'], [4, 'SIGILL'], [5, 'SIGTRAP'], [6, 'SIGABRT'], [7, 'SIGBUS'],
  [8, 'SIGFPE'], [9, 'SIGKILL'], [10, 'SIGUSR1'], [11, 'SIGSEGV'], [12, 'SIGUSR2'], [13, 'SIGPIPE'],
  [14, 'SIGALRM'], [15, 'SIGTERM'], [16, 'SIGSTKFLT'], [17, 'SIGCHLD'], [18, 'SIGCONT'], [19, 'SIGSTOP'],
  [20, 'SIGTSTP'], [21, 'SIGTTIN'], [22, 'SIGTTOU'], [23, 'SIGURG'], [24, 'SIGXCPU'], [25, 'SIGXFSZ'],
  [26, 'SIGVTALRM'], [27, 'SIGPROF'], [28, 'SIGWINCH'], [29, 'SIGIO'], [30, 'SIGPWR'], [31, 'SIGSYS'],
];

/** A signal number: SIGxxx, SIGRTMIN+n for real-time signals, decimal otherwise (0 included). */
export function signalName(v: number | bigint): string {
  const n = Number(BigInt.asIntN(32, BigInt(v)));
  const name = xlatName(n, SIGNALS);
  if (name !== undefined) return name;
  if (n === 32) return 'SIGRTMIN';
  if (n === 33) return 'SIGRT_1';
  if (n >= 34 && n <= 64) return `SIGRT_${n - 32}`; // strace 6.1: 34 is SIGRT_2 (glibc's SIGRTMIN is 34)
  return String(n);
}

export const SIGPROCMASK_HOW: Table = [[0, 'SIG_BLOCK'], [1, 'SIG_UNBLOCK'], [2, 'SIG_SETMASK']];
export const SA_FLAGS: Table = [
  [0x04000000, 'SA_RESTORER'], [0x08000000, 'SA_ONSTACK'], [0x10000000, 'SA_RESTART'],
  [0x40000000, 'SA_NODEFER'], [0x80000000, 'SA_RESETHAND'], [0x00000004, 'SA_SIGINFO'],
  [0x00000001, 'SA_NOCLDSTOP'], [0x00000002, 'SA_NOCLDWAIT'], [0x00000400, 'SA_UNSUPPORTED'],
  [0x00000800, 'SA_EXPOSE_TAGBITS'],
];

export const WAIT_OPTIONS: Table = [
  [1, 'WNOHANG'], [2, 'WSTOPPED'], [4, 'WEXITED'], [8, 'WCONTINUED'], [0x01000000, 'WNOWAIT'],
  [0x20000000, '__WNOTHREAD'], [0x40000000, '__WALL'], [0x80000000, '__WCLONE'],
];

export const CLONE_FLAGS: Table = [
  [0x100, 'CLONE_VM'], [0x200, 'CLONE_FS'], [0x400, 'CLONE_FILES'], [0x800, 'CLONE_SIGHAND'],
  [0x1000, 'CLONE_PIDFD'], [0x2000, 'CLONE_PTRACE'], [0x4000, 'CLONE_VFORK'], [0x8000, 'CLONE_PARENT'],
  [0x10000, 'CLONE_THREAD'], [0x20000, 'CLONE_NEWNS'], [0x40000, 'CLONE_SYSVSEM'], [0x80000, 'CLONE_SETTLS'],
  [0x100000, 'CLONE_PARENT_SETTID'], [0x200000, 'CLONE_CHILD_CLEARTID'], [0x800000, 'CLONE_UNTRACED'],
  [0x1000000, 'CLONE_CHILD_SETTID'], [0x2000000, 'CLONE_NEWCGROUP'], [0x4000000, 'CLONE_NEWUTS'],
  [0x8000000, 'CLONE_NEWIPC'], [0x10000000, 'CLONE_NEWUSER'], [0x20000000, 'CLONE_NEWPID'],
  [0x40000000, 'CLONE_NEWNET'], [0x80000000, 'CLONE_IO'],
];

export const ARCH_PRCTL_CODES: Table = [
  [0x1001, 'ARCH_SET_GS'], [0x1002, 'ARCH_SET_FS'], [0x1003, 'ARCH_GET_FS'], [0x1004, 'ARCH_GET_GS'],
  [0x1011, 'ARCH_GET_CPUID'], [0x1012, 'ARCH_SET_CPUID'], [0x1021, 'ARCH_GET_XCOMP_SUPP'],
  [0x1022, 'ARCH_GET_XCOMP_PERM'], [0x1023, 'ARCH_REQ_XCOMP_PERM'], [0x2001, 'ARCH_MAP_VDSO_X32'],
  [0x2002, 'ARCH_MAP_VDSO_32'], [0x2003, 'ARCH_MAP_VDSO_64'], [0x4001, 'ARCH_GET_UNTAG_MASK'],
  [0x4002, 'ARCH_ENABLE_TAGGED_ADDR'], [0x4003, 'ARCH_GET_MAX_TAG_BITS'], [0x4004, 'ARCH_FORCE_TAGGED_SVA'],
  [0x5001, 'ARCH_SHSTK_ENABLE'], [0x5002, 'ARCH_SHSTK_DISABLE'], [0x5003, 'ARCH_SHSTK_LOCK'],
  [0x5004, 'ARCH_SHSTK_UNLOCK'], [0x5005, 'ARCH_SHSTK_STATUS'],
];

export const PR_OPTIONS: Table = [
  [1, 'PR_SET_PDEATHSIG'], [2, 'PR_GET_PDEATHSIG'], [3, 'PR_GET_DUMPABLE'], [4, 'PR_SET_DUMPABLE'],
  [5, 'PR_GET_UNALIGN'], [6, 'PR_SET_UNALIGN'], [7, 'PR_GET_KEEPCAPS'], [8, 'PR_SET_KEEPCAPS'],
  [9, 'PR_GET_FPEMU'], [10, 'PR_SET_FPEMU'], [11, 'PR_GET_FPEXC'], [12, 'PR_SET_FPEXC'],
  [13, 'PR_GET_TIMING'], [14, 'PR_SET_TIMING'], [15, 'PR_SET_NAME'], [16, 'PR_GET_NAME'],
  [19, 'PR_GET_ENDIAN'], [20, 'PR_SET_ENDIAN'], [21, 'PR_GET_SECCOMP'], [22, 'PR_SET_SECCOMP'],
  [23, 'PR_CAPBSET_READ'], [24, 'PR_CAPBSET_DROP'], [25, 'PR_GET_TSC'], [26, 'PR_SET_TSC'],
  [27, 'PR_GET_SECUREBITS'], [28, 'PR_SET_SECUREBITS'], [29, 'PR_SET_TIMERSLACK'],
  [30, 'PR_GET_TIMERSLACK'], [31, 'PR_TASK_PERF_EVENTS_DISABLE'], [32, 'PR_TASK_PERF_EVENTS_ENABLE'],
  [33, 'PR_MCE_KILL'], [34, 'PR_MCE_KILL_GET'], [35, 'PR_SET_MM'], [36, 'PR_SET_CHILD_SUBREAPER'],
  [37, 'PR_GET_CHILD_SUBREAPER'], [38, 'PR_SET_NO_NEW_PRIVS'], [39, 'PR_GET_NO_NEW_PRIVS'],
  [40, 'PR_GET_TID_ADDRESS'], [41, 'PR_SET_THP_DISABLE'], [42, 'PR_GET_THP_DISABLE'],
  [45, 'PR_SET_FP_MODE'], [46, 'PR_GET_FP_MODE'], [47, 'PR_CAP_AMBIENT'], [50, 'PR_SVE_SET_VL'],
  [51, 'PR_SVE_GET_VL'], [52, 'PR_GET_SPECULATION_CTRL'], [53, 'PR_SET_SPECULATION_CTRL'],
  [54, 'PR_PAC_RESET_KEYS'], [55, 'PR_SET_TAGGED_ADDR_CTRL'], [56, 'PR_GET_TAGGED_ADDR_CTRL'],
  [57, 'PR_SET_IO_FLUSHER'], [58, 'PR_GET_IO_FLUSHER'], [59, 'PR_SET_SYSCALL_USER_DISPATCH'],
  [62, 'PR_SCHED_CORE'], [65, 'PR_SET_MDWE'], [66, 'PR_GET_MDWE'], [0x53564d41, 'PR_SET_VMA'],
  [0x59616d61, 'PR_SET_PTRACER'],
];
export const SUID_DUMP: Table = [[0, 'SUID_DUMP_DISABLE'], [1, 'SUID_DUMP_USER'], [2, 'SUID_DUMP_ROOT']];

export const RLIMIT_RESOURCES: Table = [
  [0, 'RLIMIT_CPU'], [1, 'RLIMIT_FSIZE'], [2, 'RLIMIT_DATA'], [3, 'RLIMIT_STACK'], [4, 'RLIMIT_CORE'],
  [5, 'RLIMIT_RSS'], [6, 'RLIMIT_NPROC'], [7, 'RLIMIT_NOFILE'], [8, 'RLIMIT_MEMLOCK'], [9, 'RLIMIT_AS'],
  [10, 'RLIMIT_LOCKS'], [11, 'RLIMIT_SIGPENDING'], [12, 'RLIMIT_MSGQUEUE'], [13, 'RLIMIT_NICE'],
  [14, 'RLIMIT_RTPRIO'], [15, 'RLIMIT_RTTIME'],
];

export const GRND_FLAGS: Table = [[1, 'GRND_NONBLOCK'], [2, 'GRND_RANDOM'], [4, 'GRND_INSECURE']];

const FUTEX_OPS: Table = [
  [0, 'FUTEX_WAIT'], [1, 'FUTEX_WAKE'], [2, 'FUTEX_FD'], [3, 'FUTEX_REQUEUE'], [4, 'FUTEX_CMP_REQUEUE'],
  [5, 'FUTEX_WAKE_OP'], [6, 'FUTEX_LOCK_PI'], [7, 'FUTEX_UNLOCK_PI'], [8, 'FUTEX_TRYLOCK_PI'],
  [9, 'FUTEX_WAIT_BITSET'], [10, 'FUTEX_WAKE_BITSET'], [11, 'FUTEX_WAIT_REQUEUE_PI'],
  [12, 'FUTEX_CMP_REQUEUE_PI'], [13, 'FUTEX_LOCK_PI2'],
];

/** futex(2) op: the command, then _PRIVATE and |FUTEX_CLOCK_REALTIME as strace spells them. */
export function futexOp(value: number | bigint): string {
  const v = Number(BigInt.asUintN(32, BigInt(value)));
  const cmd = v & 0x7f;
  let s = xlat(cmd, FUTEX_OPS, `0x${cmd.toString(16)} /* FUTEX_??? */`);
  if (v & 128) s += '_PRIVATE';
  if (v & 256) s += '|FUTEX_CLOCK_REALTIME';
  const rest = v & ~0x1ff;
  if (rest) s += `|0x${rest.toString(16)}`;
  return s;
}

export const CLOCK_IDS: Table = [
  [0, 'CLOCK_REALTIME'], [1, 'CLOCK_MONOTONIC'], [2, 'CLOCK_PROCESS_CPUTIME_ID'],
  [3, 'CLOCK_THREAD_CPUTIME_ID'], [4, 'CLOCK_MONOTONIC_RAW'], [5, 'CLOCK_REALTIME_COARSE'],
  [6, 'CLOCK_MONOTONIC_COARSE'], [7, 'CLOCK_BOOTTIME'], [8, 'CLOCK_REALTIME_ALARM'],
  [9, 'CLOCK_BOOTTIME_ALARM'], [10, 'CLOCK_SGI_CYCLE'], [11, 'CLOCK_TAI'],
];
export const TIMER_FLAGS: Table = [[1, 'TIMER_ABSTIME']];

// --- sockets, polling, events ----------------------------------------------------------------

export const ADDRESS_FAMILIES: Table = [
  [0, 'AF_UNSPEC'], [1, 'AF_UNIX'], [2, 'AF_INET'], [3, 'AF_AX25'], [4, 'AF_IPX'], [5, 'AF_APPLETALK'],
  [10, 'AF_INET6'], [16, 'AF_NETLINK'], [17, 'AF_PACKET'], [38, 'AF_ALG'], [40, 'AF_VSOCK'], [44, 'AF_XDP'],
];
const SOCK_TYPES: Table = [
  [1, 'SOCK_STREAM'], [2, 'SOCK_DGRAM'], [3, 'SOCK_RAW'], [4, 'SOCK_RDM'], [5, 'SOCK_SEQPACKET'],
  [6, 'SOCK_DCCP'], [10, 'SOCK_PACKET'],
];
const SOCK_FLAGS: Table = [[0o2000000, 'SOCK_CLOEXEC'], [0o4000, 'SOCK_NONBLOCK']];

/** socket(2) type: the type, then SOCK_CLOEXEC/SOCK_NONBLOCK. */
export function sockType(value: number | bigint): string {
  const v = Number(BigInt.asUintN(32, BigInt(value)));
  const t = v & 0xf;
  let s = xlat(t, SOCK_TYPES, `0x${t.toString(16)} /* SOCK_??? */`);
  if (v & ~0xf) s += `|${flags(v & ~0xf, SOCK_FLAGS)}`;
  return s;
}

export const IPPROTOS: Table = [
  [0, 'IPPROTO_IP'], [1, 'IPPROTO_ICMP'], [2, 'IPPROTO_IGMP'], [4, 'IPPROTO_IPIP'], [6, 'IPPROTO_TCP'],
  [17, 'IPPROTO_UDP'], [41, 'IPPROTO_IPV6'], [47, 'IPPROTO_GRE'], [58, 'IPPROTO_ICMPV6'],
  [132, 'IPPROTO_SCTP'], [136, 'IPPROTO_UDPLITE'], [255, 'IPPROTO_RAW'], [262, 'IPPROTO_MPTCP'],
];
export const MSG_FLAGS: Table = [
  [1, 'MSG_OOB'], [2, 'MSG_PEEK'], [4, 'MSG_DONTROUTE'], [8, 'MSG_CTRUNC'], [0x10, 'MSG_PROXY'],
  [0x20, 'MSG_TRUNC'], [0x40, 'MSG_DONTWAIT'], [0x80, 'MSG_EOR'], [0x100, 'MSG_WAITALL'], [0x200, 'MSG_FIN'],
  [0x400, 'MSG_SYN'], [0x800, 'MSG_CONFIRM'], [0x1000, 'MSG_RST'], [0x2000, 'MSG_ERRQUEUE'],
  [0x4000, 'MSG_NOSIGNAL'], [0x8000, 'MSG_MORE'], [0x10000, 'MSG_WAITFORONE'], [0x40000, 'MSG_BATCH'],
  [0x4000000, 'MSG_ZEROCOPY'], [0x20000000, 'MSG_FASTOPEN'], [0x40000000, 'MSG_CMSG_CLOEXEC'],
];
export const POLL_EVENTS: Table = [
  [1, 'POLLIN'], [2, 'POLLPRI'], [4, 'POLLOUT'], [0x40, 'POLLRDNORM'], [0x80, 'POLLRDBAND'],
  [0x100, 'POLLWRNORM'], [0x200, 'POLLWRBAND'], [0x400, 'POLLMSG'], [0x2000, 'POLLRDHUP'],
  [8, 'POLLERR'], [0x10, 'POLLHUP'], [0x20, 'POLLNVAL'],
];
export const EPOLL_CTL_OPS: Table = [[1, 'EPOLL_CTL_ADD'], [2, 'EPOLL_CTL_DEL'], [3, 'EPOLL_CTL_MOD']];
export const EPOLL_EVENTS: Table = [
  [1, 'EPOLLIN'], [2, 'EPOLLPRI'], [4, 'EPOLLOUT'], [8, 'EPOLLERR'], [0x10, 'EPOLLHUP'], [0x20, 'EPOLLNVAL'],
  [0x40, 'EPOLLRDNORM'], [0x80, 'EPOLLRDBAND'], [0x100, 'EPOLLWRNORM'], [0x200, 'EPOLLWRBAND'],
  [0x400, 'EPOLLMSG'], [0x2000, 'EPOLLRDHUP'], [0x8000000, 'EPOLLURING_WAKE'], [0x10000000, 'EPOLLEXCLUSIVE'],
  [0x20000000, 'EPOLLWAKEUP'], [0x40000000, 'EPOLLONESHOT'], [0x80000000, 'EPOLLET'],
];
export const EPOLL_CREATE_FLAGS: Table = [[0o2000000, 'EPOLL_CLOEXEC']];
export const EFD_FLAGS: Table = [[1, 'EFD_SEMAPHORE'], [0o2000000, 'EFD_CLOEXEC'], [0o4000, 'EFD_NONBLOCK']];
