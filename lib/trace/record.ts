// A traced call as a test reads it: typed (signed result, errno by name, the
// path and fd it is about, the module that answered), with its strace line
// decoded on first use, and a stable form of a whole trace for snapshots
// (see snapshot()).
import { captureSpec, formatArgs, formatCall } from './decode.js';
import type { SyscallEvent } from './events.js';
import type { ErrnoName } from '../errno.js';
import { FD_CALLS } from '../syscalls/args.js';

export interface SyscallRecord {
  pid: number;
  tid: number;
  nr: number;
  name: string;
  /** The six raw argument registers (as unsigned 64-bit values: AT_FDCWD is 4294967196n); argText has them decoded. */
  args: readonly bigint[];
  /** The arguments as strace prints them, decoded on first use: `['AT_FDCWD', '"/etc/hostname"', 'O_RDONLY']`. */
  readonly argText: readonly string[];
  /** The return value, signed; null when the call never returned (exit_group, or its thread died in it). */
  result: bigint | null;
  /** The errno name when the call failed ('ENOENT'), else null. */
  errno: ErrnoName | null;
  /** The module whose answer the program got ('faults', 'inject', ...), or null: the kernel ran the call. */
  handledBy: string | null;
  /** The (first) path argument, decoded, for calls that take one. */
  path?: string;
  /** The fd argument, for calls on an fd (read, write, close, fstat, ...). */
  fd?: number;
  /** CLOCK_REALTIME nanoseconds. */
  entryNs: bigint;
  exitNs: bigint | null;
  /** The strace line without a pid: `openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = 3`. */
  readonly text: string;
}


/** The capture key of each call's path argument, by number (from the decoders' signatures). */
const pathKeys = new Map<number, string | null>();
function pathKey(nr: number): string | null {
  let k = pathKeys.get(nr);
  if (k === undefined) pathKeys.set(nr, (k = captureSpec(nr, { strsize: 32 }).find((c) => c.role === 'path')?.key ?? null));
  return k;
}

/** Each record's event, for decoding it again with other options (format, snapshot). */
const eventOf = new WeakMap<SyscallRecord, SyscallEvent>();

const callOf = (e: SyscallEvent) => ({ nr: e.nr, args: e.args, ret: e.ret ?? 0n, mem: e.mem });
const decodeLine = (e: SyscallEvent, strsize: number): string => formatCall(callOf(e), { strsize });

/** The SyscallRecord of a traced call; its strace line is decoded when first read. */
export function toRecord(e: SyscallEvent): SyscallRecord {
  let text: string | undefined;
  let argText: string[] | undefined;
  const rec: SyscallRecord = {
    pid: e.pid, tid: e.tid, nr: e.nr, name: e.name, args: e.args,
    result: e.ret, errno: e.error as ErrnoName | null, handledBy: e.handledBy,
    entryNs: e.entryNs, exitNs: e.exitNs,
    get text() {
      return (text ??= decodeLine(e, 32));
    },
    get argText() {
      return (argText ??= formatArgs(callOf(e), { strsize: 32 }));
    },
  };
  const key = pathKey(e.nr);
  const p = key === null ? undefined : e.mem.get(key);
  if (p) rec.path = Buffer.from(p).toString('utf8');
  if (FD_CALLS.has(e.name)) rec.fd = Number(BigInt.asIntN(32, e.args[0]));
  eventOf.set(rec, e);
  return rec;
}

export interface FormatOptions {
  /** Prefix `[pid N] ` (the pid as recorded). */
  pid?: boolean;
  /** strace -s: strings longer than this print cut, then `...` (default 32). */
  strsize?: number;
}

/** The strace line of a record: `openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = 3`. */
export function format(r: SyscallRecord, o: FormatOptions = {}): string {
  if (o.strsize !== undefined && !(Number.isSafeInteger(o.strsize) && o.strsize >= 0)) {
    throw new TypeError(`format: strsize must be a whole number >= 0, got ${String(o.strsize)}`);
  }
  const e = eventOf.get(r);
  const line = o.strsize === undefined || !e ? r.text : decodeLine(e, o.strsize);
  return o.pid ? `[pid ${r.pid}] ${line}` : line;
}

export interface SnapshotOptions {
  /** Keep only calls of these names. */
  only?: readonly string[];
  /** Keep the dynamic loader's start-up calls after each execve (default false: left out). */
  loader?: boolean;
  /** strace -s (default 32). */
  strsize?: number;
}

// What ld.so does between execve and the program's first own call (ld.so(8)):
// map the libraries it opens, then set up the thread. A call of these kinds
// that is about a library (its path, or an fd opened on one) or about no file
// at all is the loader's; the first other call is the program's.
const LOADER_PATH = /^\/etc\/ld\.so\.|\.so(\.[\d.]+)?$|\/glibc-hwcaps\/|\/tls\//;
const LOADER_FILE_CALLS = new Set(['openat', 'open', 'access', 'faccessat', 'faccessat2', 'newfstatat', 'stat', 'readlink', 'statfs']);
const LOADER_FD_CALLS = new Set(['read', 'pread64', 'close', 'fstat', 'newfstatat', 'mmap']);
const LOADER_PLAIN_CALLS = new Set(['brk', 'arch_prctl', 'mmap', 'munmap', 'mprotect', 'set_tid_address', 'set_robust_list', 'rseq', 'prlimit64', 'getrandom', 'uname']);

/** The fd a call acts on, for the loader check: mmap's fifth argument; an *at call's dirfd with an empty path (AT_EMPTY_PATH). */
function fdOf(r: SyscallRecord): number | undefined {
  if (r.name === 'mmap') return Number(BigInt.asIntN(32, r.args[4]));
  if (r.path === '') return Number(BigInt.asIntN(32, r.args[0]));
  return r.fd;
}

/** Follows one process from its start or an execve until its first own call. */
class LoaderPhase {
  private readonly fds = new Set<number>();
  active = true;

  /** True when r is the loader's (and the phase goes on); the first call that is not ends the phase. */
  take(r: SyscallRecord): boolean {
    if (!this.active) return false;
    const fd = fdOf(r);
    let loaders = false;
    if (r.path !== undefined && r.path !== '') {
      loaders = LOADER_FILE_CALLS.has(r.name) && (LOADER_PATH.test(r.path) || (r.name === 'access' && r.path.startsWith('/etc/ld.so')));
      if (loaders && (r.name === 'openat' || r.name === 'open') && r.result !== null && r.result >= 0n) this.fds.add(Number(r.result));
    } else if (fd !== undefined && fd >= 0) {
      loaders = LOADER_FD_CALLS.has(r.name) && this.fds.has(fd);
      if (loaders && r.name === 'close') this.fds.delete(fd);
    } else {
      loaders = LOADER_PLAIN_CALLS.has(r.name);
    }
    if (!loaders) this.active = false;
    return loaders;
  }
}

/** Masks what differs from run to run in a line: addresses, random bytes, and the size of execve's environment. */
function stable(line: string): string {
  let l = line.replace(/\b0x[0-9a-f]{5,}\b/g, '0x…').replace(/\/\* \d+ vars \*\//g, '/* … vars */');
  if (l.startsWith('getrandom(')) l = l.replace(/"(?:[^"\\]|\\.)*"(\.\.\.)?/, '"…"');
  return l;
}

const CREATES_PROCESS = new Set(['clone', 'clone3', 'fork', 'vfork']);

/**
 * A trace in a form that stays the same from run to run, for
 * `expect(snapshot(r.syscalls)).toMatchInlineSnapshot()`: one strace line per
 * call, each process's lines together (processes run concurrently; their own
 * order is theirs), numbered `[pid N]` in the order they were started when
 * there is more than one; pids and tids in the lines shown as `<pid N>`;
 * addresses masked as `0x…`, random bytes as `"…"`, execve's environment size
 * as `…`; and the dynamic loader's start-up after each execve left out (it
 * depends on the machine's libraries).
 */
export function snapshot(records: readonly SyscallRecord[], o: SnapshotOptions = {}): string {
  if (o.only !== undefined && !Array.isArray(o.only)) throw new TypeError('snapshot: only must be an array of syscall names');
  const only = o.only ? new Set(o.only) : undefined;
  // Number processes in the order they were started: those no traced clone or
  // fork made (the spawned program) first, as they appear; then each child in
  // the order its parent's fork returned.
  const created = new Set<number>();
  for (const r of records) {
    if (CREATES_PROCESS.has(r.name) && r.result !== null && r.result > 0n) created.add(Number(r.result));
  }
  const seen = new Set(records.map((r) => r.pid));
  const startOrder = new Set<number>();
  for (const r of records) if (!created.has(r.pid)) startOrder.add(r.pid);
  for (const r of records) {
    if (!CREATES_PROCESS.has(r.name) || r.result === null || r.result <= 0n) continue;
    if (seen.has(Number(r.result))) startOrder.add(Number(r.result));
  }
  const number = new Map([...startOrder].map((pid, i) => [pid, i + 1]));
  // Ids as they print in lines (set_tid_address's result, wait4's, kill's argument).
  const ids = new Map<string, string>();
  for (const [pid, n] of number) ids.set(String(pid), `<pid ${n}>`);
  let threads = 0;
  for (const r of records) if (!ids.has(String(r.tid))) ids.set(String(r.tid), `<tid ${++threads}>`);
  const maskIds = (line: string) => line.replace(/\b\d{2,}\b/g, (d) => ids.get(d) ?? d);

  // The spawned program starts in ld.so (its exec came before any traced
  // call); a forked child runs its parent's code until it execs.
  const phases = new Map<number, LoaderPhase>();
  const byProcess = new Map<number, string[]>();
  for (const r of records) {
    let phase = phases.get(r.pid);
    if (!phase) {
      phase = new LoaderPhase();
      phase.active = !created.has(r.pid);
      phases.set(r.pid, phase);
    }
    let skip = false;
    if (r.name === 'execve' || r.name === 'execveat') {
      if (r.result === 0n) phases.set(r.pid, new LoaderPhase());
    } else if (phase.take(r) && !o.loader) skip = true;
    if (skip || (only && !only.has(r.name))) continue;
    const n = number.get(r.pid)!;
    if (!byProcess.has(n)) byProcess.set(n, []);
    byProcess.get(n)!.push(maskIds(stable(format(r, { strsize: o.strsize }))));
  }
  const many = number.size > 1;
  return [...byProcess.keys()].sort((a, b) => a - b)
    .flatMap((n) => byProcess.get(n)!.map((line) => (many ? `[pid ${n}] ${line}` : line)))
    .join('\n');
}
