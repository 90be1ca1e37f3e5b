// strace's qualifying expressions for fault injection, parsed into typed
// rules: `inject=SET:key=value...` and `fault=SET[:error=E][:when=EXPR]`
// (strace(1) "Tampering"), plus predicates strace users asked for and never got
// (strace issues #86, #104, #173, #259): path=GLOB, fd=N, argN=V, argN&MASK, nth=LIST.
// Every error names the bad part and where it is.
import os from 'node:os';
import { errnoNumber } from '../errno.js';
import { INT32, INT64_OR_UINT64, IntegerError, MAX_SAFE, parseInteger, type IntegerSpec } from '../integers.js';
import { allSyscalls, MAX_SYSCALL_NR, suggestSyscall, syscallByName, syscallByNr, SYSCALL_CLASSES, type SyscallClass } from '../syscalls/index.js';

/** when=first[..last][+[step]]: which invocations (1-based) a rule fires on. */
export interface When {
  first: number;
  last: number; // Infinity when open
  step: number; // 0: every one in [first, last]
}

/** An argument predicate: argN == value, or argN has any bit of mask set. */
export type ArgPredicate = { arg: number; equals: bigint } | { arg: number; mask: bigint };

export interface FaultRule {
  /** The expression as given, for reports. */
  source: string;
  /** Syscall numbers the rule applies to. */
  nrs: number[];
  error?: number;
  retval?: bigint;
  signal?: number;
  delayEnterUs?: number;
  delayExitUs?: number;
  when?: When;
  /** Explicit invocation numbers (1-based), instead of or with when. */
  nth?: number[];
  /** Glob on the call's (first) path argument. */
  path?: string;
  /** The call's fd argument (argument 0) equals this. */
  fd?: number;
  args?: ArgPredicate[];
  /** Replace register arguments before the call runs (ptrace route): set_argN=V. */
  setArgs?: { arg: number; value: bigint }[];
}

/** A bad expression: the message names the part, `column` points into `expr`. */
export class ExprError extends Error {
  constructor(readonly expr: string, readonly column: number, what: string) {
    super(`${what}\n  ${expr}\n  ${' '.repeat(column)}^`);
    this.name = 'ExprError';
  }
}

const KEYS = ['error', 'retval', 'signal', 'delay_enter', 'delay_exit', 'when', 'path', 'fd', 'nth', 'argN=V', 'argN&MASK', 'set_argN=V'];

/**
 * strace 6's class names (strace(1) "-e trace=%..."): %net for %network, and
 * %%stat / %%statfs for every stat-like / statfs-like call, which the table
 * calls stat_like / statfs_like (also accepted as %stat_like, %statfs_like).
 */
const CLASS_ALIASES: Readonly<Record<string, SyscallClass>> = { '%net': 'network', '%%stat': 'stat_like', '%%statfs': 'statfs_like' };
const CLASS_NAMES = SYSCALL_CLASSES.map((c) => (c === 'stat_like' ? '%%stat' : c === 'statfs_like' ? '%%statfs' : `%${c}`));

function classByName(item: string): SyscallClass | undefined {
  const alias = CLASS_ALIASES[item];
  if (alias) return alias;
  const c = item.slice(1);
  return (SYSCALL_CLASSES as readonly string[]).includes(c) ? (c as SyscallClass) : undefined;
}

/** The syscalls of a SET: names, numbers, /regex, %class, all, none; a leading ! negates; ?name ignores unknown names. */
export function parseSyscallSet(set: string, expr = set, at = 0): number[] {
  let negate = false;
  let body = set;
  if (body.startsWith('!')) {
    negate = true;
    body = body.slice(1);
  }
  const out = new Set<number>();
  let col = at + (negate ? 1 : 0);
  for (const raw of body.split(',')) {
    const optional = raw.startsWith('?');
    const item = optional ? raw.slice(1) : raw;
    if (item === '') throw new ExprError(expr, col, 'empty syscall name in set');
    if (item === 'all') for (const s of allSyscalls()) { if (s.status !== 'special') out.add(s.nr); }
    else if (item === 'none') { /* nothing */ }
    else if (item.startsWith('/')) {
      let re: RegExp;
      try {
        re = new RegExp(item.slice(1));
      } catch (err) {
        throw new ExprError(expr, col, `bad regular expression ${JSON.stringify(item.slice(1))}: ${(err as Error).message}`);
      }
      // Whether it matches a call at all, not whether it adds one: `all,/^read` is fine.
      let matched = false;
      for (const s of allSyscalls()) if (s.status !== 'special' && re.test(s.name)) { matched = true; out.add(s.nr); }
      if (!matched && !optional) throw new ExprError(expr, col, `regular expression ${JSON.stringify(item.slice(1))} matches no syscall`);
    } else if (item.startsWith('%')) {
      const cls = classByName(item);
      if (cls === undefined) {
        throw new ExprError(expr, col, `unknown syscall class ${JSON.stringify(item)} (valid: ${CLASS_NAMES.join(' ')})`);
      }
      for (const s of allSyscalls()) if (s.classes.includes(cls)) out.add(s.nr);
    } else if (/^\d+$/.test(item)) {
      const nr = Number(item);
      if (nr > MAX_SYSCALL_NR || syscallByNr(nr)?.status === 'special') throw new ExprError(expr, col, `syscall number ${item} out of range 0..${MAX_SYSCALL_NR} (or not trappable)`);
      out.add(nr);
    } else {
      const info = syscallByName(item);
      // By name as by number: a call that cannot be trapped is refused here, not at wiring.
      if (info?.status === 'special') throw new ExprError(expr, col, `syscall ${item} (${info.nr}) is not trappable`);
      if (!info) {
        if (!optional) {
          const hint = suggestSyscall(item);
          throw new ExprError(expr, col, `unknown syscall ${JSON.stringify(item)}${hint ? ` (did you mean ${JSON.stringify(hint)}?)` : ''}`);
        }
      } else out.add(info.nr);
    }
    col += raw.length + 1;
  }
  if (!negate) return [...out].sort((a, b) => a - b);
  return allSyscalls().filter((s) => s.status !== 'special' && !out.has(s.nr)).map((s) => s.nr);
}

const MAX_WHEN = 65535; // strace's limit

function parseWhen(v: string, expr: string, col: number): When {
  const m = /^(\d+)(?:\.\.(\d+))?(?:\+(\d*))?$/.exec(v);
  if (!m) throw new ExprError(expr, col, `bad when=${JSON.stringify(v)}: expected N, N+, N+S, N..M or N..M+S`);
  const first = Number(m[1]);
  const last = m[2] !== undefined ? Number(m[2]) : m[3] !== undefined ? Infinity : first;
  const step = m[3] === undefined ? 0 : m[3] === '' ? 1 : Number(m[3]);
  if (first < 1 || first > MAX_WHEN) throw new ExprError(expr, col, `when=${v}: the first invocation must be 1..${MAX_WHEN}`);
  if (last < first) throw new ExprError(expr, col, `when=${v}: the last invocation is before the first`);
  if (m[3] !== undefined && m[3] !== '' && (step < 1 || step > MAX_WHEN)) throw new ExprError(expr, col, `when=${v}: the step must be 1..${MAX_WHEN}`);
  return { first, last, step };
}

/** Parse a when= value on its own ('3', '2+', '1+2', '2..4', '1..9+3'). Throws ExprError. */
export function parseWhenExpr(v: string): When {
  return parseWhen(v, v, 0);
}

/** Does invocation n (1-based) fire under `when`? */
export function whenMatches(w: When, n: number): boolean {
  if (n < w.first || n > w.last) return false;
  return w.step === 0 || (n - w.first) % w.step === 0;
}

/** strace's time values: microseconds, or with a suffix s, ms, us, ns. */
function parseDelay(v: string, expr: string, col: number): number {
  const m = /^(\d+(?:\.\d+)?)(s|ms|us|ns)?$/.exec(v);
  if (!m) throw new ExprError(expr, col, `bad delay ${JSON.stringify(v)}: a number of microseconds, or with a suffix s, ms, us, ns`);
  const n = Number(m[1]);
  const us = m[2] === 's' ? n * 1e6 : m[2] === 'ms' ? n * 1e3 : m[2] === 'ns' ? n / 1e3 : n;
  // Any length works (lib/timers.ts chains timers); only beyond a double's exact integers is it refused.
  if (!(us <= Number.MAX_SAFE_INTEGER)) throw new ExprError(expr, col, `delay ${JSON.stringify(v)} is out of range: at most ${Number.MAX_SAFE_INTEGER} us`);
  return us;
}

/** parseInteger, its error an ExprError pointing at the value. */
function integer(v: string, expr: string, col: number, spec: IntegerSpec): bigint {
  try {
    return parseInteger(v, spec);
  } catch (err) {
    if (err instanceof IntegerError) throw new ExprError(expr, col, err.message);
    throw err;
  }
}

/** A 64-bit value, signed or not, as strace's retval= takes it (strtoull base 0). */
const int64 = (v: string, expr: string, col: number, what: string) => integer(v, expr, col, { what, ...INT64_OR_UINT64, forms: 'c' });

/**
 * Parse the value of -e inject= / --inject= (kind 'inject') or -e fault= / --fault= (kind 'fault').
 * `expr` is the text after "inject=" / "fault=".
 */
export function parseFaultExpr(expr: string, kind: 'inject' | 'fault'): FaultRule {
  const parts = expr.split(':');
  const set = parts[0];
  if (set === '') throw new ExprError(expr, 0, `${kind}: missing syscall set before the first ':'`);
  const rule: FaultRule = { source: `${kind}=${expr}`, nrs: parseSyscallSet(set, expr, 0) };
  let col = set.length + 1;
  const keyCol = new Map<string, number>(); // where each key was last given, for errors about the rule as a whole
  for (const part of parts.slice(1)) {
    const eq = part.search(/[=&]/);
    const key = eq < 0 ? part : part.slice(0, eq);
    const v = eq < 0 ? '' : part.slice(eq + 1);
    const vcol = col + eq + 1;
    keyCol.set(key, col);
    const argm = /^(set_)?arg([0-5])$/.exec(key);
    if (argm && eq > 0) {
      const arg = Number(argm[2]);
      if (argm[1]) {
        if (part[eq] !== '=') throw new ExprError(expr, col + eq, `${key} takes =VALUE`);
        (rule.setArgs ??= []).push({ arg, value: int64(v, expr, vcol, key) });
      } else if (part[eq] === '&') (rule.args ??= []).push({ arg, mask: int64(v, expr, vcol, `${key}& mask`) });
      else (rule.args ??= []).push({ arg, equals: int64(v, expr, vcol, key) });
    } else if (eq < 0 || part[eq] !== '=') {
      throw new ExprError(expr, col, `bad ${JSON.stringify(part)}: expected key=value (keys: ${KEYS.join(', ')})`);
    } else {
      switch (key) {
        case 'error': {
          const n = /^\d+$/.test(v) ? Number(integer(v, expr, vcol, { what: 'error', min: 1n, max: 4095n })) : errnoNumber(v);
          if (n === undefined) throw new ExprError(expr, vcol, `unknown error ${JSON.stringify(v)} (an errno name such as ENOENT, or 1..4095)`);
          rule.error = n;
          break;
        }
        case 'retval':
          rule.retval = int64(v, expr, vcol, 'retval');
          break;
        case 'signal': {
          const name = v.toUpperCase().startsWith('SIG') ? v.toUpperCase() : `SIG${v.toUpperCase()}`;
          const n = /^\d+$/.test(v) ? Number(integer(v, expr, vcol, { what: 'signal', min: 1n, max: 64n })) : (os.constants.signals as Record<string, number>)[name];
          if (n === undefined || n < 1 || n > 64) throw new ExprError(expr, vcol, `unknown signal ${JSON.stringify(v)}`);
          rule.signal = n;
          break;
        }
        case 'delay_enter':
          rule.delayEnterUs = parseDelay(v, expr, vcol);
          break;
        case 'delay_exit':
          rule.delayExitUs = parseDelay(v, expr, vcol);
          break;
        case 'when':
          rule.when = parseWhen(v, expr, vcol);
          break;
        case 'nth': {
          // A list of invocation numbers, 1-based (nth=1,3).
          let at = vcol;
          rule.nth = v.split(',').map((x) => {
            const n = Number(integer(x, expr, at, { what: 'nth', min: 1n, max: MAX_SAFE }));
            at += x.length + 1;
            return n;
          });
          break;
        }
        case 'path':
          if (v === '') throw new ExprError(expr, vcol, 'path= needs a glob (path=/etc/*)');
          rule.path = v;
          break;
        case 'fd': {
          rule.fd = Number(integer(v, expr, vcol, { what: 'fd', ...INT32 }));
          break;
        }
        case 'syscall':
        case 'poke_enter':
        case 'poke_exit':
          throw new ExprError(expr, col, `${key}= is not supported by sysstub yet`);
        default: {
          throw new ExprError(expr, col, `unknown key ${JSON.stringify(key)} (valid: ${KEYS.join(', ')})`);
        }
      }
    }
    col += part.length + 1;
  }
  if (kind === 'fault') {
    const given = (['retval', 'signal', 'delay_enter', 'delay_exit'] as const).filter((k) => keyCol.has(k));
    if (given.length) {
      const at = Math.min(...given.map((k) => keyCol.get(k)!));
      throw new ExprError(expr, at, `fault= takes only error= and when= (and predicates), not ${given.map((k) => `${k}=`).join(', ')}; use inject= for retval, signal, delays`);
    }
    rule.error ??= 38; // ENOSYS, as strace's fault=
  }
  if (rule.error !== undefined && rule.retval !== undefined) {
    throw new ExprError(expr, keyCol.get('retval')!, 'error= and retval= are mutually exclusive');
  }
  if (kind === 'inject' && rule.error === undefined && rule.retval === undefined && rule.signal === undefined &&
      rule.delayEnterUs === undefined && rule.delayExitUs === undefined && !rule.setArgs) {
    throw new ExprError(expr, expr.length, 'inject= needs at least one of error=, retval=, signal=, delay_enter=, delay_exit=, set_argN=');
  }
  return rule;
}

/** Is this rule a plain errno for every call (no counting, no predicates): the filter can answer it. */
export function isPlainErrno(r: FaultRule): boolean {
  return r.error !== undefined && r.when === undefined && r.nth === undefined && r.path === undefined &&
    r.fd === undefined && !r.args && r.signal === undefined && r.delayEnterUs === undefined && r.delayExitUs === undefined && !r.setArgs;
}
