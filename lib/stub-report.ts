// The stub report (run --report, run(..., { report: true })): every call a
// program tree made on a stub or unassigned slot, counted per slot with who
// answered it, the callers' executables and a few argument vectors; and the
// traced real calls the kernel itself answered ENOSYS or EOPNOTSUPP. gVisor's
// "unimplemented syscall" event as a to-do list for module authors.
//
// The report wires every such slot (StubTable.wireReport) so that each call
// reaches JS once; its chain answers it as without a report (the module's
// answer, or ENOSYS), and CallSite.settle (call.ts) tells the counter here.
import fs from 'node:fs';
import type { Outcome } from './module.js';
import { syscallByNr, type SyscallInfo, type SyscallStatus, MAX_SYSCALL_NR } from './syscalls/index.js';
import type { SyscallEvent } from './trace/events.js';
import { quoteString } from './trace/quote.js';

/** The report as run() returns it and `--report --json` writes it. */
export interface StubReport {
  /** Schema version: 1. */
  version: 1;
  /** The slots sysstub answered (`kernel: false`), most-called first, then the kernel's rows, likewise. */
  rows: StubReportRow[];
}

/** One slot of the report. */
export interface StubReportRow {
  nr: number;
  /** Kernel name, or `syscall_N` for an unassigned number. */
  name: string;
  /** 'stub' or 'unassigned' for the slots sysstub answered; 'implemented' on a kernel row. */
  status: SyscallStatus;
  /** A traced real call that the kernel itself answered ENOSYS or EOPNOTSUPP (-e trace=, run's trace). */
  kernel: boolean;
  /** Calls made (and answered). */
  count: number;
  /** What the calls got, by whom, most frequent first. */
  answeredBy: StubReportAnswer[];
  /** The callers' executables (/proc/PID/exe), in the order first seen. */
  executables: string[];
  /** Up to SAMPLES distinct argument vectors, six registers each, as 0x hex. */
  samples: string[][];
}

/** A kind of answer a slot's calls got, and how many got it. */
export interface StubReportAnswer {
  /** The module whose answer the program got, or null: nobody filled the slot (ENOSYS), or the kernel (kernel rows). */
  module: string | null;
  /** The errno name the call failed with ('ENOSYS'), or null: it returned a value. */
  errno: string | null;
  count: number;
}

/** Distinct argument vectors kept per slot. */
export const SAMPLES = 3;

/** The slots a report covers: the kernel's stubs and the unassigned numbers (not the uprobe calls). */
export function reportedSlot(info: SyscallInfo): boolean {
  return info.status === 'stub' || info.status === 'unassigned';
}

/** The errnos that make a traced real call a kernel row. */
const KERNEL_ERRNOS: ReadonlySet<string | null> = new Set(['ENOSYS', 'EOPNOTSUPP']);

interface Tally {
  row: StubReportRow;
  answers: Map<string, StubReportAnswer>;
  sampleKeys: Set<string>;
}

/** A path as text: as it is when it is UTF-8, strace's escapes for the bytes otherwise. */
function pathText(b: Buffer): string {
  const s = b.toString('utf8');
  return Buffer.from(s, 'utf8').equals(b) ? s : quoteString(b, b.length, false).slice(1, -1);
}

/** The executable of a thread, read while it waits for its answer; '?' once it is gone. */
function exeOf(tid: number): string {
  try {
    return pathText(fs.readlinkSync(`/proc/${tid}/exe`, { encoding: 'buffer' }));
  } catch {
    return '?';
  }
}

const hex = (a: bigint): string => `0x${BigInt.asUintN(64, a).toString(16)}`;

/** Counts the calls of one supervisor's tree (Supervisor option `report`). */
export class StubReportCounter {
  private readonly slots = new Map<number, Tally>();
  private readonly kernel = new Map<number, Tally>();

  /**
   * A call on a reported slot, answered and not yet delivered (its thread
   * still waits, so its executable is the caller's). A 'kernel' outcome ran
   * the number in the kernel, which has nothing there: ENOSYS.
   */
  answered(nr: number, tid: number, args: readonly bigint[], o: Outcome, by: string | null): void {
    const errno = o.type === 'error' ? o.code : o.type === 'kernel' ? 'ENOSYS' : null;
    this.add(this.slots, nr, false, tid, args, by, errno);
  }

  /** A traced call (a 'syscall' event): a real call the kernel itself failed with ENOSYS or EOPNOTSUPP is kept. */
  traced(e: SyscallEvent): void {
    const info = syscallByNr(e.nr);
    if (!info || reportedSlot(info) || e.handledBy !== null || !KERNEL_ERRNOS.has(e.error)) return;
    // The call is over: the executable is read now (it may have exec'd or exited since: '?').
    this.add(this.kernel, e.nr, true, e.tid, e.args, null, e.error);
  }

  private add(into: Map<number, Tally>, nr: number, kernel: boolean, tid: number, args: readonly bigint[], module: string | null, errno: string | null): void {
    let t = into.get(nr);
    if (!t) {
      const info = syscallByNr(nr)!;
      t = { row: { nr, name: info.name, status: info.status, kernel, count: 0, answeredBy: [], executables: [], samples: [] }, answers: new Map(), sampleKeys: new Set() };
      into.set(nr, t);
    }
    t.row.count++;
    const key = `${module ?? ''}\0${errno ?? ''}`;
    const a = t.answers.get(key);
    if (a) a.count++;
    else t.answers.set(key, { module, errno, count: 1 });
    const exe = exeOf(tid);
    if (!t.row.executables.includes(exe)) t.row.executables.push(exe);
    if (t.row.samples.length < SAMPLES) {
      const sample = args.map(hex);
      const k = sample.join(' ');
      if (!t.sampleKeys.has(k)) {
        t.sampleKeys.add(k);
        t.row.samples.push(sample);
      }
    }
  }

  /** The report so far: a copy, sorted. */
  report(): StubReport {
    const rows = (m: Map<number, Tally>) => [...m.values()]
      .map((t) => ({
        ...t.row,
        answeredBy: [...t.answers.values()].map((a) => ({ ...a })).sort((x, y) => y.count - x.count),
        executables: [...t.row.executables],
        samples: t.row.samples.map((s) => [...s]),
      }))
      .sort(byCalls);
    return { version: 1, rows: [...rows(this.slots), ...rows(this.kernel)] };
  }
}

/** Most calls first, then by number. */
const byCalls = (a: { count: number; nr: number }, b: { count: number; nr: number }): number => b.count - a.count || a.nr - b.nr;

/** What a row's calls got, in a few words: `ENOSYS`, `streams`, `streams EBADF 2, ENOSYS 1`, `kernel EOPNOTSUPP`. */
function answersText(r: StubReportRow): string {
  const one = (a: StubReportAnswer) => [a.module ?? (r.kernel ? 'kernel' : ''), a.errno ?? ''].filter(Boolean).join(' ') || '?';
  if (r.answeredBy.length === 1) return one(r.answeredBy[0]);
  return r.answeredBy.map((a) => `${one(a)} ${a.count}`).join(', ');
}

/** Rows as an aligned table, the last column unpadded. */
function table(header: string[], rows: string[][]): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((l) => l[i].length)));
  return all.map((l) => l.map((c, i) => (i === l.length - 1 ? c : c.padEnd(widths[i]))).join('  '));
}

/** The report as text, for people: one table of the slots sysstub answered, one of the kernel's answers. */
export function formatStubReport(r: StubReport): string {
  const ours = r.rows.filter((x) => !x.kernel);
  const theirs = r.rows.filter((x) => x.kernel);
  const calls = ours.reduce((n, x) => n + x.count, 0);
  const header = ['NR', 'NAME', 'STATUS', 'CALLS', 'ANSWERED BY', 'EXECUTABLES', 'SAMPLE ARGS'];
  const line = (x: StubReportRow) => [
    String(x.nr), x.name, x.status, String(x.count), answersText(x), x.executables.join(', '),
    (x.samples[0] ?? []).join(' ') + (x.samples.length > 1 ? ` (+${x.samples.length - 1} more)` : ''),
  ];
  const out = [ours.length === 0
    ? 'sysstub: stub report: no stub or unassigned slot was called'
    : `sysstub: stub report: ${calls} call${calls === 1 ? '' : 's'} to ${ours.length} stub or unassigned slot${ours.length === 1 ? '' : 's'}`];
  if (ours.length) out.push(...table(header, ours.map(line)));
  if (theirs.length) {
    out.push('sysstub: traced calls the kernel answered ENOSYS or EOPNOTSUPP:');
    out.push(...table(header, theirs.map(line)));
  }
  return out.join('\n') + '\n';
}

/** Why a value is not a report: thrown by parseStubReport, its message names the field. */
export class StubReportError extends Error {}

const isWhole = (v: unknown, max = Number.MAX_SAFE_INTEGER): v is number => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= max;
const shown = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v)?.slice(0, 40) ?? String(v));

/** A saved JSON report (`--report=FILE --json`), checked field by field; throws StubReportError naming what is wrong. */
export function parseStubReport(text: string): StubReport {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new StubReportError(`not JSON (${(err as Error).message.split('\n')[0]}); save the report with --report=FILE --json`);
  }
  const d = doc as Partial<StubReport> | null;
  if (d === null || typeof d !== 'object' || Array.isArray(d) || !Array.isArray(d.rows)) {
    throw new StubReportError('not a stub report: expected an object { "version": 1, "rows": [...] }');
  }
  if (d.version !== 1) throw new StubReportError(`version ${shown(d.version)} is not one this sysstub reads (1)`);
  d.rows.forEach((row: unknown, i) => {
    const r = row as Record<string, unknown> | null;
    const bad = (field: string, want: string, got: unknown) => new StubReportError(`rows[${i}].${field}: expected ${want}, got ${shown(got)}`);
    if (r === null || typeof r !== 'object' || Array.isArray(r)) throw new StubReportError(`rows[${i}]: expected an object, got ${shown(r)}`);
    if (!isWhole(r.nr, MAX_SYSCALL_NR)) throw bad('nr', `a syscall number 0..${MAX_SYSCALL_NR}`, r.nr);
    if (typeof r.name !== 'string') throw bad('name', 'a string', r.name);
    if (!isWhole(r.count)) throw bad('count', 'a whole number >= 0', r.count);
    if (typeof r.kernel !== 'boolean') throw bad('kernel', 'true or false', r.kernel);
    if (!Array.isArray(r.answeredBy)) throw bad('answeredBy', 'an array', r.answeredBy);
    if (!Array.isArray(r.executables) || !r.executables.every((e) => typeof e === 'string')) throw bad('executables', 'an array of strings', r.executables);
  });
  return d as StubReport;
}
