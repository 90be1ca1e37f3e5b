// A traced call as a test reads it: typed (signed result, errno by name, the
// path and fd it is about), with its strace line decoded on first use, and a
// stable form of a whole trace for snapshots (pids numbered in order of
// appearance, addresses masked, the dynamic loader's start-up left out).
import { captureSpec, formatCall } from './decode.js';
import type { SyscallEvent } from './events.js';
import type { ErrnoName } from '../errno.js';
import { FD_CALLS } from '../syscalls/args.js';

export interface SyscallRecord {
  pid: number;
  tid: number;
  nr: number;
  name: string;
  /** The six raw argument registers. */
  args: readonly bigint[];
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

const decodeLine = (e: SyscallEvent, strsize: number): string =>
  formatCall({ nr: e.nr, args: e.args, ret: e.ret ?? 0n, mem: e.mem }, { strsize });

/** The SyscallRecord of a traced call; its strace line is decoded when first read. */
export function toRecord(e: SyscallEvent): SyscallRecord {
  let text: string | undefined;
  const rec: SyscallRecord = {
    pid: e.pid, tid: e.tid, nr: e.nr, name: e.name, args: e.args,
    result: e.ret, errno: e.error as ErrnoName | null, handledBy: e.handledBy,
    entryNs: e.entryNs, exitNs: e.exitNs,
    get text() {
      return (text ??= decodeLine(e, 32));
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

// What ld.so does between execve and the program's first own call; see ld.so(8).
const LOADER_CALLS = new Set(['brk', 'arch_prctl', 'mmap', 'munmap', 'mprotect', 'access', 'openat', 'open', 'newfstatat', 'fstat', 'read',
  'pread64', 'close', 'set_tid_address', 'set_robust_list', 'rseq', 'prlimit64', 'getrandom', 'readlink', 'uname']);
const LOADER_PATH = /^\/etc\/ld\.so\.|\.so(\.[\d.]+)?$|\/glibc-hwcaps\/|\/tls\//;

const isLoaderCall = (r: SyscallRecord): boolean =>
  LOADER_CALLS.has(r.name) && (r.path === undefined || LOADER_PATH.test(r.path) || r.name === 'access');

/** Masks what differs from run to run in a line: addresses, and the size of the environment execve passes. */
const stable = (line: string): string => line.replace(/\b0x[0-9a-f]{5,}\b/g, '0x…').replace(/\/\* \d+ vars \*\//g, '/* … vars */');

/**
 * A trace in a form that stays the same from run to run, for
 * `expect(snapshot(r.syscalls)).toMatchInlineSnapshot()`: one strace line per
 * call, `[pid N]` numbering processes in order of appearance when there is
 * more than one, addresses masked as `0x…` (and execve's environment size), and the dynamic loader's start-up
 * calls after each execve left out (they depend on the machine's libraries).
 */
export function snapshot(records: readonly SyscallRecord[], o: SnapshotOptions = {}): string {
  const only = o.only ? new Set(o.only) : undefined;
  const pids = new Map<number, number>();
  const inLoader = new Set<number>();
  const lines: { n: number; line: string }[] = [];
  for (const r of records) {
    if (!pids.has(r.pid)) pids.set(r.pid, pids.size + 1);
    if (r.name === 'execve' || r.name === 'execveat') {
      if (r.result === 0n) inLoader.add(r.pid);
    } else if (inLoader.has(r.pid)) {
      if (isLoaderCall(r)) {
        if (!o.loader) continue;
      } else inLoader.delete(r.pid);
    }
    if (only && !only.has(r.name)) continue;
    lines.push({ n: pids.get(r.pid)!, line: stable(format(r, { strsize: o.strsize })) });
  }
  const many = pids.size > 1;
  return lines.map(({ n, line }) => (many ? `[pid ${n}] ${line}` : line)).join('\n');
}
