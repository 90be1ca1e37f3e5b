// Trace output as strace writes it: one line per finished call, `[pid N] `
// prefixes once more than one task is traced, -t/-tt/-T times, exits and
// signals, the -c summary; or one JSON object per event (--format jsonl).
// Lines are written synchronously, so a file given with -o is complete even
// when the supervised program is killed.
import fs from 'node:fs';
import { strerror } from '../errno.js';
import type { SyscallEvent } from './events.js';
import { formatSiginfo } from './siginfo.js';

/** How a call's text is made: `name(args) = result`, without prefix or newline. */
export type CallFormatter = (e: SyscallEvent) => string;

export interface TraceOutputOptions {
  /** fd to write to (2 for stderr, or an -o file). */
  fd: number;
  format: 'text' | 'jsonl';
  /** 0: no time, 1: -t (seconds), 2: -tt (microseconds). */
  timestamps: 0 | 1 | 2;
  /** -T: time spent in each call. */
  durations: boolean;
  /** -c: only the summary, at the end. */
  summary: boolean;
  /** -a: the column results are aligned to (strace's default 40; 0: none). */
  align: number;
  /** -q count: 2 (-qq) leaves out the exit lines. */
  quiet: number;
  formatCall: CallFormatter;
}

/** Arguments in hex, as strace prints what it does not decode. */
export const rawFormatter: CallFormatter = (e) => {
  const hex = (v: bigint) => (v === 0n ? '0' : `0x${v.toString(16)}`);
  return `${e.name}(${e.args.map(hex).join(', ')}) = ${resultText(e)}`;
};

/** `N`, `-1 ENOENT (No such file or directory)`, or `?` for a call that never returned. */
function resultText(e: SyscallEvent): string {
  if (e.ret === null) return '?';
  if (e.error) return `-1 ${e.error} (${strerror(Number(-e.ret))})`;
  return String(e.ret);
}

interface Counter {
  calls: number;
  errors: number;
  ns: bigint;
}

export class TraceOutput {
  private readonly tasks = new Set<number>();
  private readonly counts = new Map<string, Counter>();

  constructor(private readonly o: TraceOutputOptions) {}

  private write(line: string): void {
    try {
      fs.writeSync(this.o.fd, line + '\n');
    } catch {
      // EPIPE or a closed fd: tracing never takes the program down with it.
    }
  }

  private prefix(tid: number, ns?: bigint): string {
    // As strace -f: in a file (-o) every line starts with `N     `; on stderr,
    // `[pid  N] ` once more than one task is traced.
    let p = this.o.fd !== 2 ? `${String(tid).padEnd(5)} ` : this.tasks.size > 1 ? `[pid ${String(tid).padStart(5)}] ` : '';
    if (this.o.timestamps && ns !== undefined) {
      const d = new Date(Number(ns / 1_000_000n));
      const hms = d.toTimeString().slice(0, 8);
      p += this.o.timestamps === 2 ? `${hms}.${String(ns % 1_000_000_000n / 1000n).padStart(6, '0')} ` : `${hms} `;
    }
    return p;
  }

  syscall(e: SyscallEvent): void {
    this.tasks.add(e.tid);
    if (this.o.summary) {
      const c = this.counts.get(e.name) ?? { calls: 0, errors: 0, ns: 0n };
      c.calls++;
      if (e.error) c.errors++;
      if (e.exitNs !== null) c.ns += e.exitNs - e.entryNs;
      this.counts.set(e.name, c);
      return;
    }
    if (this.o.format === 'jsonl') {
      this.write(JSON.stringify({
        type: 'syscall', pid: e.pid, tid: e.tid, nr: e.nr, name: e.name,
        args: e.args.map((a) => `0x${a.toString(16)}`), ret: e.ret === null ? null : e.ret.toString(), error: e.error,
        entryNs: e.entryNs.toString(), exitNs: e.exitNs === null ? null : e.exitNs.toString(),
        text: this.o.formatCall(e),
      }));
      return;
    }
    let line = this.prefix(e.tid, e.entryNs) + this.o.formatCall(e);
    // strace pads the call to column -a (40) before "= result".
    const at = line.lastIndexOf(') = ');
    if (this.o.align > 0 && at >= 0 && at + 1 < this.o.align) {
      line = line.slice(0, at + 1).padEnd(this.o.align) + line.slice(at + 2);
    }
    if (this.o.durations && e.exitNs !== null) line += ` <${(Number(e.exitNs - e.entryNs) / 1e9).toFixed(6)}>`;
    this.write(line);
  }

  signal(pid: number, tid: number, name: string, siginfo?: Uint8Array): void {
    this.tasks.add(tid);
    if (this.o.summary) return;
    const info = siginfo ? formatSiginfo(siginfo) : undefined;
    if (this.o.format === 'jsonl') this.write(JSON.stringify({ type: 'signal', pid, tid, signal: name, siginfo: info ?? null }));
    else this.write(`${this.prefix(tid, BigInt(Date.now()) * 1_000_000n)}--- ${name}${info ? ` ${info}` : ''} ---`);
  }

  exit(pid: number, code: number | null, signal: string | null, core = false): void {
    if (this.o.summary || this.o.quiet >= 2) return;
    if (this.o.format === 'jsonl') {
      this.write(JSON.stringify({ type: 'exit', pid, code, signal }));
      return;
    }
    const what = signal ? `killed by ${signal}${core ? ' (core dumped)' : ''}` : `exited with ${code}`;
    this.write(`${this.prefix(pid, BigInt(Date.now()) * 1_000_000n)}+++ ${what} +++`);
  }

  /** The -c table, strace's layout. */
  finish(): void {
    if (!this.o.summary) return;
    const rows = [...this.counts].sort((a, b) => (b[1].ns === a[1].ns ? b[1].calls - a[1].calls : Number(b[1].ns - a[1].ns)));
    const totalNs = rows.reduce((s, [, c]) => s + c.ns, 0n);
    const totalCalls = rows.reduce((s, [, c]) => s + c.calls, 0);
    const totalErrors = rows.reduce((s, [, c]) => s + c.errors, 0);
    const sep = '------ ----------- ----------- --------- --------- ----------------';
    const lines = ['% time     seconds  usecs/call     calls    errors syscall', sep];
    const row = (pct: number, ns: bigint, usecs: string, calls: number, errors: number, name: string) =>
      `${pct.toFixed(2).padStart(6)} ${(Number(ns) / 1e9).toFixed(6).padStart(11)} ${usecs.padStart(11)} ${String(calls).padStart(9)} ${(errors ? String(errors) : '').padStart(9)} ${name}`;
    for (const [name, c] of rows) {
      const pct = totalNs > 0n ? (Number(c.ns) * 100) / Number(totalNs) : 0;
      lines.push(row(pct, c.ns, String(Math.round(Number(c.ns) / 1000 / c.calls)), c.calls, c.errors, name));
    }
    lines.push(sep, row(100, totalNs, '', totalCalls, totalErrors, 'total'));
    this.write(lines.join('\n'));
  }
}
