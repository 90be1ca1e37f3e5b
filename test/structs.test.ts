// structs: the codecs read what real programs pass (sleep's timespec, the
// stat the kernel fills, python's iovecs and socket addresses), checked
// against what the program or the file system says natively; strbuf is the
// streams module's (test/modules/). Encoding is the inverse of decoding.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defineModule, run, structs, type Iovec, type Sockaddr, type Stat, type Timespec } from '../lib/index.js';
import { haveProgram } from './helpers.js';

const python = haveProgram('python3', ['-c', '0']);

describe('structs on real calls', () => {
  it("timespec: sleep's clock_nanosleep request", async () => {
    const seen: Timespec[] = [];
    const mod = defineModule({
      name: 'ts',
      syscalls: {
        clock_nanosleep: (c) => {
          seen.push(structs.timespec.read(c, c.ptr(2)));
          return c.next();
        },
      },
    });
    const r = await run(['sleep', '0.25'], { modules: [mod] });
    expect(r.exitCode).toBe(0);
    expect(seen).toEqual([{ sec: 0n, nsec: 250_000_000n }]);
  });

  it('stat: what the kernel filled in, read at the exit of newfstatat, equals fs.statSync', async () => {
    const file = '/etc/hostname';
    let st: Stat | undefined;
    const mod = defineModule({
      name: 'st',
      syscalls: {
        newfstatat: {
          timeout: null,
          handler: async (c) => {
            const path = c.readCString(c.ptr(1));
            const o = await c.observe();
            if (path === file && o.type === 'return') st = structs.stat.read(c, c.ptr(2));
            return o;
          },
        },
      },
    });
    // dash's test(1) builtin calls stat(2), which glibc makes newfstatat on x86-64.
    const r = await run(['sh', '-c', `test -f ${file}`], { modules: [mod] });
    expect(r.exitCode).toBe(0);
    const want = fs.statSync(file, { bigint: true });
    expect(st).toMatchObject({ ino: want.ino, size: want.size, mode: Number(want.mode), uid: Number(want.uid), nlink: want.nlink, dev: want.dev });
    expect(st!.mtime.sec * 1_000_000_000n + st!.mtime.nsec).toBe(want.mtimeNs);
    expect(structs.stat.decode(structs.stat.encode(st!))).toEqual(st);
  });

  it.skipIf(!python)('iovec[]: python os.writev, read with readArray (needs python3)', async () => {
    const vecs: Iovec[] = [];
    const parts: string[] = [];
    const mod = defineModule({
      name: 'iov',
      syscalls: {
        writev: (c) => {
          if (c.int(0) === 1) {
            for (const v of structs.iovec.readArray(c, c.ptr(1), c.int(2))) {
              vecs.push(v);
              parts.push(c.read(v.base, Number(v.len)).toString());
            }
          }
          return c.next();
        },
      },
    });
    const r = await run(['python3', '-c', "import os; os.writev(1, [b'ab', b'cde'])"], { modules: [mod] });
    expect(r.stdout).toBe('abcde');
    expect(vecs.map((v) => v.len)).toEqual([2n, 3n]);
    expect(parts).toEqual(['ab', 'cde']);
  });

  it.skipIf(!python)('sockaddr: AF_INET, AF_INET6 and AF_UNIX (path and abstract) from python (needs python3)', async () => {
    const seen: Sockaddr[] = [];
    const mod = defineModule({
      name: 'sa',
      syscalls: {
        sendto: (c) => {
          seen.push(structs.sockaddr.read(c, c.ptr(4), c.uint(5)));
          return c.next();
        },
      },
    });
    const script = [
      'import socket',
      "socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('127.0.0.1', 9))",
      'try:',
      "    socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).sendto(b'x', ('::1', 9))",
      'except OSError: pass',
      'u = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
      "for a in ('/nonexistent/sock', '\\0sysstub-abstract'):",
      '    try: u.sendto(b"x", a)',
      '    except OSError: pass',
    ].join('\n');
    await run(['python3', '-c', script], { modules: [mod] });
    expect(seen).toContainEqual({ family: 'AF_INET', port: 9, address: '127.0.0.1' });
    expect(seen).toContainEqual({ family: 'AF_UNIX', path: '/nonexistent/sock', abstract: false });
    expect(seen).toContainEqual({ family: 'AF_UNIX', path: 'sysstub-abstract', abstract: true });
    const v6 = seen.find((s) => s.family === 'AF_INET6');
    if (v6) expect(v6).toMatchObject({ port: 9, address: '::1' });
  });
});

describe('structs: encode and decode are inverse', () => {
  it('timespec, iovec, strbuf', () => {
    const t = { sec: -1n, nsec: 999_999_999n };
    expect(structs.timespec.decode(structs.timespec.encode(t))).toEqual(t);
    const v = { base: 0xffff_8000_0000_0000n, len: 42n };
    expect(structs.iovec.decode(structs.iovec.encode(v))).toEqual(v);
    const s = { maxlen: -1, len: 7, buf: 0x7fff_0000_1000n };
    expect(structs.strbuf.decode(structs.strbuf.encode(s))).toEqual(s);
    expect(structs.strbuf.size).toBe(16);
    expect(structs.stat.size).toBe(144);
  });

  it('sockaddr text forms: IPv6 zero runs compressed as RFC 5952 says, unknown families kept as bytes', () => {
    const v6 = Buffer.alloc(28);
    v6.writeUInt16LE(10, 0);
    v6.writeUInt16BE(443, 2);
    v6.writeUInt16BE(0x2001, 8);
    v6.writeUInt16BE(0xdb8, 10);
    v6.writeUInt16BE(1, 22);
    expect(structs.sockaddr.decode(v6)).toMatchObject({ family: 'AF_INET6', port: 443, address: '2001:db8::1' });
    expect(structs.sockaddr.decode(Buffer.from([0x11, 0, 1, 2]))).toEqual({ family: 17, bytes: Buffer.from([0x11, 0, 1, 2]) });
  });
});
