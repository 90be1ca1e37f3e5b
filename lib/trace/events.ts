// Traced calls as typed events: what the tracer thread reports for every call
// of a traced syscall (its arguments, its result, its times, and the tracee
// memory captured at entry and exit so that it can be decoded afterwards).
import { CaptureKind, CaptureLen, type NativeCapture } from '../native.js';
import { errnoName } from '../errno.js';
import { syscallName } from '../syscalls/index.js';

import type { NativeSyscall } from './records.js';
import type { CaptureSpec } from './types.js';

export type { CaptureSpec };

/** One traced call. Times are CLOCK_REALTIME nanoseconds. */
export interface SyscallEvent {
  type: 'syscall';
  pid: number;
  tid: number;
  nr: number;
  name: string;
  args: readonly bigint[];
  /** Raw return value (signed); null when the call never returned (exit_group, or the thread died in it). */
  ret: bigint | null;
  /** errno name when ret is -4095..-1. */
  error: string | null;
  /** The module whose answer the program got, or null when the kernel ran the call (and nobody changed its result). */
  handledBy: string | null;
  entryNs: bigint;
  exitNs: bigint | null;
  /** Captured memory by CaptureSpec.key: bytes, or null when unreadable. */
  mem: ReadonlyMap<string, Uint8Array | null>;
}

/** The native tuple form of a CaptureSpec (native/trace_capture.h): [arg, atExit, kind, lenKind, lenValue, max, scale]. */
/** A CaptureSpec as the tracer takes it (native/trace_capture.h Capture). */
export function nativeCapture(c: CaptureSpec): NativeCapture {
  const [lenKind, lenValue, scale] = 'arg' in c.len ? [CaptureLen.Arg, c.len.arg, c.len.scale ?? 1] : 'ret' in c.len ? [CaptureLen.Ret, 0, c.len.scale ?? 1] : [CaptureLen.Fixed, c.len.size, 1];
  const kind = c.kind === 'buf' ? CaptureKind.Buf : c.kind === 'cstr' ? CaptureKind.CString : CaptureKind.StringVector;
  return { arg: c.arg, atExit: c.at === 'exit', kind, lenKind, lenValue, max: c.max, scale };
}

/** Parse the tracer's capture blob: repeated [u8 index][i32 length, -1 unreadable][bytes]. */
function parseCaptures(blob: Uint8Array, specs: readonly CaptureSpec[]): Map<string, Uint8Array | null> {
  const out = new Map<string, Uint8Array | null>();
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  for (let at = 0; at + 5 <= blob.byteLength; ) {
    const index = blob[at];
    const len = view.getInt32(at + 1, true);
    at += 5;
    const spec = specs[index];
    const bytes = len < 0 ? null : blob.subarray(at, at + len);
    if (len > 0) at += len;
    if (spec) out.set(spec.key, bytes);
  }
  return out;
}

/** The native event as a SyscallEvent. */
export function toSyscallEvent(
  e: NativeSyscall,
  specs: readonly CaptureSpec[],
  handledBy: string | null = null,
): SyscallEvent {
  const ret = e.unfinished ? null : BigInt.asIntN(64, e.ret);
  const error = ret !== null && ret < 0n && ret >= -4095n ? errnoName(Number(-ret)) ?? `E${-ret}` : null;
  return {
    type: 'syscall', pid: e.pid, tid: e.tid, nr: e.nr, name: syscallName(e.nr),
    args: e.args, ret, error, handledBy, entryNs: e.entryNs, exitNs: e.unfinished ? null : e.exitNs,
    mem: parseCaptures(e.mem, specs),
  };
}
