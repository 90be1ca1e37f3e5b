// The CLI's strace-style expressions and trace output options: -e trace=,
// inject=, fault= (and --inject/--fault) parsed into what the Supervisor
// takes, and the Supervisor's trace events wired to strace-style output.
import fs from 'node:fs';
import { cliInteger, UsageError, type RunFlags } from './cli-flags.js';
import { wantsReport } from './cli-report.js';
import type { FaultRule } from './faults/expr.js';
import type { Supervisor as SupervisorT } from './supervisor.js';
import type { CaptureSpec, SyscallEvent } from './trace/events.js';

/** The strace-style decoders (lib/trace/decode.ts), when built; raw hex otherwise. */
interface Decoder {
  captureSpec(nr: number, o: { strsize: number }): CaptureSpec[];
  formatCall(c: { nr: number; args: readonly bigint[]; ret: bigint; mem: ReadonlyMap<string, Uint8Array | null> }, o: { strsize: number }): string;
}

export async function loadDecoder(): Promise<Decoder | undefined> {
  try {
    return (await import('./trace/decode.js')) as Decoder;
  } catch {
    return undefined;
  }
}

// strace parses -a and -s with string_to_uint: decimal, 0..INT_MAX.
export const traceAlign = (flags: RunFlags): number => (flags.columns === undefined ? 40 : cliInteger(flags.columns, { what: '-a', min: 0n, max: 2n ** 31n - 1n }));
/** strace's default -s. */
const DEFAULT_STRSIZE = 32;

export const traceStrsize = (flags: RunFlags): number => (flags.stringLimit === undefined ? DEFAULT_STRSIZE : cliInteger(flags.stringLimit, { what: '-s', min: 0n, max: 2n ** 31n - 1n }));

export function traceFormat(flags: RunFlags): 'text' | 'jsonl' {
  const format = flags.json ? 'jsonl' : (flags.format ?? 'text');
  if (format !== 'text' && format !== 'jsonl') throw new UsageError(`--format ${JSON.stringify(format)}: not a format (valid: text, jsonl)`);
  return format;
}

/**
 * strace traces every call unless told otherwise (its default set is `all`):
 * an option of the trace output without -e trace= means trace=all. (-f is not
 * one: sysstub always follows, and -f alone stays a plain run. Nor is --json
 * with --report: it is the report's format then.)
 */
function impliesTrace(flags: RunFlags): boolean {
  return flags.output !== undefined || flags.summaryOnly === true || flags.timestamps > 0 || flags.syscallTimes === true ||
    flags.format !== undefined || (flags.json === true && !wantsReport(flags)) || flags.stringLimit !== undefined || flags.columns !== undefined || flags.quiet > 0;
}

/** makedev(1, 3) as stat(2) reports it (new_encode_dev): the null device. */
const DEV_NULL_RDEV = 0x103;

/**
 * Whether the trace text would go nowhere: -o /dev/null, or stderr on
 * /dev/null without -o. Then no call is decoded and no tracee memory is
 * captured for it (the tracer's captures cost a process_vm_readv per
 * argument); the calls are still stopped at and reported, as strace does.
 */
export function traceDiscarded(flags: RunFlags): boolean {
  try {
    const st = flags.output !== undefined ? fs.statSync(flags.output) : fs.fstatSync(2);
    return st.isCharacterDevice() && st.rdev === DEV_NULL_RDEV;
  } catch {
    return false; // -o FILE not there yet: it is created, and written
  }
}

/** Whether trace lines need each call's decoded text: not for -c (counts only), nor for a discarded trace. */
export const traceNeedsText = (flags: RunFlags): boolean => flags.summaryOnly !== true && !traceDiscarded(flags);

/** Wire the supervisor's trace events to strace-style output (-o, -c, -t, -T, --format), when it traces. */
export async function traceOutput(sup: SupervisorT, flags: RunFlags, traced: boolean): Promise<(() => void) | undefined> {
  if (!traced) return undefined;
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
  if (!traceNeedsText(flags)) {
    // Only the -c table is written, or nothing is kept: no line is made.
    const out = new TraceOutput({ fd, format, timestamps: 0, durations: false, summary: true, formatCall: rawFormatter, align: 0, quiet: 2 });
    if (flags.summaryOnly) sup.on('syscall', (e: SyscallEvent) => out.syscall(e));
    return () => {
      if (flags.summaryOnly) out.finish();
      if (fd !== 2) fs.closeSync(fd);
    };
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


/**
 * -e trace=/inject=/fault=, --inject, --fault: the trace set (the last
 * -e trace=, else --trace, else 'all' when a trace output option asks for
 * one, as strace's default set is) and the rules for the faults module.
 */
export async function parseExpressions(flags: RunFlags): Promise<{ trace: string | undefined; rules: FaultRule[] }> {
  let trace = flags.trace;
  const { parseFaultExpr, ExprError } = await import('./faults/expr.js');
  const all: [string, 'inject' | 'fault'][] = [
    ...flags.inject.map((e) => [e, 'inject'] as [string, 'inject']),
    ...flags.fault.map((e) => [e, 'fault'] as [string, 'fault']),
  ];
  for (const e of flags.expr) {
    const m = /^(\w+)=(.*)$/s.exec(e);
    const q = m?.[1];
    if (q === 'inject' || q === 'fault') all.push([m![2], q]);
    else if (q === 'trace') trace = m![2];
    else if (q === 'abbrev' || q === 'verbose' || q === 'raw' || q === 'signal' || q === 'read' || q === 'write' || q === 'status' || q === 'quiet' || q === 'kvm' || q === 'decode-fds') {
      throw new UsageError(`-e ${q}=: not supported by sysstub yet (supported: trace=, inject=, fault=)`);
    } else throw new UsageError(`-e ${JSON.stringify(e)}: expected trace=SET, inject=SET:... or fault=SET:...`);
  }
  const rules = all.map(([e, kind]) => {
    try {
      return parseFaultExpr(e, kind);
    } catch (err) {
      if (err instanceof ExprError) throw new UsageError(`bad ${kind} expression: ${err.message}`);
      throw err;
    }
  });
  if (trace === undefined && impliesTrace(flags)) trace = 'all';
  return { trace, rules };
}
