// Built-in module `streams`: STREAMS getpmsg(2)/putpmsg(2) (x86-64 181/182,
// ENOSYS stubs in Linux) on pipes and FIFOs, after SVR4 and POSIX XSR.
// Queue semantics live in streams-queue.ts; this file finds the stream behind
// an fd (proc(5): /proc/PID/task/TID/fd, fdinfo) and moves struct strbuf
// between the tracee and the queue.
//
// Differences from a kernel stream head, by design:
// - Messages travel beside the pipe's byte stream: read(2), write(2) and poll(2)
//   do not see them.
// - One queue per pipe/FIFO inode, shared by both ends, every fd and every
//   process (a STREAMS pipe has one queue per end). It outlives the last close
//   of a FIFO: nothing here sees close(2).
// - The queue is unbounded (putpmsg never blocks); a part longer than
//   STRCTLSZ/STRMSGSZ fails ERANGE (POSIX putmsg), sizes as Solaris' defaults.
// - A blocking getpmsg is interrupted by a signal as a blocking read(2) is (on
//   the user-notification route: restarted or EINTR, the message goes back);
//   on the ptrace route signals wait until a message arrives (no EINTR).
import { readFileSync, statSync } from 'node:fs';
import { defineModule, SyscallError, type Call, type Module } from '../module.js';
import { structs } from '../structs.js';
import {
  parseGetFlags,
  parsePutFlags,
  returnedFlags,
  StreamTable,
  type Convention,
  type Delivery,
} from './streams-queue.js';

export { MORECTL, MOREDATA, MSG_ANY, MSG_BAND, MSG_HIPRI, RS_HIPRI } from './streams-queue.js';

/** Largest control part putpmsg accepts (Solaris strctlsz). */
const STRCTLSZ = 1024;
/** Largest data part putpmsg accepts (Solaris strmsgsz). */
const STRMSGSZ = 65536;

// struct strbuf { int maxlen; int len; char *buf; }: structs.strbuf.
const STRBUF_LEN = 4;

// open(2) flags as /proc/PID/fdinfo prints them (octal).
const O_ACCMODE = 0o3;
const O_WRONLY = 0o1;
const O_RDONLY = 0o0;
const O_NONBLOCK = 0o4000;
const O_PATH = 0o10000000;

/** The stream behind an fd: its queue key and how the fd was opened. */
interface StreamFd {
  readonly key: string;
  readonly flags: number;
}

/**
 * Find the pipe or FIFO behind fd in the calling thread's fd table.
 * EBADF: not open, O_PATH, or not open for `access`. ENOSTR: not a pipe or FIFO.
 */
function streamFd(call: Call, fd: number, access: 'read' | 'write'): StreamFd {
  if (fd < 0) throw new SyscallError('EBADF');
  const task = `/proc/${call.pid}/task/${call.tid}`;
  let st;
  let info;
  try {
    st = statSync(`${task}/fd/${fd}`, { bigint: true });
    info = readFileSync(`${task}/fdinfo/${fd}`, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new SyscallError('EBADF');
    throw e;
  }
  const m = /^flags:\s*([0-7]+)$/m.exec(info);
  if (m?.[1] === undefined) throw new Error(`streams: no flags: line in ${task}/fdinfo/${fd}`);
  const flags = parseInt(m[1], 8);
  const mode = flags & O_ACCMODE;
  // POSIX getmsg/putmsg: EBADF unless open for reading (resp. writing).
  if ((flags & O_PATH) !== 0 || mode === (access === 'read' ? O_WRONLY : O_RDONLY)) {
    throw new SyscallError('EBADF');
  }
  if (!st.isFIFO()) throw new SyscallError('ENOSTR');
  return { key: `${st.dev}:${st.ino}`, flags };
}

function readInt(call: Call, addr: bigint): number {
  return call.read(addr, 4).readInt32LE(0);
}

function writeInt(call: Call, addr: bigint, value: number): void {
  const b = Buffer.alloc(4);
  b.writeInt32LE(value, 0);
  call.write(addr, b);
}

/** A receiver's strbuf: its maxlen (-1: do not process the part) and buffer. */
interface RecvBuf {
  readonly addr: bigint;
  readonly maxlen: number;
  readonly buf: bigint;
}

/** Any negative maxlen counts as -1, as in OpenSS7's stream head. */
function readRecvBuf(call: Call, addr: bigint): RecvBuf | null {
  if (addr === 0n) return null;
  const sb = structs.strbuf.read(call, addr);
  return { addr, maxlen: Math.max(sb.maxlen, -1), buf: sb.buf };
}

/**
 * A sender's part: null when absent (NULL strbuf, or len < 0); len 0 is a
 * present, empty part. ERANGE above limit.
 */
function readPart(call: Call, addr: bigint, limit: number): Buffer | null {
  if (addr === 0n) return null;
  const { len, buf } = structs.strbuf.read(call, addr);
  if (len < 0) return null;
  if (len > limit) throw new SyscallError('ERANGE');
  return len === 0 ? Buffer.alloc(0) : call.read(buf, len);
}

/** Copy one part to the receiver and set its len (-1: absent or not processed). */
function copyPart(call: Call, rb: RecvBuf | null, bytes: Uint8Array | null): void {
  if (rb === null) return;
  if (bytes !== null && bytes.length > 0) call.write(rb.buf, bytes);
  writeInt(call, rb.addr + BigInt(STRBUF_LEN), bytes === null ? -1 : bytes.length);
}

/** A fresh `streams` module: each call gets its own queues. */
export function streams(): Module {
  const table = new StreamTable();

  /**
   * putpmsg(fd, const struct strbuf *ctl, const struct strbuf *data, int band, int flags).
   * Both parts absent: no message, returns 0 (POSIX), unless MSG_HIPRI (EINVAL).
   */
  function putpmsg(call: Call): number {
    const fd = streamFd(call, call.int(0), 'write');
    const cls = parsePutFlags(call.int(3), call.int(4));
    if (cls === null) throw new SyscallError('EINVAL');
    const ctl = readPart(call, call.ptr(1), STRCTLSZ);
    const data = readPart(call, call.ptr(2), STRMSGSZ);
    if (cls.hipri && ctl === null) throw new SyscallError('EINVAL');
    if (ctl === null && data === null) return 0;
    table.get(fd.key).put({ ...cls, ctl, data });
    table.release(fd.key);
    return 0;
  }

  /**
   * getpmsg(fd, struct strbuf *ctl, struct strbuf *data, int *bandp, int *flagsp).
   * Returns 0 or MORECTL|MOREDATA. Blocks until an eligible message is at the
   * head, or fails EAGAIN on an O_NONBLOCK fd. bandp NULL: getmsg() semantics.
   */
  async function getpmsg(call: Call): Promise<number> {
    const fd = streamFd(call, call.int(0), 'read');
    const [ctlp, datap, bandp, flagsp] = [call.ptr(1), call.ptr(2), call.ptr(3), call.ptr(4)];
    const convention: Convention = bandp === 0n ? 'msg' : 'pmsg';
    const want = parseGetFlags(readInt(call, flagsp), convention === 'msg' ? null : readInt(call, bandp));
    if (want === null) throw new SyscallError('EINVAL');
    const ctl = readRecvBuf(call, ctlp);
    const data = readRecvBuf(call, datap);
    const limits = { ctl: ctl?.maxlen ?? -1, data: data?.maxlen ?? -1 };

    // Copied out before the queue lets go of the message: an EFAULT loses nothing.
    const copyOut = (d: Delivery): void => {
      copyPart(call, ctl, d.ctl);
      copyPart(call, data, d.data);
      if (convention === 'pmsg') writeInt(call, bandp, d.band);
      writeInt(call, flagsp, returnedFlags(d, convention));
    };

    const queue = table.get(fd.key);
    try {
      for (;;) {
        // If the answer never reaches the caller (a signal interrupted the call
        // after we answered; the kernel restarts it), the message goes back.
        const d = queue.receive(want, limits, copyOut, (original, rest) =>
          call.onAbandoned(() => {
            table.get(fd.key).restore(original, rest);
            table.release(fd.key);
          }),
        );
        if (d !== undefined) return d.more;
        if ((fd.flags & O_NONBLOCK) !== 0) throw new SyscallError('EAGAIN');
        try {
          await queue.wait(want, call.signal);
        } catch {
          throw new SyscallError('EINTR'); // the thread is gone: nobody sees this answer
        }
      }
    } finally {
      table.release(fd.key);
    }
  }

  return defineModule({
    name: 'streams',
    description: 'STREAMS getpmsg/putpmsg: prioritised messages on pipes and FIFOs',
    syscalls: {
      getpmsg: { handler: getpmsg, timeout: null }, // blocks until a message arrives
      putpmsg,
    },
  });
}

export default streams;
