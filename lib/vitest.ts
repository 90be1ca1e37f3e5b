// sysstub/vitest: matchers on what run() returns (or a child's exit), and a
// test fixture whose supervisor and runs end with the test, even one that
// failed or timed out. `import 'sysstub/vitest'` registers the matchers;
// `import { test } from 'sysstub/vitest'` gives the fixture. vitest is an
// optional peer dependency of this subpath only.
import os from 'node:os';
import { expect, test as base } from 'vitest';
import { errnoNumber } from './errno.js';
import { signalNames } from './signals.js';
import { syscallByName } from './syscalls/index.js';
import type { ErrnoName } from './errno.js';
import { run as runUnder, type RunEncoding, type RunOptions, type RunResult } from './run.js';
import { Supervisor, type ExitResult, type SupervisorOptions } from './supervisor.js';
import type { SyscallName } from './syscalls/table.js';
import { format, type SyscallRecord } from './trace/record.js';

export interface SyscallExpectation {
  /** Arguments by index that must match (numbers compare as 64-bit values). */
  args?: Partial<Record<0 | 1 | 2 | 3 | 4 | 5, number | bigint>>;
  /** The call's path argument: equal, or matching. */
  path?: string | RegExp;
  /** How many matching calls (default: at least one). */
  times?: number;
  /** The signed return value. */
  result?: number | bigint;
}

export interface SysstubMatchers<R = unknown> {
  /** The run's traced calls (the trace option) include `name` calls matching `expected`. */
  toHaveCalledSyscall(name: SyscallName, expected?: SyscallExpectation): R;
  /** A traced `name` call failed with `errno` ('EACCES'). */
  toFailSyscallWith(name: SyscallName, errno: ErrnoName): R;
  /** The program exited (not killed) with `code`. */
  toHaveExitedWith(code: number): R;
  /** The program was killed by `signal` ('SIGTERM', or its number). */
  toHaveBeenKilledBy(signal: NodeJS.Signals | number): R;
}

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Matchers<T = any> extends SysstubMatchers<T> {}
}

/** How many trace lines a failure message shows. */
const SHOWN = 20;

function exitOf(received: unknown): ExitResult | undefined {
  const r = received as Partial<ExitResult> | null;
  if (r && typeof r === 'object' && 'exitCode' in r && 'signal' in r) return r as ExitResult;
  return undefined;
}

function recordsOf(received: unknown, matcher: string): SyscallRecord[] {
  const calls = (received as { syscalls?: unknown } | null)?.syscalls;
  if (!Array.isArray(calls)) throw new TypeError(`${matcher}: expected what run() returned (it has no syscalls)`);
  return calls as SyscallRecord[];
}

/** The calls of `name` as trace lines, or the whole trace's names when there are none, for a failure message. */
function slice(calls: readonly SyscallRecord[], name: string): string {
  const of = calls.filter((c) => c.name === name);
  if (calls.length === 0) return '  (no calls were traced: run with { trace: ... } naming the calls to check)';
  if (of.length === 0) return `  (no ${name} call; traced: ${[...new Set(calls.map((c) => c.name))].join(', ')})`;
  const lines = of.slice(0, SHOWN).map((c) => `  ${format(c, { pid: true })}`);
  if (of.length > SHOWN) lines.push(`  ... and ${of.length - SHOWN} more`);
  return lines.join('\n');
}

const u64 = (v: number | bigint): bigint => BigInt.asUintN(64, BigInt(v));

const isInt = (v: unknown): v is number | bigint => typeof v === 'bigint' || Number.isSafeInteger(v);

/** A misspelt name, key or value is the test's bug: a TypeError, never a silent pass. */
function checkName(matcher: string, name: unknown): void {
  if (typeof name !== 'string' || syscallByName(name) === undefined) {
    throw new TypeError(`${matcher}: ${JSON.stringify(name)} is not an x86-64 syscall name`);
  }
}

function checkExpectation(e: unknown): asserts e is SyscallExpectation {
  if (e === null || typeof e !== 'object') throw new TypeError('toHaveCalledSyscall: the expectation must be an object { args?, path?, times?, result? }');
  for (const [k, v] of Object.entries(e)) {
    if (k === 'path') {
      if (typeof v !== 'string' && !(v instanceof RegExp)) throw new TypeError('toHaveCalledSyscall: path must be a string or a RegExp');
    } else if (k === 'result') {
      if (!isInt(v)) throw new TypeError(`toHaveCalledSyscall: result must be an integer, got ${String(v)}`);
    } else if (k === 'times') {
      if (!Number.isSafeInteger(v) || (v as number) < 0) throw new TypeError(`toHaveCalledSyscall: times must be a whole number >= 0, got ${String(v)}`);
    } else if (k === 'args') {
      if (v === null || typeof v !== 'object') throw new TypeError('toHaveCalledSyscall: args must be an object { 0?: ..., 5?: ... }');
      for (const [i, a] of Object.entries(v)) {
        if (!/^[0-5]$/.test(i)) throw new TypeError(`toHaveCalledSyscall: args index ${i} must be 0..5`);
        if (a !== undefined && !isInt(a)) throw new TypeError(`toHaveCalledSyscall: args[${i}] must be an integer, got ${String(a)}`);
      }
    } else {
      throw new TypeError(`toHaveCalledSyscall: unknown key ${JSON.stringify(k)} (valid: args, path, times, result)`);
    }
  }
}

function matches(c: SyscallRecord, e: SyscallExpectation): boolean {
  if (e.path !== undefined && (c.path === undefined || (typeof e.path === 'string' ? c.path !== e.path : !e.path.test(c.path)))) return false;
  if (e.result !== undefined && c.result !== BigInt(e.result)) return false;
  for (const [i, v] of Object.entries(e.args ?? {})) {
    if (v !== undefined && u64(c.args[Number(i)]) !== u64(v)) return false;
  }
  return true;
}

/** `{ path: "/etc/passwd", result: 3 }`, on one line. */
function show(e: SyscallExpectation): string {
  const val = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : v instanceof RegExp ? String(v) : typeof v === 'object' && v !== null ? show(v as SyscallExpectation) : String(v));
  return `{ ${Object.entries(e).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}: ${val(v)}`).join(', ')} }`;
}

const describeExit = (r: ExitResult): string => (r.signal ? `was killed by ${r.signal}` : `exited with ${r.exitCode}`);

expect.extend({
  toHaveCalledSyscall(received: unknown, name: string, expected: SyscallExpectation = {}) {
    checkName('toHaveCalledSyscall', name);
    checkExpectation(expected);
    const calls = recordsOf(received, 'toHaveCalledSyscall');
    const n = calls.filter((c) => c.name === name && matches(c, expected)).length;
    const pass = expected.times === undefined ? n > 0 : n === expected.times;
    const { times, ...which } = expected;
    const want = `${times === undefined ? 'at least one' : `exactly ${times}`} ${name} call${times === undefined || times === 1 ? '' : 's'}${Object.keys(which).length ? ` matching ${show(which)}` : ''}`;
    return {
      pass,
      message: () => `expected the program ${this.isNot ? 'not ' : ''}to make ${want}; it made ${n}:\n${slice(calls, name)}`,
    };
  },
  toFailSyscallWith(received: unknown, name: string, errno: string) {
    checkName('toFailSyscallWith', name);
    if (typeof errno !== 'string' || errnoNumber(errno) === undefined) throw new TypeError(`toFailSyscallWith: ${JSON.stringify(errno)} is not an errno name (such as 'EACCES')`);
    const calls = recordsOf(received, 'toFailSyscallWith');
    const pass = calls.some((c) => c.name === name && c.errno === errno);
    return {
      pass,
      message: () => `expected ${this.isNot ? 'no' : 'a'} ${name} call failing with ${errno}:\n${slice(calls, name)}`,
    };
  },
  toHaveExitedWith(received: unknown, code: number) {
    const r = exitOf(received);
    if (!r) throw new TypeError('toHaveExitedWith: expected what run() returned, or a child\'s exit result');
    return {
      pass: r.signal === null && r.exitCode === code,
      message: () => `expected the program ${this.isNot ? 'not ' : ''}to exit with ${code}; it ${describeExit(r)}${'stderr' in r ? `\nstderr: ${JSON.stringify(String((r as { stderr: unknown }).stderr))}` : ''}`,
    };
  },
  toHaveBeenKilledBy(received: unknown, signal: string | number) {
    const r = exitOf(received);
    if (!r) throw new TypeError('toHaveBeenKilledBy: expected what run() returned, or a child\'s exit result');
    // A number is the signal's number ('SIGTERM' and 15 say the same).
    if (typeof signal === 'number') signal = signalNames.get(signal) ?? String(signal);
    if (!(signal in os.constants.signals)) throw new TypeError(`toHaveBeenKilledBy: ${JSON.stringify(signal)} is not a signal name (such as 'SIGTERM') or number`);
    return {
      pass: r.signal === signal,
      message: () => `expected the program ${this.isNot ? 'not ' : ''}to be killed by ${signal}; it ${describeExit(r)}`,
    };
  },
});

export interface SysstubFixtures {
  /** A Supervisor for this test, closed (every tracee killed and reaped) when the test ends, however it ends. */
  supervisor: Supervisor;
  /** run() tied to this test: its AbortSignal wired in, so a timed-out test kills what it ran. */
  run: <E extends RunEncoding = 'utf8'>(command: string | readonly string[], opts?: RunOptions<E>) => Promise<RunResult<E>>;
}

/** vitest's `test`, with the sysstub fixtures: `test('...', async ({ run, supervisor }) => ...)`. */
export const test = base.extend<SysstubFixtures>({
  supervisor: async ({ signal }, use) => {
    const sup = new Supervisor();
    const onAbort = () => void sup.close();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await use(sup);
    } finally {
      signal.removeEventListener('abort', onAbort);
      await sup.close();
    }
  },
  run: async ({ signal }, use) => {
    // Ends every run of the test: when it times out (its signal), and when it
    // is over (a run it did not await must not outlive it).
    const ends = new AbortController();
    const onAbort = () => ends.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const runs: Promise<unknown>[] = [];
    try {
      await use((command, opts = {}) => {
        const own = opts.signal;
        // Not a signal: run() says so, before combining it fails in Node's words.
        if (own !== undefined && !(own instanceof AbortSignal)) return runUnder(command, opts);
        const p = runUnder(command, { ...opts, signal: own ? AbortSignal.any([ends.signal, own]) : ends.signal });
        runs.push(p.catch(() => {}));
        return p;
      });
    } finally {
      signal.removeEventListener('abort', onAbort);
      ends.abort(new Error('the test is over'));
      await Promise.all(runs);
    }
  },
});

export type { SupervisorOptions };
