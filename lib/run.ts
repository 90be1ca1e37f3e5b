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
  /** Kill the program (SIGKILL) after this many ms. */
  timeout?: number;
}

export interface RunResult extends ExitResult {
  stdout: string;
  stderr: string;
  /** Handler failures reported during the run. */
  handlerErrors: HandlerReport[];
  /** Every traced call (with the trace option), in the order they finished. */
  syscalls: SyscallEvent[];
  timedOut: boolean;
}

/** Run argv[0] with argv[1..] under sysstub and collect everything. */
export async function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  if (!Array.isArray(argv) || argv.length === 0) throw new TypeError('run: argv must be a non-empty array of strings');
  const { cwd, env, input, timeout, ...supOpts } = opts;
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
  let timedOut = false;
  const timer = timeout ? setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeout) : undefined;
  try {
    const result = await child.closed;
    return { ...result, stdout, stderr, handlerErrors, syscalls, timedOut };
  } finally {
    if (timer) clearTimeout(timer);
    await sup.close();
  }
}
