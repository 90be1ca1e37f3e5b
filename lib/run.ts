// run(): the one-call form for test harnesses, in the shape of execa and
// child_process: spawn under a fresh supervisor, collect output and calls,
// resolve with how the program ended (a non-zero exit or a death by signal is
// a result, not an error). It rejects only when supervision itself fails, or
// the program cannot be executed (SpawnError, as child_process reports it).
import os from 'node:os';
import type { HandlerReport } from './call.js';
import type { StdioOption } from './child.js';
import type { FaultRule } from './faults/expr.js';
import type { Module, ModuleDefinition } from './module.js';
import { signalNumber } from './signals.js';
import { Supervisor, type ExitResult, type SpawnOptions, type SupervisorOptions } from './supervisor.js';
import type { SyscallName } from './syscalls/table.js';
import type { StubReport } from './stub-report.js';
import type { SyscallEvent } from './trace/events.js';
import type { SyscallRecord } from './trace/record.js';

/** How run() returns the program's output: text (UTF-8) or the bytes as written. */
export type RunEncoding = 'utf8' | 'buffer';
type Output<E extends RunEncoding> = E extends 'buffer' ? Buffer : string;

export interface RunOptions<E extends RunEncoding = 'utf8'> {
  modules?: readonly (Module | ModuleDefinition)[];
  stubs?: SupervisorOptions['stubs'];
  handlerTimeout?: SupervisorOptions['handlerTimeout'];
  route?: SupervisorOptions['route'];
  sealConstants?: SupervisorOptions['sealConstants'];
  /**
   * Faults, as on the CLI: a strace expression (`'openat:error=EACCES:when=3'`,
   * the part after `-e inject=`), a parsed rule (parseFaultExpr), or a list of them.
   * faults() modules go in `modules`.
   */
  inject?: string | FaultRule | readonly (string | FaultRule)[];
  /**
   * Record these calls in `syscalls`: a strace SET (`'openat,read'`, `'%file'`,
   * `'all'`), numbers, or the Supervisor's full form. With a SET or numbers,
   * paths and strings are captured as the decoders need them.
   */
  trace?: string | readonly (number | SyscallName)[] | SupervisorOptions['trace'];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** As child_process's (default 'pipe'); stdout/stderr not piped are empty in the result. */
  stdio?: StdioOption | readonly (StdioOption | null | undefined)[];
  /** Written to the program's stdin, which is then closed. Default: empty stdin. */
  input?: string | Uint8Array;
  /** 'utf8' (default): stdout, stderr and all are strings; 'buffer': Buffers, byte for byte. */
  encoding?: E;
  /** Kill the program and everything it started after this many ms (`timedOut: true`). */
  timeout?: number;
  /** The signal a timeout or an abort sends to every process of the tree (default SIGKILL); SIGKILL follows 5 s later. */
  killSignal?: NodeJS.Signals | number;
  /** Aborting kills the program and everything it started (`isCanceled: true`). */
  signal?: AbortSignal;
  /**
   * Count every call on a stub or unassigned slot (`report` in the result, README
   * "The stub report"); the program gets the same answers as without it.
   */
  report?: boolean;
}

export interface RunResult<E extends RunEncoding = 'utf8'> extends ExitResult {
  stdout: Output<E>;
  stderr: Output<E>;
  /** stdout and stderr interleaved as they arrived (both piped). */
  all: Output<E>;
  /** The command as given, for messages. */
  command: string;
  durationMs: number;
  timedOut: boolean;
  isCanceled: boolean;
  /** Anything but a zero exit: a non-zero code, a signal, a timeout or an abort. */
  failed: boolean;
  /** The traced calls (the trace option), in the order they finished. */
  syscalls: SyscallRecord[];
  /** Handler failures reported during the run. */
  handlerErrors: HandlerReport[];
  /** The stub report (option report), or undefined without one. */
  report?: StubReport;
}

/** Grace a non-SIGKILL killSignal gets before SIGKILL (execa's forceKillAfterDelay). */
const FORCE_KILL_MS = 5000;

/** `'ls -l /tmp'` as argv: split on spaces, `\ ` keeps one. Not a shell: use ['sh', '-c', ...] for that. */
function splitCommand(command: string): string[] {
  const argv: string[] = [];
  let cur = '';
  let any = false;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i];
    if (ch === '\\' && command[i + 1] === ' ') {
      cur += ' ';
      any = true;
      i++;
    } else if (ch === ' ' || ch === '\t' || ch === '\n') {
      if (any) argv.push(cur);
      cur = '';
      any = false;
    } else {
      cur += ch;
      any = true;
    }
  }
  if (any) argv.push(cur);
  return argv;
}

const quoteArg = (a: string): string => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`);

async function injectRules(inject: NonNullable<RunOptions['inject']>): Promise<FaultRule[]> {
  const list = (Array.isArray(inject) ? inject : [inject]) as readonly (string | FaultRule)[];
  const { parseFaultExpr } = await import('./faults/expr.js');
  return list.map((r, i) => {
    if (typeof r === 'string') return parseFaultExpr(r.replace(/^inject=/, ''), 'inject');
    if (r && typeof r === 'object' && Array.isArray((r as FaultRule).nrs)) return r as FaultRule;
    throw new TypeError(`run: inject[${i}] must be a strace expression string or a rule from parseFaultExpr, got ${String(r)}`);
  });
}

async function traceOption(trace: NonNullable<RunOptions['trace']>): Promise<SupervisorOptions['trace']> {
  if (typeof trace === 'object' && !Array.isArray(trace)) return trace as SupervisorOptions['trace'];
  const { captureSpec } = await import('./trace/decode.js');
  // A list of names and numbers is a SET too ('openat,257').
  const syscalls = Array.isArray(trace) ? trace.join(',') : (trace as string);
  // Paths whole (the decoders take PATH_MAX); other strings and buffers to 4 KiB.
  return { syscalls, capture: (nr) => captureSpec(nr, { strsize: 4096 }) };
}

function checkOptions(opts: RunOptions<RunEncoding>): void {
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw new TypeError(`run: options must be an object, got ${opts === null ? 'null' : typeof opts}`);
  const known = new Set(['modules', 'stubs', 'handlerTimeout', 'route', 'sealConstants', 'inject', 'trace', 'cwd', 'env', 'stdio', 'input', 'encoding', 'timeout', 'killSignal', 'signal', 'report']);
  for (const k of Object.keys(opts)) {
    if (!known.has(k)) throw new TypeError(`run: unknown option "${k}" (valid: ${[...known].join(', ')})`);
  }
  const { timeout, signal, encoding, killSignal } = opts;
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout > 0 && timeout <= 0x7fffffff)) {
    throw new RangeError(`run: timeout must be a whole number of ms, 1..2147483647, got ${String(timeout)}`);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('run: signal must be an AbortSignal');
  if (encoding !== undefined && encoding !== 'utf8' && encoding !== 'buffer') {
    throw new TypeError(`run: encoding must be 'utf8' or 'buffer', got ${JSON.stringify(encoding)}`);
  }
  if (killSignal !== undefined) signalNumber(killSignal, 'run: killSignal');
  const { input, env, trace } = opts;
  if (input !== undefined && typeof input !== 'string' && !(input instanceof Uint8Array)) throw new TypeError(`run: input must be a string or a Uint8Array, got ${typeof input}`);
  if (env !== undefined && (env === null || typeof env !== 'object')) throw new TypeError('run: env must be an object of NAME: value strings');
  if (trace !== undefined && typeof trace !== 'string' && !Array.isArray(trace) && (trace === null || typeof trace !== 'object')) {
    throw new TypeError("run: trace must be a strace SET ('openat,read', '%file'), a list of names or numbers, or { syscalls, capture? }");
  }
  if (opts.inject !== undefined && opts.modules?.some((m) => m?.name === 'inject')) {
    throw new TypeError('run: a module is named "inject", the name the inject option\'s rules take; rename the module');
  }
}

/**
 * Run a command under sysstub and collect everything: `run(['cat', file])`,
 * or `run('cat /etc/hostname')` (split on spaces, no shell).
 */
export async function run<E extends RunEncoding = 'utf8'>(command: string | readonly string[], opts: RunOptions<E> = {}): Promise<RunResult<E>> {
  const argv = typeof command === 'string' ? splitCommand(command) : command;
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === 'string')) {
    throw new TypeError('run: command must be a non-empty string or array of strings ([file, ...args])');
  }
  checkOptions(opts);
  const { modules = [], inject, trace, cwd, env, stdio = 'pipe', input, encoding = 'utf8', timeout, killSignal = 'SIGKILL', signal, ...supOpts } = opts;
  const rules = inject === undefined ? [] : await injectRules(inject);
  const all = [...modules];
  if (rules.length) all.push((await import('./modules/faults.js')).faults(rules, 'inject'));
  const t0 = performance.now();
  const sup = new Supervisor({
    ...supOpts,
    kernelStubs: false,
    modules: all,
    // As on the CLI: injected constants sealed into the filter unless said otherwise.
    sealConstants: supOpts.sealConstants ?? rules.length > 0,
    ...(trace === undefined ? {} : { trace: await traceOption(trace) }),
  });
  const handlerErrors: HandlerReport[] = [];
  sup.on('handlerError', (r: HandlerReport) => handlerErrors.push(r));
  const events: SyscallEvent[] = [];
  sup.on('syscall', (e: SyscallEvent) => events.push(e));
  const spawnOpts: SpawnOptions = { stdio };
  if (cwd !== undefined) spawnOpts.cwd = cwd;
  if (env !== undefined) spawnOpts.env = env;
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const both: Buffer[] = [];
  let timedOut = false;
  let isCanceled = false;
  let forceTimer: NodeJS.Timeout | undefined;
  // A timeout or an abort ends the whole tree, not just the program: close()
  // kills and reaps every supervised process, so that pipes a grandchild holds
  // close too and `closed` settles before the promise does.
  const killsAtOnce = signalNumber(killSignal, 'run: killSignal') === os.constants.signals.SIGKILL;
  const end = () => {
    if (killsAtOnce) return void sup.close();
    for (const pid of sup.tree.processes.keys()) {
      try {
        process.kill(pid, killSignal);
      } catch {
        // gone already
      }
    }
    forceTimer ??= setTimeout(() => void sup.close(), FORCE_KILL_MS);
  };
  const onAbort = () => {
    isCanceled = true;
    end();
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    const child = sup.spawn(argv[0], argv.slice(1), spawnOpts);
    child.stdout?.on('data', (d: Buffer) => (out.push(d), both.push(d)));
    child.stderr?.on('data', (d: Buffer) => (err.push(d), both.push(d)));
    child.stdin?.on('error', () => {});
    child.stdin?.end(input ?? '');
    if (timeout) {
      timer = setTimeout(() => {
        timedOut = true;
        end();
      }, timeout);
    }
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    const result = await child.closed;
    // The decoders load only for a run that traced something.
    const syscalls = events.length === 0 ? [] : events.map((await import('./trace/record.js')).toRecord);
    const show = (chunks: Buffer[]) => {
      const b = Buffer.concat(chunks);
      return (encoding === 'buffer' ? b : b.toString('utf8')) as Output<E>;
    };
    return {
      ...result,
      stdout: show(out), stderr: show(err), all: show(both),
      command: argv.map(quoteArg).join(' '),
      durationMs: performance.now() - t0,
      timedOut, isCanceled,
      failed: result.exitCode !== 0 || timedOut || isCanceled,
      syscalls,
      handlerErrors,
      ...(supOpts.report ? { report: sup.stubReport() } : {}),
    };
  } finally {
    clearTimeout(timer);
    clearTimeout(forceTimer);
    signal?.removeEventListener('abort', onAbort);
    await sup.close();
  }
}
