// The data a tracer hands to the decoders: one stopped system call with its registers and the
// tracee memory it captured as asked by captureSpec(). Re-exported by decode.ts.

export interface TraceCall {
  nr: number;
  /** Six raw 64-bit register values (rdi, rsi, rdx, r10, r8, r9). */
  args: readonly bigint[];
  /** Raw rax after the call, as a signed 64-bit value (-4095..-1 = -errno). */
  ret: bigint;
  /**
   * Tracee memory captured by the tracer, by capture key (see CaptureSpec.key); null = unreadable
   * (print the pointer in hex as strace does); absent = not captured.
   */
  mem: ReadonlyMap<string, Uint8Array | null>;
}

/** strace -s: strings longer than this print the first strsize bytes then `...` (default 32). */
export interface DecodeOptions {
  strsize: number;
}

/**
 * One piece of tracee memory to read.
 * - `kind: 'cstr'`: a NUL-terminated string at the pointer in args[arg]: read up to `max` bytes,
 *   stop at (and drop) the NUL. Holding `max` bytes means "no NUL found".
 * - `kind: 'buf'`: `len` bytes at the pointer (at most `max`), where len is the value of
 *   args[len.arg], the return value (`ret`), or a fixed size, times `len.scale` (default 1).
 *   At exit, a failed call (ret in -4095..-1) needs nothing.
 * - `kind: 'strv'`: a NULL-terminated array of string pointers (execve argv/envp): store the
 *   strings one after another, each cut to `max` bytes and followed by a NUL; at most
 *   `len.size` strings.
 * Skip a capture when the pointer is 0. Store null when the memory cannot be read.
 */
export interface CaptureSpec {
  key: string;
  arg: number;
  at: 'entry' | 'exit';
  kind: 'cstr' | 'buf' | 'strv';
  len: { arg: number; scale?: number } | { ret: true; scale?: number } | { size: number };
  max: number;
  /** A path argument: shown as the call's `path` in SyscallRecord. */
  role?: 'path';
}
