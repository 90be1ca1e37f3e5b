// The program's fds at exec from SpawnOptions.stdio: which of our fds goes to
// which of its numbers (the native spawn dup2()s the pairs; every other fd of
// ours is close-on-exec), and our ends of its pipes as streams.
import fs from 'node:fs';
import net from 'node:net';
import type { Readable, Writable } from 'node:stream';
import type { SpawnOptions, StdioOption } from './child.js';
import { native } from './native.js';

export interface PreparedStdio {
  /** (target, source) pairs: the program's fd target is our fd source; source -1: closed. */
  pairs: number[];
  /** Our ends of the program's pipes 0-2 (null: not a pipe). */
  parentEnds: (number | null)[];
  /** Fds to close once the program is spawned (or failed to be): its ends of pipes, /dev/null. */
  toClose: number[];
}

/** The stdio option as one entry per fd; a TypeError for a malformed one. */
export function stdioEntries(opt: SpawnOptions['stdio']): (StdioOption | null | undefined)[] {
  const o = opt ?? 'inherit';
  const stdio = typeof o === 'string' || typeof o === 'number' ? [o, o, o] : [...o];
  if (stdio.length < 3) throw new TypeError('spawn: stdio must be one value or an array of at least three');
  return stdio;
}

/**
 * Opens what the entries need. On a TypeError for a bad entry, what was
 * opened so far is in `into` (so the caller closes it in one place).
 */
export function prepareStdio(stdio: readonly (StdioOption | null | undefined)[], into: PreparedStdio): void {
  stdio.forEach((s, i) => {
    if ((s === null || s === undefined) && i > 2) return; // not passed: exec closes ours (all close-on-exec)
    if (s === 'inherit') into.pairs.push(i, i);
    else if (s === 'closed') into.pairs.push(i, -1);
    else if (s === 'ignore') {
      const fd = fs.openSync('/dev/null', i === 0 ? 'r' : 'w');
      into.toClose.push(fd);
      into.pairs.push(i, fd);
    } else if (s === 'pipe' && i < 3) {
      const [r, w] = native().pipe();
      const theirs = i === 0 ? r : w;
      into.parentEnds[i] = i === 0 ? w : r;
      into.toClose.push(theirs);
      into.pairs.push(i, theirs);
    } else if (typeof s === 'number' && Number.isInteger(s) && s >= 0 && s <= 0x7fffffff) into.pairs.push(i, s);
    else throw new TypeError(`spawn: stdio[${i}] must be ${i < 3 ? "'pipe', " : ''}'inherit', 'ignore', 'closed' or an fd, got ${String(s)}`);
  });
}

export function emptyStdio(): PreparedStdio {
  return { pairs: [], parentEnds: [null, null, null], toClose: [] };
}

/** Our pipe ends as streams, for the child object. */
export function parentStreams(ends: readonly (number | null)[]): [Writable | null, Readable | null, Readable | null] {
  return [
    ends[0] !== null ? new net.Socket({ fd: ends[0], readable: false, writable: true }) : null,
    ends[1] !== null ? new net.Socket({ fd: ends[1], readable: true, writable: false }) : null,
    ends[2] !== null ? new net.Socket({ fd: ends[2], readable: true, writable: false }) : null,
  ];
}

export function closeParentEnds(ends: readonly (number | null)[]): void {
  for (const fd of ends) if (fd !== null) fs.closeSync(fd);
}
