// The view of one traced call that argument printers use: typed register reads and the
// captured memory, plus the printers shared by many signatures (fds, paths, buffers, structs).
import { AT_FDCWD } from './flags.js';
import { quoteString } from './quote.js';
import { pointer } from './structs.js';
import type { DecodeOptions, TraceCall } from './types.js';

/** PATH_MAX: strace prints paths in full up to this, whatever -s says. */
export const PATH_MAX = 4096;

export class Ctx {
  constructor(readonly c: TraceCall, readonly o: DecodeOptions) {}

  /** args[i] as an unsigned 64-bit value. */
  u(i: number): bigint { return BigInt.asUintN(64, this.c.args[i] ?? 0n); }
  /** args[i] as a signed 64-bit value. */
  s(i: number): bigint { return BigInt.asIntN(64, this.c.args[i] ?? 0n); }
  /** args[i] as a C int. */
  i32(i: number): number { return Number(BigInt.asIntN(32, this.c.args[i] ?? 0n)); }
  /** args[i] as a C unsigned int. */
  u32(i: number): number { return Number(BigInt.asUintN(32, this.c.args[i] ?? 0n)); }

  get ret(): bigint { return BigInt.asIntN(64, this.c.ret); }
  get failed(): boolean { return this.ret < 0n && this.ret >= -4095n; }

  /** Entry capture of args[i] (key `a<i>`). */
  in(i: number): Uint8Array | null | undefined { return this.c.mem.get(`a${i}`); }
  /** Exit capture of args[i] (key `a<i>.out`). */
  out(i: number): Uint8Array | null | undefined { return this.c.mem.get(`a${i}.out`); }

  ptr(i: number): string { return pointer(this.u(i)); }
  hex(i: number): string { const v = this.u(i); return v === 0n ? '0' : `0x${v.toString(16)}`; }
  fd(i: number): string { return String(this.i32(i)); }
  dirfd(i: number): string { const v = this.i32(i); return v === AT_FDCWD ? 'AT_FDCWD' : String(v); }
  int(i: number): string { return String(this.i32(i)); }
  uint(i: number): string { return String(this.u32(i)); }
  long(i: number): string { return String(this.s(i)); }
  ulong(i: number): string { return String(this.u(i)); }
  /** uid_t/gid_t: -1 for "unchanged", decimal otherwise. */
  id(i: number): string { const v = this.u32(i); return v === 0xffffffff ? '-1' : String(v); }

  /** A NUL-terminated string captured at entry: PATH_MAX for paths, strsize for other strings. */
  str(i: number, limit = this.o.strsize, b = this.in(i)): string {
    if (this.u(i) === 0n) return 'NULL';
    if (!b) return this.ptr(i);
    return quoteString(b, limit, b.length > limit);
  }
  path(i: number): string { return this.str(i, PATH_MAX); }

  /** A buffer of `len` bytes captured at entry (write-like calls). */
  wbuf(i: number, len: bigint): string {
    if (this.u(i) === 0n) return 'NULL';
    const b = this.in(i);
    if (!b) return this.ptr(i);
    return quoteString(b, this.o.strsize, BigInt(b.length) < len);
  }
  /** A buffer filled by the call, `ret` bytes long, captured at exit (read-like calls). */
  rbuf(i: number, quote = quoteString): string {
    if (this.failed || this.u(i) === 0n) return this.ptr(i);
    const b = this.out(i);
    if (!b) return this.ptr(i);
    return quote(b, this.o.strsize, BigInt(b.length) < this.ret);
  }
  /** A struct read at entry, printed by `print`; the pointer when absent or unreadable. */
  inStruct(i: number, print: (b: Uint8Array) => string | undefined): string {
    if (this.u(i) === 0n) return 'NULL';
    const b = this.in(i);
    return (b && print(b)) ?? this.ptr(i);
  }
  /** A struct written by the call, read at exit; the pointer when the call failed. */
  outStruct(i: number, print: (b: Uint8Array) => string | undefined): string {
    if (this.u(i) === 0n) return 'NULL';
    if (this.failed) return this.ptr(i);
    const b = this.out(i);
    return (b && print(b)) ?? this.ptr(i);
  }
}
