// run(): the one-call form for test harnesses: spawn under a fresh supervisor,
// collect output, resolve with the exit status.
import { Supervisor, type SupervisorOptions, type ExitResult, type SpawnOptions } from './supervisor.js';
import type { HandlerReport } from './call.js';
import type { SyscallEvent } from './trace/events.js';

export interface RunOptions extends SupervisorOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Written to the program's stdin, which is then closed. Default: empty stdin. */
  input?: string | Uint8Array;
  /** Kill the program and everything it started (SIGKILL) after this many ms. */
  timeout?: number;
  /** Aborting kills the program and everything it started (SIGKILL); the result has `aborted: true`. */
  signal?: AbortSignal;
}

export interface RunResult extends ExitResult {
  stdout: string;
  stderr: string;
  /** Handler failures reported during the run. */
  handlerErrors: HandlerReport[];
  /** Every traced call (with the trace option), in the order they finished. */
  syscalls: SyscallEvent[];
  timedOut: boolean;
  aborted: boolean;
}

/** Run argv[0] with argv[1..] under sysstub and collect everything. */
export async function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  if (!Array.isArray(argv) || argv.length === 0) throw new TypeError('run: argv must be a non-empty array of strings');
  const { cwd, env, input, timeout, signal, ...supOpts } = opts;
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout > 0 && timeout <= 0x7fffffff)) {
    throw new RangeError(`run: timeout must be a whole number of ms, 1..2147483647, got ${String(timeout)}`);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError('run: signal must be an AbortSignal');
  const sup = new Supervisor(supOpts);
  const handlerErrors: HandlerReport[] = [];
  sup.on('handlerError', (r: HandlerReport) => handlerErrors.push(r));
  const syscalls: SyscallEvent[] = [];
  sup.on('syscall', (e: SyscallEvent) => syscalls.push(e));
  const spawnOpts: SpawnOptions = { stdio: 'pipe' };
  if (cwd !== undefined) spawnOpts.cwd = cwd;
  if (env !== undefined) spawnOpts.env = env;
  const child = sup.spawn(argv[0], argv.slice(1), spawnOpts);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin?.on('error', () => {});
  child.stdin?.end(input ?? '');
  // A timeout or an abort ends the whole tree, not just the program: close()
  // kills and reaps every supervised process, so that pipes a grandchild holds
  // close too and `closed` settles.
  let timedOut = false;
  let aborted = false;
  const timer = timeout ? setTimeout(() => { timedOut = true; void sup.close(); }, timeout) : undefined;
  const onAbort = () => { aborted = true; void sup.close(); };
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const result = await child.closed;
    return { ...result, stdout, stderr, handlerErrors, syscalls, timedOut, aborted };
  } finally {
    if (timer) clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    await sup.close();
  }
}
