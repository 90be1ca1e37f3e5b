// The streams module's queue, without processes: class order, truncation and
// remainders, getpmsg filters, waiting, and flag validation (SVR4 getmsg(2)).
import { describe, expect, it } from 'vitest';
import {
  MORECTL,
  MOREDATA,
  MSG_ANY,
  MSG_BAND,
  MSG_HIPRI,
  RS_HIPRI,
  StreamQueue,
  StreamTable,
  eligible,
  parseGetFlags,
  parsePutFlags,
  returnedFlags,
  split,
  type Delivery,
  type Limits,
  type StreamMessage,
  type Want,
} from '../../lib/modules/streams-queue.js';

const ANY: Want = { kind: 'any' };
const HIPRI: Want = { kind: 'hipri' };
const band = (b: number): Want => ({ kind: 'band', band: b });
const ALL: Limits = { ctl: 1024, data: 1024 };

const bytes = (s: string | null): Uint8Array | null => (s === null ? null : Buffer.from(s));
const text = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b).toString());

function msg(cls: number | 'H', data: string | null, ctl: string | null = null): StreamMessage {
  return { hipri: cls === 'H', band: cls === 'H' ? 0 : cls, ctl: bytes(ctl), data: bytes(data) };
}

/** A delivery as plain strings, for readable expectations. */
function show(d: Delivery | undefined): object | undefined {
  if (d === undefined) return undefined;
  return { cls: d.hipri ? 'H' : d.band, ctl: text(d.ctl), data: text(d.data), more: d.more };
}

function drain(q: StreamQueue, want: Want = ANY): string[] {
  const out: string[] = [];
  for (let d = q.receive(want, ALL); d !== undefined; d = q.receive(want, ALL)) {
    out.push(`${d.hipri ? 'H' : d.band}:${text(d.ctl) ?? '-'}/${text(d.data) ?? '-'}`);
  }
  return out;
}

describe('queue order', () => {
  it('puts high priority first, then bands high to low, FIFO within each', () => {
    const q = new StreamQueue();
    q.put(msg(0, 'a'));
    q.put(msg(5, 'b'));
    q.put(msg(2, 'c'));
    q.put(msg('H', 'x', 'h'));
    q.put(msg(5, 'd'));
    q.put(msg('H', null, 'i'));
    q.put(msg(255, 'top'));
    expect(q.length).toBe(7);
    expect(drain(q)).toEqual(['H:h/x', 'H:i/-', '255:-/top', '5:-/b', '5:-/d', '2:-/c', '0:-/a']);
    expect(q.length).toBe(0);
  });

  it('rejects messages the module must never queue', () => {
    const q = new StreamQueue();
    expect(() => q.put(msg(0, null))).toThrow(RangeError);
    expect(() => q.put(msg(256, 'x'))).toThrow(RangeError);
    expect(() => q.put(msg(-1, 'x'))).toThrow(RangeError);
    expect(() => q.put({ hipri: true, band: 3, ctl: bytes('c'), data: null })).toThrow(RangeError);
  });
});

describe('truncation', () => {
  it('leaves the rest of a long control part at the head, same band, MORECTL', () => {
    const q = new StreamQueue();
    q.put(msg(3, 'DATA', 'CONTROL'));
    expect(show(q.receive(ANY, { ctl: 3, data: 64 }))).toEqual({ cls: 3, ctl: 'CON', data: 'DATA', more: MORECTL });
    expect(show(q.receive(ANY, ALL))).toEqual({ cls: 3, ctl: 'TROL', data: null, more: 0 });
    expect(q.length).toBe(0);
  });

  it('sets MOREDATA, and both bits when both parts are cut', () => {
    const q = new StreamQueue();
    q.put(msg(1, 'UVWXYZ', 'ABCDEF'));
    expect(show(q.receive(ANY, { ctl: 2, data: 2 }))).toEqual({ cls: 1, ctl: 'AB', data: 'UV', more: MORECTL | MOREDATA });
    expect(show(q.receive(ANY, { ctl: 64, data: 2 }))).toEqual({ cls: 1, ctl: 'CDEF', data: 'WX', more: MOREDATA });
    expect(show(q.receive(ANY, ALL))).toEqual({ cls: 1, ctl: null, data: 'YZ', more: 0 });
  });

  it('keeps the remainder ahead of later messages of its band, behind higher ones', () => {
    const q = new StreamQueue();
    q.put(msg(3, '0123456789', 'C'));
    q.put(msg(3, 'xyz'));
    q.receive(ANY, { ctl: 64, data: 4 });
    q.put(msg(7, 'urgent'));
    expect(drain(q)).toEqual(['7:-/urgent', '3:-/456789', '3:-/xyz']);
  });

  it('keeps a high-priority remainder high priority', () => {
    const q = new StreamQueue();
    q.put(msg(9, 'band'));
    q.put(msg('H', 'priority', 'HIGH'));
    expect(show(q.receive(ANY, { ctl: 2, data: 64 }))).toEqual({ cls: 'H', ctl: 'HI', data: 'priority', more: MORECTL });
    expect(show(q.receive(HIPRI, ALL))).toEqual({ cls: 'H', ctl: 'GH', data: null, more: 0 });
    expect(drain(q)).toEqual(['9:-/band']);
  });

  it('maxlen -1 leaves a present part queued and reports len -1', () => {
    const q = new StreamQueue();
    q.put(msg(0, 'D', 'C'));
    expect(show(q.receive(ANY, { ctl: -1, data: 64 }))).toEqual({ cls: 0, ctl: null, data: 'D', more: MORECTL });
    expect(show(q.receive(ANY, { ctl: -1, data: -1 }))).toEqual({ cls: 0, ctl: null, data: null, more: MORECTL });
    expect(show(q.receive(ANY, ALL))).toEqual({ cls: 0, ctl: 'C', data: null, more: 0 });
  });

  it('maxlen 0 takes an empty part (len 0) but leaves a non-empty one', () => {
    const q = new StreamQueue();
    q.put(msg(0, 'Z', ''));
    expect(show(q.receive(ANY, { ctl: 0, data: 0 }))).toEqual({ cls: 0, ctl: '', data: '', more: MOREDATA });
    expect(show(q.receive(ANY, ALL))).toEqual({ cls: 0, ctl: null, data: 'Z', more: 0 });
  });

  it('an absent part is len -1 and never MORE, whatever the maxlen', () => {
    expect(show(split(msg(0, 'd'), { ctl: -1, data: 8 }).delivery)).toEqual({ cls: 0, ctl: null, data: 'd', more: 0 });
    expect(show(split(msg(0, 'd'), { ctl: 0, data: 8 }).delivery)).toEqual({ cls: 0, ctl: null, data: 'd', more: 0 });
    expect(split(msg(0, 'd'), ALL).rest).toBeNull();
  });

  it('leaves the queue untouched when copyOut throws', () => {
    const q = new StreamQueue();
    q.put(msg(0, 'keep'));
    expect(() => q.receive(ANY, ALL, () => { throw new Error('EFAULT'); })).toThrow('EFAULT');
    expect(drain(q)).toEqual(['0:-/keep']);
  });

  it('hands copyOut exactly what it returns', () => {
    const q = new StreamQueue();
    q.put(msg(4, 'data', 'ctl'));
    let seen: Delivery | undefined;
    const d = q.receive(ANY, { ctl: 1, data: 64 }, (x) => { seen = x; });
    expect(seen).toBe(d);
  });
});

describe('getpmsg filters', () => {
  it('MSG_BAND takes band >= *bandp only', () => {
    const q = new StreamQueue();
    q.put(msg(1, 'one'));
    q.put(msg(3, 'three'));
    expect(drain(q, band(2))).toEqual(['3:-/three']);
    expect(q.head(band(2))).toBeUndefined();
    expect(drain(q, band(1))).toEqual(['1:-/one']);
  });

  it('MSG_BAND also takes a high-priority message (SVR4/POSIX getpmsg)', () => {
    const q = new StreamQueue();
    q.put(msg(1, 'low'));
    q.put(msg('H', null, 'H'));
    expect(drain(q, band(5))).toEqual(['H:H/-']);
    expect(q.length).toBe(1);
  });

  it('MSG_HIPRI takes only high-priority messages', () => {
    const q = new StreamQueue();
    q.put(msg(9, 'nine'));
    expect(q.receive(HIPRI, ALL)).toBeUndefined();
    q.put(msg('H', 'q', 'P'));
    expect(drain(q, HIPRI)).toEqual(['H:P/q']);
    expect(drain(q)).toEqual(['9:-/nine']);
  });

  it('eligible() per filter', () => {
    expect(eligible(msg(0, 'x'), ANY)).toBe(true);
    expect(eligible(msg(0, 'x'), HIPRI)).toBe(false);
    expect(eligible(msg('H', null, 'c'), HIPRI)).toBe(true);
    expect(eligible(msg(4, 'x'), band(4))).toBe(true);
    expect(eligible(msg(3, 'x'), band(4))).toBe(false);
    expect(eligible(msg('H', null, 'c'), band(255))).toBe(true);
  });
});

describe('waiting', () => {
  it('resolves at once when a message is eligible', async () => {
    const q = new StreamQueue();
    q.put(msg(0, 'x'));
    await expect(q.wait(ANY)).resolves.toBeUndefined();
  });

  it('resolves on an eligible put only, and then the queue is not idle', async () => {
    const q = new StreamQueue();
    let woke = false;
    const w = q.wait(band(5)).then(() => { woke = true; });
    expect(q.idle).toBe(false);
    q.put(msg(1, 'low'));
    await Promise.resolve();
    expect(woke).toBe(false);
    q.put(msg(6, 'high'));
    await w;
    expect(woke).toBe(true);
    expect(drain(q, band(5))).toEqual(['6:-/high']);
  });

  it('rejects with the signal reason when aborted, and forgets the waiter', async () => {
    const q = new StreamQueue();
    const ac = new AbortController();
    const w = q.wait(ANY, ac.signal);
    ac.abort(new Error('thread died'));
    await expect(w).rejects.toThrow('thread died');
    expect(q.idle).toBe(true);
    const pre = new AbortController();
    pre.abort(new Error('already'));
    await expect(q.wait(ANY, pre.signal)).rejects.toThrow('already');
  });
});

describe('StreamTable', () => {
  it('keeps one queue per key and drops idle ones once every user released it', () => {
    const t = new StreamTable();
    const a = t.get('0:1');
    expect(t.get('0:1')).toBe(a);
    t.release('0:1');
    expect(t.get('0:2')).not.toBe(a);
    t.release('0:2');
    expect(t.size).toBe(1); // '0:2' went; '0:1' is still in use
    a.put(msg(0, 'x'));
    t.release('0:1');
    expect(t.size).toBe(1); // not idle: it holds a message
    expect(t.get('0:1')).toBe(a);
    drain(a);
    t.release('0:1');
    expect(t.size).toBe(0);
  });
});

describe('flag validation', () => {
  it('putpmsg: MSG_BAND 0..255, MSG_HIPRI band 0, putmsg convention with band -1', () => {
    expect(parsePutFlags(0, MSG_BAND)).toEqual({ hipri: false, band: 0 });
    expect(parsePutFlags(255, MSG_BAND)).toEqual({ hipri: false, band: 255 });
    expect(parsePutFlags(0, MSG_HIPRI)).toEqual({ hipri: true, band: 0 });
    expect(parsePutFlags(-1, 0)).toEqual({ hipri: false, band: 0 });
    expect(parsePutFlags(-1, RS_HIPRI)).toEqual({ hipri: true, band: 0 });
    for (const [b, f] of [[256, MSG_BAND], [-1, MSG_BAND], [-2, MSG_BAND], [1, MSG_HIPRI], [0, 0], [0, MSG_ANY], [0, 3], [-1, MSG_ANY]]) {
      expect(parsePutFlags(b!, f!), `band ${b} flags ${f}`).toBeNull();
    }
  });

  it('getpmsg: MSG_ANY/MSG_HIPRI need *bandp 0, MSG_BAND 0..255, getmsg convention with bandp NULL', () => {
    expect(parseGetFlags(MSG_ANY, 0)).toEqual(ANY);
    expect(parseGetFlags(MSG_HIPRI, 0)).toEqual(HIPRI);
    expect(parseGetFlags(MSG_BAND, 7)).toEqual(band(7));
    expect(parseGetFlags(0, null)).toEqual(ANY);
    expect(parseGetFlags(RS_HIPRI, null)).toEqual(HIPRI);
    for (const [f, b] of [[0, 0], [7, 0], [MSG_HIPRI, 1], [MSG_ANY, 3], [MSG_BAND, -1], [MSG_BAND, 256], [MSG_BAND, null]] as const) {
      expect(parseGetFlags(f, b), `flags ${f} band ${b}`).toBeNull();
    }
  });

  it('reports MSG_HIPRI/MSG_BAND, or getmsg flags 0/RS_HIPRI', () => {
    expect(returnedFlags({ hipri: true }, 'pmsg')).toBe(MSG_HIPRI);
    expect(returnedFlags({ hipri: false }, 'pmsg')).toBe(MSG_BAND);
    expect(returnedFlags({ hipri: true }, 'msg')).toBe(RS_HIPRI);
    expect(returnedFlags({ hipri: false }, 'msg')).toBe(0);
  });
});

describe('StreamQueue.restore', () => {
  it('puts a taken message back at the head of its class, whole, and wakes waiters', async () => {
    const { StreamQueue } = await import('../../lib/modules/streams-queue.js');
    const q = new StreamQueue();
    const enc = (s: string) => new TextEncoder().encode(s);
    q.put({ hipri: false, band: 3, ctl: null, data: enc('first') });
    q.put({ hipri: false, band: 3, ctl: null, data: enc('second') });
    let original: unknown;
    let rest: unknown;
    const want = { kind: 'any' } as const;
    const d = q.receive(want, { ctl: -1, data: 2 }, undefined, (o, r) => ((original = o), (rest = r)));
    expect(d).toBeDefined();
    expect(rest).not.toBeNull(); // truncated: "rst" stayed
    q.restore(original as never, rest as never);
    expect(q.messages().map((m) => new TextDecoder().decode(m.data!))).toEqual(['first', 'second']);
    q.receive(want, { ctl: -1, data: 64 }, undefined, (o, r) => ((original = o), (rest = r)));
    expect(q.messages()).toHaveLength(1);
    q.restore(original as never, rest as never);
    expect(q.messages().map((m) => new TextDecoder().decode(m.data!))).toEqual(['first', 'second']);
  });
});
