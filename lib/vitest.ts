// sysstub/vitest: matchers on what run() returns (or a child's exit), and a
// test fixture whose supervisor and runs end with the test, even one that
// failed or timed out. `import 'sysstub/vitest'` registers the matchers;
// `import { test } from 'sysstub/vitest'` gives the fixture. vitest is an
// optional peer dependency of this subpath only.
import { expect, test as base } from 'vitest';
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
  /** The program was killed by `signal` ('SIGTERM'). */
  toHaveBeenKilledBy(signal: NodeJS.Signals): R;
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
  toHaveBeenKilledBy(received: unknown, signal: string) {
    const r = exitOf(received);
    if (!r) throw new TypeError('toHaveBeenKilledBy: expected what run() returned, or a child\'s exit result');
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
