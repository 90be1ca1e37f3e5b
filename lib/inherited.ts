// What the `sysstub` command was started with, for the program it runs: its
// fds, signal dispositions and mask (read by bin/sysstub.js before Node
// started, since Node resets them), and its arguments and environment as
// bytes (/proc/self/cmdline and /proc/self/environ: process.argv and
// process.env are decoded as UTF-8, which loses bytes that are not).
import fs from 'node:fs';
import type { SpawnOptions, StdioOption } from './supervisor.js';

const VAR = 'SYSSTUB_INHERITED';

export interface Inherited {
  /** Every fd open without close-on-exec when sysstub started; null when unknown (started as `node bin/sysstub.js`). */
  fds: number[] | null;
  /** SigIgn and SigBlk of /proc/PID/status: bit n-1 for signal n. */
  ignored: bigint;
  blocked: bigint;
}

function splitNul(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0) {
      out.push(b.subarray(start, i));
      start = i + 1;
    }
  }
  if (start < b.length) out.push(b.subarray(start));
  return out;
}

/** Reads and removes the launcher's note, so that the program never sees it. */
export function takeInherited(): Inherited {
  const v = process.env[VAR];
  delete process.env[VAR];
  const m = v ? /^ign=([0-9a-f]*);blk=([0-9a-f]*);fds=([0-9,]*)$/.exec(v) : null;
  if (!m) return { fds: null, ignored: 0n, blocked: 0n };
  return {
    fds: m[3] ? m[3].split(',').map(Number).sort((a, b) => a - b) : [],
    ignored: m[1] ? BigInt(`0x${m[1]}`) : 0n,
    blocked: m[2] ? BigInt(`0x${m[2]}`) : 0n,
  };
}

function signalsOf(mask: bigint): number[] {
  const out: number[] = [];
  for (let n = 1; n <= 64; n++) if (mask & (1n << BigInt(n - 1))) out.push(n);
  return out;
}

/**
 * Spawn options that give the program what sysstub inherited: every fd as it
 * was (a closed 0-2 stays closed), the dispositions and the mask.
 */
export function inheritedSpawnOptions(inh: Inherited): Pick<SpawnOptions, 'stdio' | 'signals'> {
  const stdio: (StdioOption | null)[] = ['inherit', 'inherit', 'inherit'];
  if (inh.fds) {
    const open = new Set(inh.fds);
    for (let fd = 0; fd < 3; fd++) if (!open.has(fd)) stdio[fd] = 'closed';
    for (const fd of inh.fds) if (fd > 2) stdio[fd] = 'inherit';
  }
  return { stdio, signals: { ignore: signalsOf(inh.ignored), block: signalsOf(inh.blocked) } };
}

/** The last n command-line arguments, as bytes. */
export function rawArgvTail(n: number): Buffer[] {
  const all = splitNul(fs.readFileSync('/proc/self/cmdline'));
  return all.slice(all.length - n);
}

/** The environment sysstub was started with, as bytes, without the launcher's note. */
export function rawEnviron(): Buffer[] {
  return splitNul(fs.readFileSync('/proc/self/environ')).filter((e) => !e.subarray(0, VAR.length + 1).equals(Buffer.from(`${VAR}=`)));
}
