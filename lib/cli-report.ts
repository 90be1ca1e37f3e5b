// The CLI's stub report (README "The stub report"): `run --report[=FILE]`
// writes it at exit, as text or (--json) JSON; `table --report FILE` merges a
// saved one. And the GNU spelling of --report's optional FILE.
import type { Command } from 'commander';
import fs from 'node:fs';
import { UsageError, type RunFlags } from './cli-flags.js';
import { formatStubReport, parseStubReport, StubReportError, type StubReport } from './stub-report.js';
import type { Supervisor as SupervisorT } from './supervisor.js';

/** A stub report was asked for: --report or --report=FILE. */
export function wantsReport(flags: RunFlags): boolean {
  return flags.report === true || flags.reportFile !== undefined;
}

/**
 * GNU getopt's optional argument, which commander does not have: FILE only
 * attached (`--report=FILE`), so that `run --report prog` runs prog instead of
 * writing the report over it. --report is a flag, and its attached form
 * becomes the hidden --report-file, in the options before PROG only (the
 * program's own arguments are passed on from /proc/self/cmdline anyway).
 */
export function attachedReportFile(argv: readonly string[], run: Command): string[] {
  const out = [...argv];
  if (out[2] !== run.name()) return out;
  const takesValue = (flag: string) => run.options.find((o) => o.long === flag || o.short === flag)?.required === true;
  for (let i = 3; i < out.length; i++) {
    const a = out[i];
    if (a === '--' || a === '-' || !a.startsWith('-')) break; // PROG
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq >= 0 && a.slice(0, eq) === '--report') out[i] = `--report-file=${a.slice(eq + 1)}`;
      else if (eq < 0 && takesValue(a)) i++;
      continue;
    }
    // -qq, -tt, -mstreams, -m streams: the first letter that takes a value takes the rest, or the next word.
    for (let j = 1; j < a.length; j++) {
      if (!takesValue(`-${a[j]}`)) continue;
      if (j === a.length - 1) i++;
      break;
    }
  }
  return out;
}

/** Open --report=FILE now (a bad FILE is a usage error before the program runs); the returned function writes the report at exit. */
export function reportOutput(sup: SupervisorT, flags: RunFlags): (() => void) | undefined {
  if (!wantsReport(flags)) return undefined;
  let fd = 2;
  if (flags.reportFile !== undefined) {
    if (flags.reportFile === '') throw new UsageError('--report=: FILE is empty (--report alone prints the report on stderr)');
    try {
      fd = fs.openSync(flags.reportFile, 'w');
    } catch (err) {
      throw new UsageError(`--report=${flags.reportFile}: ${(err as Error).message}`);
    }
  }
  return () => {
    const report = sup.stubReport() ?? { version: 1, rows: [] };
    const bytes = Buffer.from(flags.json ? JSON.stringify(report, null, 2) + '\n' : formatStubReport(report));
    try {
      for (let at = 0; at < bytes.length; ) at += fs.writeSync(fd, bytes, at);
    } catch {
      // EPIPE or a closed stderr: the report never changes the program's exit status.
    }
    if (fd !== 2) fs.closeSync(fd);
  };
}

/** `table --report FILE`: the saved JSON report, or a usage error naming FILE and what is wrong with it. */
export function readReportFile(file: string): StubReport {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'is a directory' : e.message;
    throw new UsageError(`--report ${file}: ${why}`);
  }
  try {
    return parseStubReport(text);
  } catch (err) {
    if (err instanceof StubReportError) throw new UsageError(`--report ${file}: ${err.message}`);
    throw err;
  }
}

/** Calls per slot in a report (its kernel rows too: the kernel did not fill them either). */
export function callsBySlot(report: StubReport): Map<number, number> {
  const calls = new Map<number, number>();
  for (const r of report.rows) calls.set(r.nr, (calls.get(r.nr) ?? 0) + r.count);
  return calls;
}
