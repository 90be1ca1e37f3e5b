// The `sysstub` command line. Transparent like strace: the target's stdio is
// untouched, sysstub talks only on stderr, exits with the target's code or
// dies of its signal. Exit codes: 2 usage, 125 sysstub's own failure,
// 126 program not executable, 127 program not found.
import { Command, CommanderError } from 'commander';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { safeText } from './call.js';
import { isModuleShaped, type Module, type ModuleDefinition } from './module.js';
import { builtinModules, loadBuiltinModule } from './modules/index.js';
import { StubTable } from './stub-table.js';
import { allSyscalls } from './syscalls/index.js';
import { strerror } from './errno.js';
import { IntegerError, MAX_SAFE, parseSafeInteger, type IntegerSpec } from './integers.js';
import { inheritedSpawnOptions, rawArgvTail, rawEnviron, takeInherited, type Inherited } from './inherited.js';
import type { Supervisor as SupervisorT, SupervisorOptions } from './supervisor.js';
import type { CaptureSpec, SyscallEvent } from './trace/events.js';

/** The strace-style decoders (lib/trace/decode.ts), when built; raw hex otherwise. */
interface Decoder {
  captureSpec(nr: number, o: { strsize: number }): CaptureSpec[];
  formatCall(c: { nr: number; args: readonly bigint[]; ret: bigint; mem: ReadonlyMap<string, Uint8Array | null> }, o: { strsize: number }): string;
}

async function loadDecoder(): Promise<Decoder | undefined> {
  try {
    return (await import('./trace/decode.js')) as Decoder;
  } catch {
    return undefined;
  }
}

/** A CLI number through the one strict parser (lib/integers.ts); its error is a usage error. */
function cliInteger(text: string, spec: IntegerSpec): number {
  try {
    return parseSafeInteger(text, spec);
  } catch (err) {
    if (err instanceof IntegerError) throw new UsageError(err.message);
    throw err;
  }
}

// strace parses -a and -s with string_to_uint: decimal, 0..INT_MAX.
const traceAlign = (flags: RunFlags): number => (flags.columns === undefined ? 40 : cliInteger(flags.columns, { what: '-a', min: 0n, max: 2n ** 31n - 1n }));
const traceStrsize = (flags: RunFlags): number => (flags.stringLimit === undefined ? 32 : cliInteger(flags.stringLimit, { what: '-s', min: 0n, max: 2n ** 31n - 1n }));

function traceFormat(flags: RunFlags): 'text' | 'jsonl' {
  const format = flags.json ? 'jsonl' : (flags.format ?? 'text');
  if (format !== 'text' && format !== 'jsonl') throw new UsageError(`--format ${JSON.stringify(format)}: not a format (valid: text, jsonl)`);
  return format;
}

/**
 * strace traces every call unless told otherwise (its default set is `all`):
 * an option of the trace output without -e trace= means trace=all. (-f is not
 * one: sysstub always follows, and -f alone stays a plain run.)
 */
function impliesTrace(flags: RunFlags): boolean {
  return flags.output !== undefined || flags.summaryOnly === true || flags.timestamps > 0 || flags.syscallTimes === true ||
    flags.format !== undefined || flags.json === true || flags.stringLimit !== undefined || flags.columns !== undefined || flags.quiet > 0;
}

/** Wire the supervisor's trace events to strace-style output (-o, -c, -t, -T, --format). */
async function traceOutput(sup: SupervisorT, flags: RunFlags): Promise<(() => void) | undefined> {
  if (flags.trace === undefined) return undefined;
  const { TraceOutput, rawFormatter } = await import('./trace/output.js');
  const format = traceFormat(flags);
  let fd = 2;
  if (flags.output !== undefined) {
    try {
      fd = fs.openSync(flags.output, 'w');
    } catch (err) {
      throw new UsageError(`-o ${flags.output}: ${(err as Error).message}`);
    }
  }
  const decode = await loadDecoder();
  const strsize = traceStrsize(flags);
  const formatCall = decode
    ? (e: SyscallEvent) => {
        const text = decode.formatCall({ nr: e.nr, args: e.args, ret: e.ret ?? 0n, mem: e.mem }, { strsize });
        return e.ret === null ? text.replace(/ = [^=]*$/, ' = ?') : text;
      }
    : rawFormatter;
  const out = new TraceOutput({
    fd, format, timestamps: Math.min(flags.timestamps, 2) as 0 | 1 | 2, durations: flags.syscallTimes ?? false,
    summary: flags.summaryOnly ?? false, formatCall, align: traceAlign(flags), quiet: flags.quiet,
  });
  sup.on('syscall', (e: SyscallEvent) => out.syscall(e));
  sup.on('signal', (s: { pid: number; tid: number; signal: string | number; siginfo?: Uint8Array }) => out.signal(s.pid, s.tid, String(s.signal), s.siginfo));
  sup.on('processExit', (x: { pid: number; code: number | null; signal: string | null }) => out.exit(x.pid, x.code, x.signal));
  return () => {
    out.finish();
    if (fd !== 2) fs.closeSync(fd);
  };
}

const VERSION = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version as string;

/** A usage error: one line on stderr, exit 2. */
export class UsageError extends Error {}

// The exit codes of env(1), nohup(1), timeout(1) and the shells.
const EXIT_USAGE = 2;
const EXIT_INTERNAL = 125;
const EXIT_NOT_EXECUTABLE = 126;
const EXIT_NOT_FOUND = 127;

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/** -m NAME|PATH: a built-in module, or a .js/.mjs/.ts file whose default export is a module. */
export async function loadModuleRef(ref: string): Promise<Module | ModuleDefinition> {
  const builtin = loadBuiltinModule(ref);
  if (builtin) return builtin;
  const looksLikePath = ref.includes('/') || /\.(m?js|ts|mts)$/.test(ref);
  if (!looksLikePath) {
    throw new UsageError(`unknown module "${ref}" (built-in: ${Object.keys(builtinModules).join(', ')}; or a path to a .js/.mjs/.ts file)`);
  }
  const file = path.resolve(ref);
  if (!fs.existsSync(file)) throw new UsageError(`module file ${ref} not found`);
  let mod: unknown;
  try {
    const ns: Record<string, unknown> = /\.m?ts$/.test(file) ? await importTypeScript(file) : await import(pathToFileURL(file).href);
    mod = ns.default ?? ns.module;
    // A factory (sync or async) runs here, so that its throw names the file too.
    if (typeof mod === 'function') mod = await (mod as () => unknown)();
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const e = err as Error;
    throw new UsageError(`cannot load module ${ref}: ${e?.name ?? 'Error'}: ${String(e?.message ?? e).split('\n')[0]}`);
  }
  if (!isModuleShaped(mod)) {
    throw new UsageError(`module file ${ref} must default-export a module: defineModule({ name, syscalls }) or a plain object of that shape`);
  }
  // Check its handlers and keys now (a scratch table), so that the error names the file.
  try {
    new StubTable().load(mod);
  } catch (err) {
    throw new UsageError(`module file ${ref}: ${(err as Error).message}`);
  }
  return mod;
}

/** .ts modules are transpiled with the `typescript` package, when it is installed (types are not checked). */
async function importTypeScript(file: string): Promise<Record<string, unknown>> {
  let ts: typeof import('typescript');
  try {
    ts = (await import('typescript')).default;
  } catch {
    throw new UsageError(`loading ${path.basename(file)} needs the "typescript" package (npm i -D typescript), or compile it to .js`);
  }
  const out = ts.transpileModule(fs.readFileSync(file, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    fileName: file,
  }).outputText;
  // A sibling file, so that its relative and package imports resolve as the .ts would.
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.sysstub.mjs`);
  fs.writeFileSync(tmp, out);
  try {
    return await import(pathToFileURL(tmp).href);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

interface RunFlags {
  module: string[];
  stub: string[];
  handlerTimeout?: string;
  verbose?: boolean;
  route?: string;
  sealConstants?: boolean;
  expr: string[];
  inject: string[];
  fault: string[];
  trace?: string;
  output?: string;
  stringLimit?: string;
  summaryOnly?: boolean;
  timestamps: number;
  syscallTimes?: boolean;
  format?: string;
  json?: boolean;
  columns?: string;
  quiet: number;
}

/** -e inject=... / -e fault=... / --inject / --fault: the faults module, on top of every other. */
async function faultRules(flags: RunFlags): Promise<import('./faults/expr.js').FaultRule[]> {
  const { parseFaultExpr, ExprError } = await import('./faults/expr.js');
  const all: [string, 'inject' | 'fault'][] = [
    ...flags.inject.map((e) => [e, 'inject'] as [string, 'inject']),
    ...flags.fault.map((e) => [e, 'fault'] as [string, 'fault']),
  ];
  for (const e of flags.expr) {
    const m = /^(\w+)=(.*)$/s.exec(e);
    const q = m?.[1];
    if (q === 'inject' || q === 'fault') all.push([m![2], q]);
    else if (q === 'trace') flags.trace = m![2];
    else if (q === 'abbrev' || q === 'verbose' || q === 'raw' || q === 'signal' || q === 'read' || q === 'write' || q === 'status' || q === 'quiet' || q === 'kvm' || q === 'decode-fds') {
      throw new UsageError(`-e ${q}=: not supported by sysstub yet (supported: trace=, inject=, fault=)`);
    } else throw new UsageError(`-e ${JSON.stringify(e)}: expected trace=SET, inject=SET:... or fault=SET:...`);
  }
  return all.map(([e, kind]) => {
    try {
      return parseFaultExpr(e, kind);
    } catch (err) {
      if (err instanceof ExprError) throw new UsageError(`bad ${kind} expression: ${err.message}`);
      throw err;
    }
  });
}

function parseTimeout(v: string | undefined): number | null | undefined {
  if (v === undefined) return undefined;
  if (v === 'none' || v === '0') return null;
  if (!/^\d+$/.test(v)) throw new UsageError(`--handler-timeout ${JSON.stringify(v)}: expected a decimal number of ms in 1..${Number.MAX_SAFE_INTEGER}, or "none"`);
  return cliInteger(v, { what: '--handler-timeout', min: 1n, max: MAX_SAFE });
}

async function makeSupervisor(flags: RunFlags): Promise<SupervisorT> {
  // Every option is checked before anything loads or runs, traced or not.
  const handlerTimeout = parseTimeout(flags.handlerTimeout);
  traceAlign(flags);
  traceStrsize(flags);
  traceFormat(flags);
  const modules = [];
  for (const ref of flags.module) modules.push(await loadModuleRef(ref));
  const rules = await faultRules(flags);
  if (flags.trace === undefined && impliesTrace(flags)) flags.trace = 'all';
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
    if (flags.trace !== undefined) {
      const { parseSyscallSet, ExprError } = await import('./faults/expr.js');
      let syscalls: number[];
      try {
        syscalls = parseSyscallSet(flags.trace);
      } catch (err) {
        if (err instanceof ExprError) throw new UsageError(`bad trace set: ${err.message}`);
        throw err;
      }
      const decode = await loadDecoder();
      const strsize = traceStrsize(flags);
      trace = { syscalls, capture: decode ? (nr) => decode.captureSpec(nr, { strsize }) : () => [] };
    }
    return new Supervisor({
      trace,
      modules, stubs: flags.stub, handlerTimeout,
      route: flags.route as 'auto' | 'ptrace' | undefined,
      // Nothing loads later in the CLI: a plain error= rule can be the filter's own answer.
      sealConstants: flags.sealConstants ?? rules.length > 0,
    });
  } catch (err) {
    if (err instanceof TypeError) throw new UsageError(err.message);
    throw err;
  }
}

/**
 * A promise a module's code rejects and never awaits (`Promise.reject()` in a
 * handler) would end Node, and with it sysstub and the traced program. It is
 * a handler failure like the others: one line on stderr, named after the
 * module file its stack points into when it has one, and the program goes on.
 */
function containRejections(refs: readonly string[]): void {
  const files = refs.filter((r) => !loadBuiltinModule(r)).map((ref) => ({ ref, file: path.resolve(ref) }));
  process.on('unhandledRejection', (reason) => {
    const e = reason as Error | undefined;
    const isError = e instanceof Error;
    const text = safeText(() => (isError ? `${e.name}: ${String(e.message).split('\n')[0]}` : String(reason).split('\n')[0]));
    const stack = safeText(() => (isError && typeof e.stack === 'string' ? e.stack : '')).split('\n');
    for (const { ref, file } of files) {
      // A .ts module runs from a transpiled sibling, .<name>.<pid>.sysstub.mjs.
      const marks = [pathToFileURL(file).href, file, path.join(path.dirname(file), `.${path.basename(file)}.`)];
      const frame = stack.find((l) => /^\s+at /.test(l) && marks.some((m) => l.includes(m)));
      if (frame === undefined) continue;
      const where = /:(\d+):(\d+)\)?$/.exec(frame);
      process.stderr.write(`sysstub: module ${ref}: unhandled promise rejection: ${text}${where ? ` (${path.basename(file)}:${where[1]}:${where[2]})` : ''}; the program goes on\n`);
      return;
    }
    process.stderr.write(`sysstub: unhandled promise rejection: ${text}; the program goes on\n`);
  });
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
  const sup = await makeSupervisor(flags);
  const finishTrace = await traceOutput(sup, flags);
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
    return e.code === 'ENOENT' ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE;
  }
  // Like strace -f: stay until every traced process is gone, so that a
  // background child is not killed (PTRACE_O_EXITKILL) the moment its parent exits.
  if (sup.liveProcesses > 0) await Promise.race([new Promise((resolve) => sup.once('idle', resolve)), nobodyLeft]);
  await sup.close();
  finishTrace?.();
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

async function cmdTable(flags: RunFlags & { json?: boolean; wired?: boolean }): Promise<number> {
  const modules = [];
  for (const ref of flags.module) modules.push(await loadModuleRef(ref));
  let table: StubTable;
  try {
    table = new StubTable({ stubs: flags.stub });
    for (const m of modules) table.load(m);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  let rows = table.rows(allSyscalls());
  if (flags.wired) rows = rows.filter((r) => r.wired);
  if (flags.json) {
    process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    return 0;
  }
  const lines = [['NR', 'NAME', 'NATIVE', 'WIRED', 'MODULES']];
  for (const r of rows) {
    lines.push([String(r.nr), r.name, r.native === 'stub' ? 'ENOSYS' : r.native, r.wired ? 'yes' : '-', r.modules.join(',') || '-']);
  }
  const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  process.stdout.write(lines.map((l) => l.map((c, i) => (i === l.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n') + '\n');
  return 0;
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('sysstub')
    .description('Run a program under ptrace + seccomp with its stub system calls routed to modules')
    .version(VERSION, '-V, --version')
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: () => {} });

  const slotOptions = (cmd: Command) =>
    cmd
      .option('-m, --module <name|path>', `load a module: built-in (${Object.keys(builtinModules).join(', ')}) or a .js/.mjs/.ts file (repeatable)`, collect, [])
      .option('--stub <name|nr>', 'wire one more slot: a syscall name or number, 0..1023 (repeatable)', collect, []);

  slotOptions(
    program
      .command('run')
      .description('run PROG under the supervisor; exits with its status')
      .argument('<prog>', 'program to run (searched in PATH)')
      .argument('[args...]', 'its arguments')
      .passThroughOptions(),
  )
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
    .option('-v, --verbose', 'report wiring and routes on stderr')
    .action(async (prog: string, args: string[], flags: RunFlags) => {
      if (prog === '') throw new UsageError('PROG is empty: name a program to run (searched in PATH)');
      containRejections(flags.module);
      // Exit now: a module's stray timer or handle must not keep sysstub alive after the target is gone.
      process.exit(await cmdRun(prog, args, flags));
    });

  slotOptions(
    program
      .command('table')
      .description('print the stub table: number, name, native status, wired, modules'),
  )
    .option('--json', 'print JSON rows')
    .option('--wired', 'only wired slots')
    .action(async (flags: RunFlags & { json?: boolean; wired?: boolean }) => {
      process.exitCode = await cmdTable(flags);
    });

  program.addHelpText('after', `
Examples:
  sysstub run -m streams -- ./prog args    getpmsg/putpmsg work for ./prog
  sysstub run --stub 400 -m ./mod.mjs ./p  a module adds a brand-new call 400
  sysstub table --wired -m streams         which slots are wired and by whom

Exit status: the program's own, or 128+N (sysstub dies of the same signal);
2 usage error, 125 sysstub failed, 126 not executable, 127 not found.`);
  return program;
}

/** What sysstub was started with (bin/sysstub.js); read once, before anything can look at process.env. */
let inherited: Inherited = { fds: null, ignored: 0n, blocked: 0n };

export async function main(argv: string[] = process.argv): Promise<void> {
  inherited = takeInherited();
  const program = buildProgram();
  if (argv.length <= 2) {
    process.stderr.write(`sysstub: missing command (${program.commands.map((c) => c.name()).join(', ')})\nTry 'sysstub --help'.\n`);
    process.exitCode = EXIT_USAGE;
    return;
  }
  try {
    await program.parseAsync(argv);
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
