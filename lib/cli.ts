// The `sysstub` command line. Transparent like strace: the target's stdio is
// untouched, sysstub talks only on stderr, exits with the target's code or
// dies of its signal. Exit codes: 2 usage, 125 sysstub's own failure,
// 126 program not executable, 127 program not found; `attach`: 0, or 1 when
// a process could not be attached.
import { Command, CommanderError, Option } from 'commander';
import os from 'node:os';
import { cliInteger, EXIT_INTERNAL, EXIT_NOT_EXECUTABLE, EXIT_NOT_FOUND, EXIT_USAGE, UsageError, type RunFlags } from './cli-flags.js';
import { loadDecoder, parseExpressions, traceNeedsText, traceAlign, traceFormat, traceOutput, traceStrsize } from './cli-expr.js';
import { containRejections, loadModuleRef } from './cli-modules.js';
import { attachedReportFile, reportOutput, wantsReport } from './cli-report.js';
import { BUILTIN_MODULES } from './modules/names.js';
import type { StubTable } from './stub-table.js';
import { strerror } from './errno.js';
import { MAX_SAFE } from './integers.js';
import { packageVersion } from './package-root.js';
import { inheritedSpawnOptions, rawArgvTail, rawEnviron, takeInherited, type Inherited } from './inherited.js';
import type { Supervisor as SupervisorT, SupervisorOptions } from './supervisor.js';

export { UsageError } from './cli-flags.js';
export { loadModuleRef } from './cli-modules.js';



function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

function parseTimeout(v: string | undefined): number | null | undefined {
  if (v === undefined) return undefined;
  if (v === 'none' || v === '0') return null;
  if (!/^\d+$/.test(v)) throw new UsageError(`--handler-timeout ${JSON.stringify(v)}: expected a decimal number of ms in 1..${Number.MAX_SAFE_INTEGER}, or "none"`);
  return cliInteger(v, { what: '--handler-timeout', min: 1n, max: MAX_SAFE });
}

/** The Supervisor the flags ask for, and whether it traces calls (trace output then). */
async function makeSupervisor(flags: RunFlags): Promise<{ sup: SupervisorT; traced: boolean }> {
  // Every option is checked before anything loads or runs, traced or not.
  const handlerTimeout = parseTimeout(flags.handlerTimeout);
  traceAlign(flags);
  traceStrsize(flags);
  traceFormat(flags);
  const modules = [];
  for (const ref of flags.module) modules.push(await loadModuleRef(ref));
  const { trace: traceSet, rules } = await parseExpressions(flags);
  if (rules.length) {
    const { faults } = await import('./modules/faults.js');
    modules.push(faults(rules, 'inject'));
  }
  const { Supervisor } = await import('./supervisor.js');
  try {
    if (flags.route !== undefined && flags.route !== 'auto' && flags.route !== 'ptrace') {
      throw new UsageError(`--route: "${flags.route}" is not a route (valid: auto, ptrace)`);
    }
    let trace: SupervisorOptions['trace'];
    if (traceSet !== undefined) {
      const { parseSyscallSet, ExprError } = await import('./faults/expr.js');
      let syscalls: number[];
      try {
        syscalls = parseSyscallSet(traceSet);
      } catch (err) {
        if (err instanceof ExprError) throw new UsageError(`bad trace set: ${err.message}`);
        throw err;
      }
      // What the trace text is decoded from: nothing when no text is made.
      const decode = traceNeedsText(flags) ? await loadDecoder() : undefined;
      const strsize = traceStrsize(flags);
      trace = { syscalls, capture: decode ? (nr) => decode.captureSpec(nr, { strsize }) : () => [] };
    }
    const sup = new Supervisor({
      trace,
      modules, stubs: flags.stub, handlerTimeout,
      route: flags.route as 'auto' | 'ptrace' | undefined,
      // Nothing loads later in the CLI: a plain error= rule can be the filter's own answer.
      sealConstants: flags.sealConstants ?? rules.length > 0,
      report: wantsReport(flags),
    });
    return { sup, traced: trace !== undefined };
  } catch (err) {
    if (err instanceof TypeError) throw new UsageError(err.message);
    throw err;
  }
}

/**
 * Signals sent to sysstub that are for the program (README "Signals"): every
 * one a user sends to stop or tell a process something. Not relayed: job
 * control (SIGTSTP/TTIN/TTOU stop sysstub with the program; SIGCONT), SIGCHLD,
 * SIGPIPE, SIGXCPU/SIGXFSZ, and the synchronous faults (SIGSEGV, SIGBUS,
 * SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS), which are sysstub's own.
 */
const RELAYED: number[] = [
  ...(['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT', 'SIGWINCH', 'SIGURG', 'SIGIO', 'SIGPWR', 'SIGPROF', 'SIGVTALRM'] as const)
    .map((s) => os.constants.signals[s]),
  ...Array.from({ length: 64 - 34 + 1 }, (_, i) => 34 + i), // SIGRTMIN..SIGRTMAX (glibc keeps 32 and 33)
];
/** Relayed signals whose default action is not to terminate. */
const HARMLESS = new Set([os.constants.signals.SIGWINCH, os.constants.signals.SIGURG]);

async function cmdRun(prog: string, args: string[], flags: RunFlags): Promise<number> {
  // The relayed signals are taken from Node before anything else (SIGUSR1
  // would open its inspector); what arrives meanwhile waits for the program.
  const { native: addon } = await import('./native.js');
  addon().holdSignals(RELAYED.reduce((m, n) => m | (1n << BigInt(n - 1)), 0n));
  const { sup, traced } = await makeSupervisor(flags);
  const finishTrace = await traceOutput(sup, flags, traced);
  const finishReport = reportOutput(sup, flags);
  const { native } = await import('./native.js');
  if (flags.verbose) {
    const slots = sup.table.wiredNumbers().map((nr) => `${nr}:${sup.slotRoute(nr)}`);
    process.stderr.write(`sysstub: modules: ${sup.table.modules().join(', ') || 'none'}; wired slots (number:route): ${slots.join(' ')}\n`);
    sup.on('route', (r: { pid: number; route: string; syncWakeup: boolean; killableWait: boolean; reason?: string }) => {
      const why = r.reason === 'EBUSY' ? 'the program already has a seccomp listener' : `the kernel has no user notification (${r.reason})`;
      const features = [r.syncWakeup && 'FD_SYNC_WAKE_UP', r.killableWait && 'WAIT_KILLABLE_RECV'].filter(Boolean).join(', ');
      const caveat = r.killableWait ? '' : '; this kernel (before 5.19) can drop an answer when a signal comes as it is sent';
      process.stderr.write(r.route === 'notif'
        ? `sysstub: pid ${r.pid}: handler slots on the user-notification route${features ? ` (${features})` : ''}${caveat}\n`
        : `sysstub: pid ${r.pid}: user notification unavailable: ${why}; every slot on the ptrace route\n`);
    });
  }
  // Signals sent to sysstub reach the program, exactly once (a terminal's
  // Ctrl-C, or a killpg, reached it already), relayed by the tracer thread so
  // that a blocked event loop cannot hold them up (native/signal_relay.h).
  // Installed before the spawn: one that arrives meanwhile is delivered as
  // soon as the program exists. One that finds no program left, or arrives
  // after the program exited while sysstub waits for what it left running,
  // ends sysstub as that signal would, once that is gone.
  let lateSignal: number | undefined;
  let child: ReturnType<typeof sup.spawn> | undefined;
  sup.relaySignals(RELAYED);
  const nobodyLeft = new Promise<void>((resolve) => {
    sup.on('relayed', (r: { signalNumber: number; delivered: number; targets: number }) => {
      if (HARMLESS.has(r.signalNumber)) return;
      if (r.targets === 0 || child?.exitResult) lateSignal ??= r.signalNumber;
      if (r.targets === 0) resolve();
    });
  });
  // The program gets sysstub's own arguments, environment, fds, dispositions
  // and mask, byte for byte (lib/inherited.ts).
  const [rawProg, ...rawArgs] = rawArgvTail(1 + args.length);
  child = sup.spawn(rawProg, rawArgs, { rawEnv: rawEnviron(), ...inheritedSpawnOptions(inherited) });

  let result;
  try {
    result = await child.exited;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const what = e.code === 'ENOENT' && !prog.includes('/') ? 'command not found' : strerror(-(e.errno ?? 0));
    process.stderr.write(`sysstub: ${prog}: ${what}\n`);
    await sup.close();
    finishReport?.();
    return e.code === 'ENOENT' ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE;
  }
  // Like strace -f: stay until every supervised process is gone, so that a
  // background child is not killed (PTRACE_O_EXITKILL) the moment its parent exits.
  if (sup.liveProcesses > 0) await Promise.race([new Promise((resolve) => sup.once('idle', resolve)), nobodyLeft]);
  await sup.close();
  finishTrace?.();
  finishReport?.();
  if (lateSignal !== undefined) {
    native().killSelfWith(lateSignal);
    return 128 + lateSignal;
  }
  if (result.signalNumber !== null) {
    native().killSelfWith(result.signalNumber);
    return 128 + result.signalNumber; // a signal Node's process does not die of
  }
  return result.exitCode ?? EXIT_INTERNAL;
}

/** sysstub attach PID... (and run -p PID): serve the processes until they exit or a signal says detach. */
async function cmdAttach(pidArgs: string[], flags: RunFlags & { attachRoute?: string }): Promise<number> {
  const pids = pidArgs.map((p) => {
    if (!/^\d+$/.test(p)) throw new UsageError(`PID ${JSON.stringify(p)}: expected a process id (a positive decimal number)`);
    return cliInteger(p, { what: 'PID', min: 1n, max: 4194304n }); // PID_MAX_LIMIT
  });
  if (pids.length === 0) throw new UsageError('attach: name at least one PID');
  const route = flags.attachRoute ?? 'auto';
  if (route !== 'auto' && route !== 'filter' && route !== 'syscall') {
    throw new UsageError(`--attach-route: "${route}" is not a route (valid: auto, filter, syscall)`);
  }
  const { sup, traced } = await makeSupervisor(flags);
  const finishTrace = await traceOutput(sup, flags, traced);
  const finishReport = reportOutput(sup, flags); // run -p --report: what the processes called while attached
  const { AttachError } = await import('./attach.js');
  const attached = [];
  for (const pid of pids) {
    try {
      const a = sup.attach(pid, { route });
      attached.push(a);
      if (flags.verbose) {
        const how = a.attachRoute === 'filter'
          ? 'an injected filter (it traps only ENOSYS slots: it stays, and changes nothing, after detach)'
          : `PTRACE_SYSCALL stops${a.filterError ? ` (the filter could not go in: ${a.filterError})` : ''}`;
        process.stderr.write(`sysstub: attached to ${a.pid} (${a.threads} threads${a.stoppedAtAttach ? ', stopped' : ''}): calls served by ${how}\n`);
      }
    } catch (err) {
      if (!(err instanceof AttachError) && !(err instanceof TypeError)) throw err;
      process.stderr.write(`sysstub: ${err.message}\n`);
      await sup.close(); // detaches those attached already
      finishTrace?.();
      finishReport?.();
      return 1;
    }
  }
  // As strace -p: SIGINT, SIGTERM (and SIGHUP, SIGQUIT) detach and end sysstub.
  const detachAll = () => void sup.detach();
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const) process.on(sig, detachAll);
  await Promise.all(attached.map(async (a) => {
    const how = await a.ended;
    process.stderr.write(how === 'detach' ? `sysstub: process ${a.pid} detached\n` : '');
  }));
  await sup.close();
  finishTrace?.();
  finishReport?.();
  return 0;
}

/** `sysstub table`'s flags: report is a saved report's file here. */
type TableFlags = Pick<RunFlags, 'module' | 'stub'> & { json?: boolean; wired?: boolean; report?: string };

async function cmdTable(flags: TableFlags): Promise<number> {
  // Only `table` needs these: `run` starts without them (README "Performance").
  const [{ callsBySlot, readReportFile }, { builtinSlots }, { StubTable }, { allSyscalls, syscallByNr }] = await Promise.all([
    import('./cli-report.js'), import('./modules/index.js'), import('./stub-table.js'), import('./syscalls/index.js'),
  ]);
  const modules = [];
  for (const ref of flags.module) modules.push(await loadModuleRef(ref));
  const calls = flags.report === undefined ? undefined : callsBySlot(readReportFile(flags.report));
  let table: StubTable;
  try {
    table = new StubTable({ stubs: flags.stub });
    for (const m of modules) table.load(m);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const builtin = builtinSlots();
  // A report's unassigned numbers get rows too.
  const slots = [...allSyscalls(), ...[...(calls?.keys() ?? [])].map((nr) => syscallByNr(nr)!)];
  let rows = table.rows(slots).map((r) => ({
    ...r, builtin: builtin.get(r.nr) ?? [], ...(calls ? { calls: calls.get(r.nr) ?? 0 } : {}),
  }));
  if (flags.wired) rows = rows.filter((r) => r.wired);
  if (calls) {
    // The to-do list first: called slots no module fills, most calls first; then the filled ones; then the rest by number.
    const rank = (r: (typeof rows)[number]) => (r.calls! === 0 ? 2 : r.modules.length + r.builtin.length === 0 ? 0 : 1);
    rows.sort((a, b) => rank(a) - rank(b) || b.calls! - a.calls! || a.nr - b.nr);
  }
  if (flags.json) {
    writeOut(JSON.stringify(rows, null, 2) + '\n');
    return 0;
  }
  const lines = [['NR', 'NAME', 'NATIVE', 'WIRED', 'MODULES', 'BUILTIN', ...(calls ? ['CALLS'] : [])]];
  for (const r of rows) {
    lines.push([String(r.nr), r.name, r.native === 'stub' ? 'ENOSYS' : r.native, r.wired ? 'yes' : '-', r.modules.join(',') || '-',
      r.builtin.join(',') || '-', ...(calls ? [String(r.calls)] : [])]);
  }
  const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  writeOut(lines.map((l) => l.map((c, i) => (i === l.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n') + '\n');
  return 0;
}

/**
 * sysstub's own stdout: help, --version, `table`. A reader that has gone
 * (`sysstub --help | head -1`: EPIPE, as Node ignores SIGPIPE) ends sysstub
 * quietly with the status it had, as SIGPIPE ends a C tool, not with a stack
 * trace. `run` never touches process.stdout: the fd is the program's, and a
 * Node stream on a pipe would make it non-blocking for the program too.
 */
let stdoutGuarded = false;
function writeOut(text: string): void {
  if (!stdoutGuarded) {
    stdoutGuarded = true;
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      process.exit();
    });
  }
  process.stdout.write(text);
}

/** --report: a flag to commander (cli-report.ts attachedReportFile), shown with its GNU optional FILE. */
function reportOption(): Option {
  const o = new Option('--report', 'at exit, list every stub or unassigned slot the program called, on stderr or into FILE; with --json, as JSON');
  o.flags = '--report[=FILE]';
  return o;
}

function buildProgram(): Command {
  const program = new Command();
  program
    .name('sysstub')
    .description('Run a program under ptrace + seccomp with its stub system calls routed to modules')
    .version(packageVersion, '-V, --version')
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: () => {}, writeOut });

  const slotOptions = (cmd: Command) =>
    cmd
      .option('-m, --module <name|path>', `load a module: built-in (${Object.keys(BUILTIN_MODULES).join(', ')}) or a .js/.mjs/.ts file (repeatable)`, collect, [])
      .option('--stub <name|nr>', 'wire one more slot: a syscall name or number, 0..1023 (repeatable)', collect, []);

  const runOptions = (cmd: Command) => slotOptions(cmd)
    .option('--handler-timeout <ms>', 'fail a handler call with ETIMEDOUT after this many ms, or "none" (default 10000)')
    .option('-e, --expr <qualifier=SET:...>', 'strace-style expression: trace=SET; inject=SET:error=E|retval=N[:signal=S][:delay_enter=T][:delay_exit=T][:when=EXPR][:path=GLOB][:fd=N][:argN=V][:argN&MASK][:nth=LIST][:set_argN=V]; or fault=SET[:error=E][:when=EXPR] (repeatable)', collect, [])
    .option('--inject <SET:...>', 'same as -e inject=SET:... (repeatable)', collect, [])
    .option('--trace <SET>', 'same as -e trace=SET: report these calls with their results, as strace does')
    .option('-o, --output <file>', 'write the trace to FILE instead of stderr')
    .option('-s, --string-limit <n>', 'print at most N bytes of strings (default 32)')
    .option('-c, --summary-only', 'count calls, errors and time per syscall; print a table at the end')
    .option('-t, --timestamps', 'prefix each line with the time (-tt: with microseconds)', (_v: string, prev: number) => prev + 1, 0)
    .option('-T, --syscall-times', 'show the time spent in each call')
    .option('--format <text|jsonl>', 'trace output format (default text)')
    .option('--json', 'same as --format jsonl')
    .option('-a, --columns <n>', 'align results at column N (default 40, 0 for none)')
    .option('-q, --quiet', '-qq: leave out the +++ exited +++ lines', (_v: string, prev: number) => prev + 1, 0)
    .option('-f, --follow-forks', 'accepted for strace compatibility: sysstub always follows every process and thread')
    .option('--fault <SET:...>', 'same as -e fault=SET:... (repeatable)', collect, [])
    .option('--route <auto|ptrace>', 'auto (default): stub slots via seccomp user notification, real calls via ptrace; ptrace: every slot via ptrace')
    .option('--seal-constants', 'compile constant-errno slots into the seccomp filter (no stop at all)')
    .option('-v, --verbose', 'report wiring and routes on stderr');
  const attachRoute = (cmd: Command) => cmd
    .option('--attach-route <auto|filter|syscall>', 'how an attached process\'s calls get here: auto (default), filter (an injected seccomp filter; stub and unassigned slots only), syscall (PTRACE_SYSCALL stops)');

  attachRoute(runOptions(
    program
      .command('run')
      .description('run PROG under the supervisor; exits with its status (with -p: attach to running processes instead)')
      .argument('[prog]', 'program to run (searched in PATH)')
      .argument('[args...]', 'its arguments')
      .passThroughOptions(),
  ))
    .addOption(reportOption())
    .addOption(new Option('--report-file <file>').hideHelp())
    .option('-p, --attach <pid>', 'attach to the running process PID instead of running PROG, as sysstub attach does (repeatable)', collect, [])
    .action(async (prog: string | undefined, args: string[], flags: RunFlags & { attach: string[]; attachRoute?: string }) => {
      containRejections(flags.module);
      if (flags.attach.length > 0) {
        if (prog !== undefined) throw new UsageError('give PROG or -p PID, not both');
        process.exit(await cmdAttach(flags.attach, flags));
      }
      if (prog === undefined) throw new UsageError('missing PROG: name a program to run (searched in PATH), or -p PID');
      if (prog === '') throw new UsageError('PROG is empty: name a program to run (searched in PATH)');
      // Exit now: a module's stray timer or handle must not keep sysstub alive after the target is gone.
      process.exit(await cmdRun(prog, args, flags));
    });

  attachRoute(runOptions(
    program
      .command('attach')
      .description('attach to running processes, serve their calls as run does, detach on SIGINT/SIGTERM (or when they exit)')
      .argument('<pid...>', 'process ids'),
  ))
    .action(async (pids: string[], flags: RunFlags & { attachRoute?: string }) => {
      containRejections(flags.module);
      process.exit(await cmdAttach(pids, flags));
    });

  slotOptions(
    program
      .command('table')
      .description('print the stub table: number, name, native status, wired, modules, built-in modules'),
  )
    .option('--json', 'print JSON rows')
    .option('--wired', 'only wired slots')
    .option('--report <file>', 'merge a saved report (run --report=FILE --json): calls per slot, the most-called unfilled slots first')
    .action(async (flags: TableFlags) => {
      process.exitCode = await cmdTable(flags);
    });

  program.addHelpText('after', `
Examples:
  sysstub run -m streams -- ./prog args    getpmsg/putpmsg work for ./prog
  sysstub run --stub 400 -m ./mod.mjs ./p  a module adds a brand-new call 400
  sysstub table --wired -m streams         which slots are wired and by whom
  sysstub run --report=r.json --json ./p   which stub and unassigned calls ./p makes
  sysstub table --report r.json            ... merged into the table, the most-called unfilled first
  sysstub attach -m streams 1234           serve process 1234 until Ctrl-C, then detach

Exit status: the program's own, or 128+N (sysstub dies of the same signal);
2 usage error, 125 sysstub failed, 126 not executable, 127 not found.
attach: 0 once every process is detached or has exited; 1 if one could not be attached.`);
  return program;
}

/**
 * The grammar, built ahead of the next main() (lib/snapshot.ts: at snapshot
 * build time, so that a start does not spend ~3 ms on commander's objects).
 * It holds parsed values once used, so each is used once.
 */
let prepared: Command | undefined;
export function prepareMain(): void {
  prepared = buildProgram();
}

/** What sysstub was started with (bin/sysstub.js); read once, before anything can look at process.env. */
let inherited: Inherited = { fds: null, ignored: 0n, blocked: 0n };

export async function main(argv: string[] = process.argv): Promise<void> {
  inherited = takeInherited();
  const program = prepared ?? buildProgram();
  prepared = undefined;
  if (argv.length <= 2) {
    process.stderr.write(`sysstub: missing command (${program.commands.map((c) => c.name()).join(', ')})\nTry 'sysstub --help'.\n`);
    process.exitCode = EXIT_USAGE;
    return;
  }
  try {
    await program.parseAsync(attachedReportFile(argv, program.commands.find((c) => c.name() === 'run')!));
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
        process.exitCode = 0;
        return;
      }
      process.stderr.write(`sysstub: ${err.message.replace(/^error: /, '')}\nTry 'sysstub --help'.\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`sysstub: ${err.message}\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    const e = err as NodeJS.ErrnoException;
    const hint = e.syscall === 'ptrace' ? ' (ptrace is not permitted here: Yama ptrace_scope, a container without CAP_SYS_PTRACE, or sysstub is itself being traced)' : '';
    process.stderr.write(`sysstub: ${e.message}${hint}\n`);
    process.exitCode = EXIT_INTERNAL;
  }
}
