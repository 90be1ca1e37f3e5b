// Built-in module `faults`: fault injection with strace's semantics
// (-e inject=, -e fault=; strace(1) "Tampering") and what strace users asked
// for: predicates on arguments and paths, explicit invocation lists, several
// rules per syscall, register arguments changed before the call runs.
//
// Counting: every rule whose syscall set and predicates match a call counts
// it, per rule and per thread (strace counts per tracee); the first rule, in
// the order given, whose when=/nth= selects that count fires. A rule that
// fires with error= or retval= answers without running the call; one with
// only signal=/delay_enter=/set_argN= lets it run.
import fs from 'node:fs';
import os from 'node:os';
import { isPlainErrno, parseFaultExpr, parseSyscallSet, whenMatches, type FaultRule, type When } from '../faults/expr.js';
import { defineModule, SyscallError, type Call, type ConstantSpec, type ErrnoLike, type HandlerResult, type HandlerSpec, type Module } from '../module.js';
import { checkInteger, INT32, INT64_OR_UINT64, MAX_SAFE } from '../integers.js';
import { FD_CALLS, PATH_ARG } from '../syscalls/args.js';
import { syscallByNr, type SyscallClass } from '../syscalls/index.js';
import type { SyscallName } from '../syscalls/table.js';
import { checkDuration, sleep } from '../timers.js';

/** A call as a predicate sees it. */
export interface FaultCall {
  readonly nr: number;
  readonly name: string;
  readonly pid: number;
  readonly tid: number;
  readonly args: readonly bigint[];
  /** The call's path argument, if it has one and it is readable; for a call on an fd, the file the fd refers to. */
  readonly path: string | undefined;
  /** Argument 0 as an int (the fd of fd calls, the dirfd of *at calls). */
  readonly fd: number;
}

interface FaultSpecBase {
  /** Send this signal to the calling thread. */
  signal?: NodeJS.Signals | number;
  /** Wait this many ms before the call (strace delay_enter). */
  delayEnter?: number;
  /** Wait this many ms before answering (strace delay_exit; with error or retval). */
  delayExit?: number;
  /** strace's when= ('3', '2+', '1+2', '2..4', '1..9+3'), or a predicate on the call. */
  when?: string | ((call: FaultCall) => boolean);
  /** Fire on these invocation numbers (1-based, counted among matching calls). */
  nth?: number[];
  /** Glob on the path argument ('/etc/*', '**' crosses '/'); for calls on an fd (write, read, fstat...), on the file it refers to. */
  path?: string;
  fd?: number;
  /** Replace arguments before the call runs: { 2: 3n }. */
  setArgs?: Partial<Record<0 | 1 | 2 | 3 | 4 | 5, number | bigint>>;
}

/**
 * One rule of the programmatic API: at most one of `error` (fail with this
 * errno) and `retval` (return this without running the call); with neither,
 * the call runs (after signal, delays, setArgs). Both together do not compile.
 */
export type FaultSpec =
  | (FaultSpecBase & { error: ErrnoLike; retval?: never })
  | (FaultSpecBase & { retval: number | bigint; error?: never })
  | (FaultSpecBase & { error?: never; retval?: never });

/**
 * What faults() rules are keyed by: a syscall name, a strace class (`%file`),
 * a comma list starting with a name, a /regex, or a number; a misspelt name
 * does not compile.
 */
export type FaultKey = SyscallName | `%${SyscallClass}` | `${SyscallName},${string}` | `/${string}` | `${number}`;


function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  // s: a path may hold a newline, and ** must cross it as it crosses '/'.
  return new RegExp(`^${re}$`, 's');
}

interface CompiledRule {
  source: string;
  error?: number;
  retval?: bigint;
  signal?: number;
  delayEnterMs?: number;
  delayExitMs?: number;
  when?: When;
  nth?: Set<number>;
  predicate?: (c: FaultCall) => boolean;
  path?: RegExp;
  fd?: number;
  args?: FaultRule['args'];
  setArgs?: Partial<Record<0 | 1 | 2 | 3 | 4 | 5, bigint>>;
  /** Invocation counts per thread. */
  counts: Map<number, number>;
}

const SPEC_KEYS = ['error', 'retval', 'signal', 'delayEnter', 'delayExit', 'when', 'nth', 'path', 'fd', 'setArgs'];

/** A FaultSpec checked and compiled; a TypeError or RangeError names the rule and the option. */
function compileSpec(name: string, s: FaultSpec): CompiledRule {
  const where = `faults: ${name}`;
  if (s === null || typeof s !== 'object') throw new TypeError(`${where}: a rule must be an object { error | retval | signal | delayEnter | delayExit | setArgs, ... }`);
  for (const k of Object.keys(s)) {
    if (!SPEC_KEYS.includes(k)) throw new TypeError(`${where}: unknown key ${JSON.stringify(k)} (valid: ${SPEC_KEYS.join(', ')})`);
  }
  if (s.error !== undefined && s.retval !== undefined) throw new TypeError(`${where}: error and retval are exclusive`);
  const r: CompiledRule = { source: `${name} ${JSON.stringify(s, (_, v) => (typeof v === 'bigint' ? v.toString() : typeof v === 'function' ? '[function]' : v))}`, counts: new Map() };
  if (s.error !== undefined) {
    try {
      r.error = new SyscallError(s.error).errno;
    } catch (err) {
      throw new TypeError(`${where}: error: ${(err as Error).message.replace(/^SyscallError: /, '')}`);
    }
  }
  if (s.retval !== undefined) r.retval = checkInteger(s.retval, `${where}: retval`, INT64_OR_UINT64.min, INT64_OR_UINT64.max);
  if (s.signal !== undefined) {
    const n = typeof s.signal === 'number' ? s.signal : (os.constants.signals as Record<string, number>)[s.signal];
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new TypeError(`${where}: unknown signal ${String(s.signal)} (a name such as 'SIGUSR1', or 1..64)`);
    r.signal = n;
  }
  // Any length (lib/timers.ts chains timers).
  if (s.delayEnter !== undefined) r.delayEnterMs = duration(s.delayEnter, `${where}: delayEnter`);
  if (s.delayExit !== undefined) r.delayExitMs = duration(s.delayExit, `${where}: delayExit`);
  if (typeof s.when === 'function') r.predicate = s.when;
  else if (typeof s.when === 'string') {
    r.when = parseFaultExpr(`${name}:when=${s.when}:error=EPERM`, 'inject').when;
  } else if (s.when !== undefined) throw new TypeError(`${where}: when must be a when= string ('3', '2+', '2..4') or a predicate function`);
  if (s.nth !== undefined) {
    if (!Array.isArray(s.nth)) throw new TypeError(`${where}: nth must be an array of invocation numbers, 1-based`);
    r.nth = new Set(s.nth.map((n, i) => Number(checkInteger(n, `${where}: nth[${i}]`, 1n, MAX_SAFE))));
  }
  if (s.path !== undefined) {
    if (typeof s.path !== 'string') throw new TypeError(`${where}: path must be a glob string`);
    r.path = globToRegExp(s.path);
  }
  if (s.fd !== undefined) r.fd = Number(checkInteger(s.fd, `${where}: fd`, INT32.min, INT32.max));
  if (s.setArgs !== undefined) {
    if (s.setArgs === null || typeof s.setArgs !== 'object') throw new TypeError(`${where}: setArgs must be an object { 0..5: value }`);
    r.setArgs = Object.fromEntries(Object.entries(s.setArgs).map(([k, v]) => {
      if (!/^[0-5]$/.test(k)) throw new RangeError(`${where}: setArgs.${k}: argument indexes are 0..5`);
      return [k, checkInteger(v, `${where}: setArgs.${k}`, INT64_OR_UINT64.min, INT64_OR_UINT64.max)];
    }));
  }
  if (r.error === undefined && r.retval === undefined && r.signal === undefined && r.delayEnterMs === undefined && r.delayExitMs === undefined && !r.setArgs) {
    throw new TypeError(`${where}: a rule needs error, retval, signal, delayEnter, delayExit or setArgs`);
  }
  return r;
}

function duration(v: unknown, what: string): number {
  const ms = checkDuration(v, what);
  if (ms === Infinity) throw new RangeError(`${what} must be a finite number of ms, got Infinity`);
  return ms;
}

function compileRule(f: FaultRule): CompiledRule {
  return {
    source: f.source,
    error: f.error,
    retval: f.retval,
    signal: f.signal,
    delayEnterMs: f.delayEnterUs !== undefined ? f.delayEnterUs / 1000 : undefined,
    delayExitMs: f.delayExitUs !== undefined ? f.delayExitUs / 1000 : undefined,
    when: f.when,
    nth: f.nth ? new Set(f.nth) : undefined,
    path: f.path !== undefined ? globToRegExp(f.path) : undefined,
    fd: f.fd,
    args: f.args,
    setArgs: f.setArgs ? Object.fromEntries(f.setArgs.map((a) => [a.arg, a.value])) : undefined,
    counts: new Map(),
  };
}

function faultCall(call: Call): FaultCall {
  let path: string | undefined | null = null;
  return {
    nr: call.nr,
    name: call.name,
    pid: call.pid,
    tid: call.tid,
    args: call.args,
    fd: call.int(0),
    get path() {
      if (path === null) {
        const i = PATH_ARG[call.name];
        try {
          if (i !== undefined) path = call.readCString(call.args[i]);
          // A call on an fd: the file it refers to now, as the kernel names it
          // (proc(5) /proc/PID/fd), so a rule can fail "writes to this file".
          // A file removed since it was opened reads as "PATH (deleted)": it keeps its name here.
          else path = FD_CALLS.has(call.name) ? fs.readlinkSync(`/proc/${call.pid}/fd/${call.int(0)}`).replace(/ \(deleted\)$/, '') : undefined;
        } catch {
          path = undefined;
        }
      }
      return path;
    },
  };
}

function matches(r: CompiledRule, c: FaultCall): boolean {
  if (r.fd !== undefined && c.fd !== r.fd) return false;
  if (r.args) {
    for (const p of r.args) {
      const a = c.args[p.arg];
      if ('equals' in p ? BigInt.asUintN(64, a) !== BigInt.asUintN(64, p.equals) : (a & BigInt.asUintN(64, p.mask)) === 0n) return false;
    }
  }
  if (r.path && (c.path === undefined || !r.path.test(c.path))) return false;
  if (r.predicate && !r.predicate(c)) return false;
  return true;
}

function selects(r: CompiledRule, n: number): boolean {
  if (r.nth && r.nth.has(n)) return true;
  if (r.when) return whenMatches(r.when, n);
  return !r.nth; // no when, no nth: every call
}

function raise(call: Call, sig: number | undefined): void {
  if (!sig) return;
  try {
    process.kill(call.tid, sig);
  } catch {
    /* gone */
  }
}

/**
 * As strace: delay_enter before the call; then the call is answered (error=,
 * retval=) or runs; delay_exit after it; signal= raised at its exit, so the
 * thread gets it as the call returns.
 */
async function act(call: Call, r: CompiledRule): Promise<HandlerResult> {
  if (r.delayEnterMs) await sleep(r.delayEnterMs);
  let result: HandlerResult;
  if (r.error !== undefined || r.retval !== undefined) {
    result = r.error !== undefined ? new SyscallError(r.error) : r.retval!;
  } else if (r.delayExitMs || r.signal) {
    // A real call on the ptrace route runs now and we see its exit; a stub's
    // call ends in the module below (or ENOSYS).
    try {
      result = await call.observe(r.setArgs);
    } catch {
      result = await call.next(r.setArgs);
    }
  } else {
    return call.next(r.setArgs);
  }
  if (r.delayExitMs) await sleep(r.delayExitMs);
  raise(call, r.signal);
  return result;
}

/**
 * The faults module. Rules keyed by syscall name (or number), several per
 * syscall, in order; or a list of rules parsed from strace expressions.
 */
export function faults(rules: { readonly [K in FaultKey]?: FaultSpec | readonly FaultSpec[] } | readonly FaultRule[], name = 'faults'): Module {
  const bySlot = new Map<number, CompiledRule[]>();
  const plain = new Map<number, number>(); // slots whose only rule is a plain errno
  if (Array.isArray(rules)) {
    for (const f of rules as readonly FaultRule[]) {
      for (const nr of f.nrs) {
        if (!bySlot.has(nr) && isPlainErrno(f)) plain.set(nr, f.error!);
        else plain.delete(nr);
        const list = bySlot.get(nr) ?? [];
        list.push(compileRule(f));
        bySlot.set(nr, list);
      }
    }
  } else {
    for (const [key, spec] of Object.entries(rules as Record<string, FaultSpec | FaultSpec[]>)) {
      const nrs = parseSyscallSet(key);
      for (const s of Array.isArray(spec) ? spec : [spec]) {
        for (const nr of nrs) {
          const list = bySlot.get(nr) ?? [];
          list.push(compileSpec(syscallByNr(nr)!.name, s));
          bySlot.set(nr, list);
        }
      }
    }
  }
  const syscalls: Record<string, HandlerSpec | ConstantSpec> = {};
  for (const [nr, list] of bySlot) {
    const key = String(nr);
    if (plain.has(nr) && list.length === 1) {
      syscalls[key] = { errno: plain.get(nr)! }; // answered in C++, or by the filter when sealed
      continue;
    }
    const only = list.length === 1 ? list[0] : undefined;
    if (only && only.when && (only.error !== undefined || (only.retval !== undefined && only.retval >= -(2n ** 53n) && only.retval <= 2n ** 53n)) &&
        !only.nth && !only.path && only.fd === undefined && !only.args && !only.predicate && only.signal === undefined &&
        !only.delayEnterMs && !only.delayExitMs && !only.setArgs) {
      // A counted constant: decided in C++ (per-thread counters there too).
      syscalls[key] = only.error !== undefined ? { errno: only.error, when: only.when } : { value: only.retval!, when: only.when };
      continue;
    }
    syscalls[key] = {
      timeout: null, // delays may be long on purpose
      handler: (call) => {
        const fc = faultCall(call);
        let fired: CompiledRule | undefined;
        for (const r of list) {
          if (!matches(r, fc)) continue;
          const n = (r.counts.get(call.tid) ?? 0) + 1;
          r.counts.set(call.tid, n);
          if (!fired && selects(r, n)) fired = r;
        }
        return fired ? act(call, fired) : call.next();
      },
    };
  }
  return defineModule({ name, description: 'fault injection (strace -e inject= / -e fault=)', syscalls });
}

export default faults;
