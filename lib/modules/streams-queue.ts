// The message queue behind the `streams` module, as pure data: no processes, no
// tracee memory. It models a STREAMS stream-head read queue as SVR4 getmsg(2)/
// putmsg(2) and POSIX XSR getpmsg()/putpmsg() describe it: message classes
// (high priority, bands 255..0), truncation that leaves the rest at the head,
// and which message a getpmsg() filter may take. streams.ts does fds and memory.

/** putpmsg flags / getpmsg *flagsp values (<stropts.h>). */
export const MSG_HIPRI = 1;
export const MSG_ANY = 2;
export const MSG_BAND = 4;
/** getmsg/putmsg spelling of the high-priority flag (same value as MSG_HIPRI). */
export const RS_HIPRI = 1;
/** getpmsg return bits: part of the message is still queued. */
export const MORECTL = 1;
export const MOREDATA = 2;
/** Priority bands are 0..255. */
const MAX_BAND = 255;

/** One message on the queue. A part is null when absent (the sender's len was -1 or its strbuf NULL). */
export interface StreamMessage {
  readonly hipri: boolean;
  /** 0..255; always 0 for a high-priority message. */
  readonly band: number;
  readonly ctl: Uint8Array | null;
  readonly data: Uint8Array | null;
}

/** Which messages a getpmsg call accepts. */
export type Want =
  | { readonly kind: 'hipri' }
  | { readonly kind: 'any' }
  | { readonly kind: 'band'; readonly band: number };

/**
 * The receiver's maxlen for each part. A negative value (maxlen -1, or a NULL
 * strbuf) means "do not process this part": it stays queued (SVR4 getmsg(2)).
 */
export interface Limits {
  readonly ctl: number;
  readonly data: number;
}

/** What one getpmsg call hands to the receiver. */
export interface Delivery {
  readonly hipri: boolean;
  readonly band: number;
  /** Bytes for the receiver, or null: that strbuf's len becomes -1 (absent, or not processed). */
  readonly ctl: Uint8Array | null;
  readonly data: Uint8Array | null;
  /** MORECTL | MOREDATA: what of this message is still at the head of the queue. */
  readonly more: number;
}

/** A getmsg/putmsg call made through the getpmsg/putpmsg slots (glibc's convention). */
export type Convention = 'pmsg' | 'msg';

/**
 * Validate putpmsg's band and flags; null means EINVAL.
 * band -1 is how glibc's putmsg() calls putpmsg (LiS and OpenSS7 honour it):
 * then flags is putmsg's, 0 (normal, band 0) or RS_HIPRI.
 */
export function parsePutFlags(band: number, flags: number): { hipri: boolean; band: number } | null {
  if (band === -1) {
    if (flags === 0) return { hipri: false, band: 0 };
    if (flags === RS_HIPRI) return { hipri: true, band: 0 };
    return null;
  }
  if (flags === MSG_HIPRI) return band === 0 ? { hipri: true, band: 0 } : null;
  if (flags === MSG_BAND) return Number.isInteger(band) && band >= 0 && band <= MAX_BAND ? { hipri: false, band } : null;
  return null;
}

/**
 * Validate getpmsg's *flagsp and *bandp; null means EINVAL. band is null when
 * bandp is NULL, glibc's getmsg() convention: then flags is getmsg's, 0 or RS_HIPRI.
 * MSG_ANY and MSG_HIPRI require *bandp == 0 (AIX getpmsg(2), OpenSS7).
 */
export function parseGetFlags(flags: number, band: number | null): Want | null {
  if (band === null) {
    if (flags === 0) return { kind: 'any' };
    if (flags === RS_HIPRI) return { kind: 'hipri' };
    return null;
  }
  if (flags === MSG_HIPRI) return band === 0 ? { kind: 'hipri' } : null;
  if (flags === MSG_ANY) return band === 0 ? { kind: 'any' } : null;
  if (flags === MSG_BAND) return Number.isInteger(band) && band >= 0 && band <= MAX_BAND ? { kind: 'band', band } : null;
  return null;
}

/** The *flagsp value getpmsg (or getmsg) reports for a delivered message. */
export function returnedFlags(d: Pick<Delivery, 'hipri'>, convention: Convention): number {
  if (d.hipri) return MSG_HIPRI; // == RS_HIPRI
  return convention === 'msg' ? 0 : MSG_BAND;
}

/**
 * May a getpmsg with this filter take message m? SVR4/POSIX: MSG_HIPRI takes
 * only high-priority messages; MSG_BAND a message of band >= *bandp "or a
 * high-priority message" (POSIX getpmsg, HP-UX getmsg(2)); MSG_ANY anything.
 */
export function eligible(m: StreamMessage, want: Want): boolean {
  switch (want.kind) {
    case 'any': return true;
    case 'hipri': return m.hipri;
    case 'band': return m.hipri || m.band >= want.band;
  }
}

/** Queue rank: high priority above every band. */
function rank(m: StreamMessage): number {
  return m.hipri ? MAX_BAND + 1 : m.band;
}

/** Take up to maxlen bytes of a part: [what the receiver gets, what stays queued]. */
function takePart(part: Uint8Array | null, maxlen: number): [Uint8Array | null, Uint8Array | null] {
  if (part === null) return [null, null];
  if (maxlen < 0) return [null, part]; // not processed: the whole part stays
  const n = Math.min(maxlen, part.length);
  // A zero-length part with maxlen 0 is consumed (len 0); a longer one stays (SVR4 getmsg(2)).
  return [part.subarray(0, n), n < part.length ? part.subarray(n) : null];
}

/** Split a message for a receiver: the delivery, and the remainder that stays at the head (or null). */
export function split(m: StreamMessage, limits: Limits): { delivery: Delivery; rest: StreamMessage | null } {
  const [ctl, ctlRest] = takePart(m.ctl, limits.ctl);
  const [data, dataRest] = takePart(m.data, limits.data);
  const more = (ctlRest !== null ? MORECTL : 0) | (dataRest !== null ? MOREDATA : 0);
  const rest = more === 0 ? null : { hipri: m.hipri, band: m.band, ctl: ctlRest, data: dataRest };
  return { delivery: { hipri: m.hipri, band: m.band, ctl, data, more }, rest };
}

/**
 * One stream's read queue: high-priority messages first, then bands 255..0,
 * FIFO within a class. Several high-priority messages queue in FIFO order
 * (a real stream head keeps only one and drops later ones; an emulator that
 * drops messages would only surprise). Unbounded: putpmsg never blocks.
 */
export class StreamQueue {
  readonly #messages: StreamMessage[] = [];
  readonly #waiters = new Set<() => void>();

  /** Messages queued. */
  get length(): number {
    return this.#messages.length;
  }

  /** True when nothing is queued and nobody waits: the queue can be forgotten. */
  get idle(): boolean {
    return this.#messages.length === 0 && this.#waiters.size === 0;
  }

  /** Queued messages, head first (for tests and debugging). */
  messages(): readonly StreamMessage[] {
    return [...this.#messages];
  }

  /** Queue a message behind every message of its class or a higher one, then wake waiters. */
  put(m: StreamMessage): void {
    if (m.ctl === null && m.data === null) throw new RangeError('StreamQueue.put: a message needs a control or a data part');
    if (m.hipri ? m.band !== 0 : !(Number.isInteger(m.band) && m.band >= 0 && m.band <= MAX_BAND)) {
      throw new RangeError(`StreamQueue.put: bad band ${m.band}${m.hipri ? ' for a high-priority message' : ''}`);
    }
    const r = rank(m);
    let i = this.#messages.findIndex((q) => rank(q) < r);
    if (i < 0) i = this.#messages.length;
    this.#messages.splice(i, 0, m);
    for (const wake of [...this.#waiters]) wake();
  }

  /**
   * The message a getpmsg with this filter would take, or undefined. SVR4 only
   * ever looks at the head ("process the next message only if..."); since the
   * queue is sorted by class and every filter accepts a top range of classes,
   * the head is eligible exactly when some message is.
   */
  head(want: Want): StreamMessage | undefined {
    const m = this.#messages[0];
    return m !== undefined && eligible(m, want) ? m : undefined;
  }

  /**
   * Take (part of) the head message. copyOut runs first: if it throws (EFAULT),
   * the queue is left unchanged and the error propagates, so no message is lost
   * to a bad receive buffer. What was not taken stays at the head, in its class.
   * Returns undefined, without calling copyOut, when no message is eligible.
   */
  receive(want: Want, limits: Limits, copyOut?: (d: Delivery) => void, taken?: (original: StreamMessage, rest: StreamMessage | null) => void): Delivery | undefined {
    const m = this.head(want);
    if (m === undefined) return undefined;
    const { delivery, rest } = split(m, limits);
    copyOut?.(delivery);
    if (rest === null) this.#messages.shift();
    else this.#messages[0] = rest;
    taken?.(m, rest);
    return delivery;
  }

  /**
   * Undo a receive(): put the whole original message back at the head of its
   * class (replacing what receive() left of it, if that is still there), then
   * wake waiters. For a taken message whose answer never reached the caller.
   */
  restore(original: StreamMessage, rest: StreamMessage | null): void {
    const i = rest === null ? -1 : this.#messages.indexOf(rest);
    if (i >= 0) this.#messages[i] = original;
    else {
      const r = rank(original);
      let at = this.#messages.findIndex((q) => rank(q) <= r);
      if (at < 0) at = this.#messages.length;
      this.#messages.splice(at, 0, original);
    }
    for (const wake of [...this.#waiters]) wake();
  }

  /**
   * Resolve when a message this filter accepts is at the head (maybe at once).
   * Another receiver may take it first: callers loop on receive(). Rejects
   * with signal.reason when the signal aborts.
   */
  wait(want: Want, signal?: AbortSignal): Promise<void> {
    if (this.head(want) !== undefined) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        this.#waiters.delete(wake);
        signal?.removeEventListener('abort', onAbort);
      };
      const wake = (): void => {
        if (this.head(want) === undefined) return;
        done();
        resolve();
      };
      const onAbort = (): void => {
        done();
        reject(signal?.reason);
      };
      this.#waiters.add(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/**
 * Queues by stream identity (for pipes and FIFOs: the inode's dev:ino). A queue
 * is dropped once it is empty and unwaited, so pipes that come and go do not
 * accumulate. Use get() then release() around every use.
 */
export class StreamTable {
  readonly #queues = new Map<string, { queue: StreamQueue; users: number }>();

  /** The queue under key, created when needed; each get() is paired with a release(). */
  get(key: string): StreamQueue {
    let e = this.#queues.get(key);
    if (e === undefined) {
      e = { queue: new StreamQueue(), users: 0 };
      this.#queues.set(key, e);
    }
    e.users++;
    return e.queue;
  }

  /**
   * One user less; the queue under key goes once nobody uses it and it holds
   * nothing. Counted, so that a waiter woken by a put but not yet waiting
   * again keeps the queue it will wait on (two getpmsg on one pipe).
   */
  release(key: string): void {
    const e = this.#queues.get(key);
    if (e === undefined) return;
    if (e.users > 0) e.users--;
    if (e.users === 0 && e.queue.idle) this.#queues.delete(key);
  }

  /** Streams with a live queue. */
  get size(): number {
    return this.#queues.size;
  }
}
