// The x86-64 syscall table: number <-> kernel name, what the kernel does with each slot, and
// strace's trace classes (for `-e trace=%file` and the like). The data is generated into
// table.ts by scripts/gen-syscalls.mjs; this file only indexes it. See syscall(2), strace(1).
import { MAX_SYSCALL_NR, SYSCALL_ROWS, UNASSIGNED_RANGES } from './table.js';

export { MAX_SYSCALL_NR, UNASSIGNED_RANGES };

/**
 * What the running kernel (6.18) does with a slot:
 * - `implemented`: a real call;
 * - `stub`: assigned but always answers ENOSYS (getpmsg, putpmsg, ...): the slots modules fill;
 * - `unassigned`: no call has this number; a module may define a brand-new one there;
 * - `special`: uprobe trampoline calls (335 uretprobe, 336 uprobe) that seccomp never filters.
 */
export type SyscallStatus = 'implemented' | 'stub' | 'unassigned' | 'special';

/** strace's trace classes, as in `strace -e trace=%file`. */
export const SYSCALL_CLASSES = [
  'file', 'desc', 'process', 'signal', 'ipc', 'network', 'memory', 'creds',
  'stat', 'lstat', 'fstat', 'stat_like', 'statfs', 'fstatfs', 'statfs_like', 'clock', 'pure',
] as const;
export type SyscallClass = (typeof SYSCALL_CLASSES)[number];

export interface SyscallInfo {
  /** x86-64 syscall number. */
  nr: number;
  /** Kernel spelling ('getpmsg', 'rt_sigaction'), or 'syscall_N' for an unassigned N. */
  name: string;
  status: SyscallStatus;
  classes: readonly SyscallClass[];
}

const NO_CLASSES: readonly SyscallClass[] = Object.freeze([]);

const byNr = new Map<number, SyscallInfo>();
const byName = new Map<string, SyscallInfo>();
for (const [nr, name, status, classes] of SYSCALL_ROWS) {
  const info: SyscallInfo = Object.freeze({
    nr,
    name,
    status,
    classes: classes.length === 0 ? NO_CLASSES : Object.freeze([...classes]),
  });
  byNr.set(nr, info);
  byName.set(name, info);
}

const ALL: readonly SyscallInfo[] = Object.freeze([...byNr.values()]);

/** The assigned numbers the kernel answers with ENOSYS, ascending. */
export const KERNEL_STUBS: readonly number[] = Object.freeze(
  ALL.filter((s) => s.status === 'stub').map((s) => s.nr),
);

// Unassigned entries are made on demand (there are ~640 of them) and kept, so that
// syscallByNr(400) === syscallByNr(400).
const unassigned = new Map<number, SyscallInfo>();

function isValidNr(nr: number): boolean {
  return Number.isInteger(nr) && nr >= 0 && nr <= MAX_SYSCALL_NR;
}

function unassignedInfo(nr: number): SyscallInfo {
  let info = unassigned.get(nr);
  if (info === undefined) {
    info = Object.freeze({ nr, name: `syscall_${nr}`, status: 'unassigned' as const, classes: NO_CLASSES });
    unassigned.set(nr, info);
  }
  return info;
}

/** The call with this number; undefined only outside 0..MAX_SYSCALL_NR. */
export function syscallByNr(nr: number): SyscallInfo | undefined {
  if (!isValidNr(nr)) return undefined;
  return byNr.get(nr) ?? unassignedInfo(nr);
}

/** The call's kernel name, or 'syscall_N' (also outside 0..MAX_SYSCALL_NR), for messages and events. */
export function syscallName(nr: number): string {
  return syscallByNr(nr)?.name ?? `syscall_${nr}`;
}

const SYSCALL_N = /^syscall_(0|[1-9][0-9]*)$/;

/** The call with this kernel name, or 'syscall_N' for an unassigned N. Case-sensitive. */
export function syscallByName(name: string): SyscallInfo | undefined {
  const info = byName.get(name);
  if (info !== undefined) return info;
  const m = SYSCALL_N.exec(name);
  if (m === null) return undefined;
  const nr = Number(m[1]);
  return isValidNr(nr) && !byNr.has(nr) ? unassignedInfo(nr) : undefined;
}

/** Every assigned call (including the special ones), ascending by number. */
export function allSyscalls(): readonly SyscallInfo[] {
  return ALL;
}

/**
 * Optimal string alignment distance (Damerau-Levenshtein with adjacent transpositions),
 * giving up with Infinity once every path exceeds `limit`.
 */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return Infinity;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      cur.push(d);
      rowMin = Math.min(rowMin, d);
    }
    if (rowMin > limit) return Infinity;
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The known call name closest to `name` (case-insensitive), if within 3 edits and 40% of
 * its length: for "unknown syscall 'getpmgs'; did you mean 'getpmsg'?".
 */
export function suggestSyscall(name: string): string | undefined {
  const input = name.toLowerCase();
  if (input === '') return undefined;
  const limit = Math.min(3, Math.max(1, Math.floor(input.length * 0.4)));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const { name: candidate } of ALL) {
    const d = editDistance(input, candidate, Math.min(limit, bestDistance));
    // Ties go to the candidate closer in length, then to the lower number.
    if (
      d < bestDistance ||
      (d === bestDistance && best !== undefined &&
        Math.abs(candidate.length - input.length) < Math.abs(best.length - input.length))
    ) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

function outOfRange(shown: string): TypeError {
  return new TypeError(`syscall number ${shown} out of range 0..${MAX_SYSCALL_NR}`);
}

/**
 * A syscall given by kernel name, 'syscall_N', or decimal number (as a number or a string).
 * Throws a TypeError naming the bad input and, for a misspelt name, the closest known one.
 */
export function parseSyscallRef(ref: string | number): SyscallInfo {
  if (typeof ref === 'number') {
    if (!Number.isInteger(ref)) throw new TypeError(`syscall number ${ref} is not an integer`);
    const info = syscallByNr(ref);
    if (info === undefined) throw outOfRange(String(ref));
    return info;
  }
  if (typeof ref !== 'string') {
    throw new TypeError(`syscall must be a name or a number, got ${ref === null ? 'null' : typeof ref}`);
  }
  if (/^-?[0-9]+$/.test(ref)) {
    const info = syscallByNr(Number(ref));
    if (info === undefined) throw outOfRange(ref);
    return info;
  }
  const info = syscallByName(ref);
  if (info !== undefined) return info;

  const m = SYSCALL_N.exec(ref);
  if (m !== null) {
    const nr = Number(m[1]);
    const assigned = byNr.get(nr);
    if (assigned !== undefined) {
      throw new TypeError(`syscall "${ref}" is assigned: use its name "${assigned.name}" or the number ${nr}`);
    }
    throw outOfRange(m[1]!);
  }
  const suggestion = suggestSyscall(ref);
  if (suggestion !== undefined) {
    throw new TypeError(`unknown syscall ${JSON.stringify(ref)} (did you mean "${suggestion}"?)`);
  }
  throw new TypeError(
    `unknown syscall ${JSON.stringify(ref)} (expected an x86-64 kernel name such as "getpmsg", ` +
      `a number 0..${MAX_SYSCALL_NR}, or syscall_N for an unassigned N)`,
  );
}
