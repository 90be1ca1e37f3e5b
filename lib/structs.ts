// Typed readers and writers for the structs handlers meet most, with their
// x86-64 layouts (the kernel's uapi and glibc's), so that a module author
// reads `structs.timespec.read(call, call.ptr(0))` instead of doing pointer
// arithmetic. Each codec reads and writes through the call (Call.read/write:
// the tracee's memory, checked as the call's memory). Integers are bigints
// where the C type is 64 bits, numbers where it is 32 or narrower.
import type { Call } from './module.js';

/** A fixed-size struct: its size in bytes, and how to read and write one. */
export interface StructCodec<T> {
  readonly size: number;
  /** Decode one from bytes (at least `size` of them). */
  decode(b: Buffer): T;
  /** Encode one into `size` bytes. */
  encode(v: T): Buffer;
  /** Read one at addr in the tracee. */
  read(call: Call, addr: bigint): T;
  /** Write one at addr in the tracee. */
  write(call: Call, addr: bigint, v: T): void;
  /** Read `count` consecutive ones (an array such as struct iovec[]). */
  readArray(call: Call, addr: bigint, count: number): T[];
}

function codec<T>(size: number, decode: (b: Buffer) => T, encode: (v: T, b: Buffer) => void): StructCodec<T> {
  const c: StructCodec<T> = {
    size,
    decode,
    encode: (v) => {
      const b = Buffer.alloc(size);
      encode(v, b);
      return b;
    },
    read: (call, addr) => decode(call.read(addr, size)),
    write: (call, addr, v) => call.write(addr, c.encode(v)),
    readArray: (call, addr, count) => {
      if (!Number.isInteger(count) || count < 0) throw new RangeError(`readArray: count must be a whole number >= 0, got ${count}`);
      const b = count === 0 ? Buffer.alloc(0) : call.read(addr, size * count);
      return Array.from({ length: count }, (_, i) => decode(b.subarray(i * size, (i + 1) * size)));
    },
  };
  return c;
}

/** struct timespec { time_t tv_sec; long tv_nsec; } (nanosleep, clock_gettime, ...). */
export interface Timespec {
  sec: bigint;
  nsec: bigint;
}

/** struct iovec { void *iov_base; size_t iov_len; } (readv, writev, ...). */
export interface Iovec {
  base: bigint;
  len: bigint;
}

/** struct strbuf { int maxlen; int len; char *buf; } (STREAMS getmsg/putmsg, getpmsg/putpmsg). */
export interface Strbuf {
  maxlen: number;
  len: number;
  buf: bigint;
}

/** struct stat as the x86-64 kernel fills it (asm/stat.h; stat, fstat, newfstatat). */
export interface Stat {
  dev: bigint;
  ino: bigint;
  nlink: bigint;
  mode: number;
  uid: number;
  gid: number;
  rdev: bigint;
  size: bigint;
  blksize: bigint;
  blocks: bigint;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
}

const timespecAt = (b: Buffer, at: number): Timespec => ({ sec: b.readBigInt64LE(at), nsec: b.readBigInt64LE(at + 8) });
const putTimespec = (b: Buffer, at: number, t: Timespec): void => {
  b.writeBigInt64LE(BigInt.asIntN(64, t.sec), at);
  b.writeBigInt64LE(BigInt.asIntN(64, t.nsec), at + 8);
};

const timespec = codec<Timespec>(16, (b) => timespecAt(b, 0), (v, b) => putTimespec(b, 0, v));

const iovec = codec<Iovec>(16, (b) => ({ base: b.readBigUInt64LE(0), len: b.readBigUInt64LE(8) }), (v, b) => {
  b.writeBigUInt64LE(BigInt.asUintN(64, v.base), 0);
  b.writeBigUInt64LE(BigInt.asUintN(64, v.len), 8);
});

const strbuf = codec<Strbuf>(16, (b) => ({ maxlen: b.readInt32LE(0), len: b.readInt32LE(4), buf: b.readBigUInt64LE(8) }), (v, b) => {
  b.writeInt32LE(v.maxlen, 0);
  b.writeInt32LE(v.len, 4);
  b.writeBigUInt64LE(BigInt.asUintN(64, v.buf), 8);
});

// Offsets from arch/x86/include/uapi/asm/stat.h (the 64-bit struct stat, 144 bytes).
const stat = codec<Stat>(144, (b) => ({
  dev: b.readBigUInt64LE(0), ino: b.readBigUInt64LE(8), nlink: b.readBigUInt64LE(16),
  mode: b.readUInt32LE(24), uid: b.readUInt32LE(28), gid: b.readUInt32LE(32),
  rdev: b.readBigUInt64LE(40), size: b.readBigInt64LE(48), blksize: b.readBigInt64LE(56), blocks: b.readBigInt64LE(64),
  atime: timespecAt(b, 72), mtime: timespecAt(b, 88), ctime: timespecAt(b, 104),
}), (v, b) => {
  b.writeBigUInt64LE(v.dev, 0);
  b.writeBigUInt64LE(v.ino, 8);
  b.writeBigUInt64LE(v.nlink, 16);
  b.writeUInt32LE(v.mode, 24);
  b.writeUInt32LE(v.uid, 28);
  b.writeUInt32LE(v.gid, 32);
  b.writeBigUInt64LE(v.rdev, 40);
  b.writeBigInt64LE(v.size, 48);
  b.writeBigInt64LE(v.blksize, 56);
  b.writeBigInt64LE(v.blocks, 64);
  putTimespec(b, 72, v.atime);
  putTimespec(b, 88, v.mtime);
  putTimespec(b, 104, v.ctime);
});

/** A socket address, by family (sys/socket.h, netinet/in.h, sys/un.h). */
export type Sockaddr =
  | { family: 'AF_INET'; port: number; address: string }
  | { family: 'AF_INET6'; port: number; address: string; flowinfo: number; scopeId: number }
  | { family: 'AF_UNIX'; path: string; abstract: boolean }
  | { family: number; bytes: Buffer };

const AF_UNIX = 1;
const AF_INET = 2;
const AF_INET6 = 10;

/**
 * A sockaddr of `len` bytes (connect, bind, sendto: the address and its
 * length are both arguments). Ports are in host order; addresses as text.
 */
function decodeSockaddr(b: Buffer): Sockaddr {
  const family = b.length >= 2 ? b.readUInt16LE(0) : -1;
  if (family === AF_INET && b.length >= 8) {
    return { family: 'AF_INET', port: b.readUInt16BE(2), address: [...b.subarray(4, 8)].join('.') };
  }
  if (family === AF_INET6 && b.length >= 28) {
    const words = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(8 + 2 * i).toString(16));
    return { family: 'AF_INET6', port: b.readUInt16BE(2), address: compressV6(words), flowinfo: b.readUInt32BE(4), scopeId: b.readUInt32LE(24) };
  }
  if (family === AF_UNIX) {
    const p = b.subarray(2);
    // Linux abstract sockets start with a NUL (unix(7)); others end at one.
    if (p.length > 0 && p[0] === 0) return { family: 'AF_UNIX', path: p.subarray(1).toString('utf8'), abstract: true };
    const nul = p.indexOf(0);
    return { family: 'AF_UNIX', path: (nul < 0 ? p : p.subarray(0, nul)).toString('utf8'), abstract: false };
  }
  return { family, bytes: Buffer.from(b) };
}

/** RFC 5952 text: the longest run of two or more zero groups as `::`. */
function compressV6(words: string[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (best < 0) return words.join(':');
  return `${words.slice(0, best).join(':')}::${words.slice(best + bestLen).join(':')}`;
}

const sockaddr = {
  decode: decodeSockaddr,
  /** Read the sockaddr of `len` bytes at addr (len: the call's addrlen argument). */
  read(call: Call, addr: bigint, len: number | bigint): Sockaddr {
    const n = Number(len);
    if (!Number.isInteger(n) || n < 0 || n > 128) throw new RangeError(`sockaddr.read: len must be 0..128 (sizeof(struct sockaddr_storage)), got ${String(len)}`);
    return decodeSockaddr(call.read(addr, n));
  },
};

/** The struct codecs: `structs.timespec.read(call, call.ptr(0))`. */
export const structs = { timespec, iovec, strbuf, stat, sockaddr } as const;
