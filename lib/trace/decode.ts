// strace-compatible trace lines from raw syscall registers plus captured tracee memory: a pure
// library (no processes). captureSpec() says what the tracer must read; formatCall() prints the
// line strace would print, minus the pid prefix. See strace(1), syscall(2).
import { errnoName, strerror } from '../errno.js';
import { syscallName } from '../syscalls/index.js';
import { Ctx } from './context.js';
import { signatureOf } from './signatures.js';
import type { CaptureSpec, DecodeOptions, TraceCall } from './types.js';

export type { CaptureSpec, DecodeOptions, TraceCall } from './types.js';
export { quoteString } from './quote.js';
export { decodedSyscalls } from './signatures.js';

const nameOf = syscallName;

/**
 * What the tracer must read from tracee memory for syscall nr so that formatCall can decode it:
 * strings and paths and write buffers at entry, read buffers and structs at exit. Keys are
 * `a<arg>` (entry) and `a<arg>.out` (exit).
 */
export function captureSpec(nr: number, o: DecodeOptions): CaptureSpec[] {
  const sig = signatureOf(nameOf(nr));
  return sig?.caps?.map((cap) => cap(o)) ?? [];
}

const NO_RETURN = new Set(['exit', 'exit_group']);

/** Hex for undecoded arguments: `0` for zero, `0x...` otherwise. */
function hexArg(v: bigint): string {
  const u = BigInt.asUintN(64, v);
  return u === 0n ? '0' : `0x${u.toString(16)}`;
}

/** The ` = ...` part: decimal, or a call-specific form; errors by name and message. */
function formatReturn(x: Ctx, name: string, ret?: (x: Ctx) => string): string {
  if (NO_RETURN.has(name)) return '?';
  const r = x.ret;
  if (x.failed) {
    const errno = Number(-r);
    const ename = errnoName(errno) ?? `E??? ${errno}`;
    const msg = strerror(errno);
    if (errno >= 512 && errno <= 516) return `? ${ename} (${msg})`;
    return `-1 ${ename} (${msg})`;
  }
  return ret ? ret(x) : String(r);
}

/**
 * One strace line without the pid prefix and without the trailing newline:
 * `openat(AT_FDCWD, "/etc/hosts", O_RDONLY|O_CLOEXEC) = 3`.
 */
export function formatCall(c: TraceCall, o: DecodeOptions): string {
  const name = nameOf(c.nr);
  const x = new Ctx(c, o);
  const sig = signatureOf(name);
  return `${name}(${argTexts(x, c, sig).join(', ')}) = ${formatReturn(x, name, sig?.ret)}`;
}

const argTexts = (x: Ctx, c: TraceCall, sig: ReturnType<typeof signatureOf>): string[] =>
  sig ? sig.args(x) : c.args.slice(0, 6).map(hexArg);

/** The arguments as strace prints them, one string each: `['AT_FDCWD', '"/etc/hosts"', 'O_RDONLY']`. */
export function formatArgs(c: TraceCall, o: DecodeOptions): string[] {
  return argTexts(new Ctx(c, o), c, signatureOf(nameOf(c.nr)));
}
