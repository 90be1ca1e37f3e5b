// The tracer's traced calls as they cross from C++: packed records, one
// buffer per run of calls (native/binding.cc PackSyscall has the layout and
// why). Read here lazily: the head (who, which call, flags) always, the rest
// only for someone who wants the SyscallEvent.

/** One traced call, as the tracer reported it (before toSyscallEvent). */
export interface NativeSyscall {
  pid: number;
  tid: number;
  nr: number;
  args: bigint[];
  /** The return value, signed (-errno for a failed call). */
  ret: bigint;
  unfinished: boolean;
  /** Answered without running it: ret is a handler's or a constant's. */
  emulated: boolean;
  entryNs: bigint;
  exitNs: bigint;
  mem: Uint8Array;
}

const HEAD = 96;
const UNFINISHED = 1;
const EMULATED = 2;

/** A cursor over a records buffer: next() moves to the following call. */
export class SyscallRecords {
  private readonly view: DataView;
  private at = -1;
  private size = 0;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  next(): boolean {
    this.at = this.at < 0 ? 0 : this.at + this.size;
    if (this.at + HEAD > this.buf.byteLength) return false;
    this.size = HEAD + ((this.memLength + 7) & ~7);
    return true;
  }

  get pid(): number { return this.view.getInt32(this.at, true); }
  get tid(): number { return this.view.getInt32(this.at + 4, true); }
  get nr(): number { return this.view.getInt32(this.at + 8, true); }
  get emulated(): boolean { return (this.view.getUint32(this.at + 12, true) & EMULATED) !== 0; }
  private get memLength(): number { return this.view.getUint32(this.at + 16, true); }

  /** The whole call; mem is a view into the buffer. */
  record(): NativeSyscall {
    const v = this.view;
    const at = this.at;
    const flags = v.getUint32(at + 12, true);
    const args = [0, 1, 2, 3, 4, 5].map((k) => v.getBigUint64(at + 24 + 8 * k, true));
    return {
      pid: this.pid, tid: this.tid, nr: this.nr, args,
      ret: v.getBigInt64(at + 72, true),
      unfinished: (flags & UNFINISHED) !== 0,
      emulated: (flags & EMULATED) !== 0,
      entryNs: v.getBigInt64(at + 80, true),
      exitNs: v.getBigInt64(at + 88, true),
      mem: this.buf.subarray(at + HEAD, at + HEAD + this.memLength),
    };
  }
}
