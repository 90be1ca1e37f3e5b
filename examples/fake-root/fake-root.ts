// fakeroot, the sysstub way: the program believes it runs as root. The
// getuid family answers 0 (constants: decided natively, no JavaScript per
// call); chown and its kin succeed without touching the file, and what they
// set is remembered for that file (by device and inode, so a relative path,
// a symlink or an open fd all name it) and shown by every later stat of it:
// `chown 1234:5678 f; stat -c %u:%g f` prints 1234:5678 while the file on
// disk keeps its real owner.
import fs from 'node:fs';
import path from 'node:path';
import { defineModule, structs, type Call, type HandlerSpec } from 'sysstub';

const AT_FDCWD = -100;
const AT_EMPTY_PATH = 0x1000;
const AT_SYMLINK_NOFOLLOW = 0x100;
// struct statx (linux/stat.h): stx_uid, stx_gid u32 at 20, 24; stx_ino u64 at
// 32; stx_dev_major, stx_dev_minor u32 at 136, 140.
const STATX = { uid: 20, gid: 24, ino: 32, devMajor: 136, devMinor: 140, size: 256 };

/** glibc's dev_t from major and minor (sys/sysmacros.h makedev). */
const makedev = (major: bigint, minor: bigint): bigint =>
  (minor & 0xffn) | ((major & 0xfffn) << 8n) | ((minor & ~0xffn) << 12n) | ((major & ~0xfffn) << 32n);

export function fakeRoot() {
  /** Owners set by chown, by `dev:ino`: [uid, gid] (-1: unchanged, as chown(2) says). */
  const owners = new Map<string, [number, number]>();

  /** The file a call names by (dirfd, path), seen from the caller (its cwd, its fds). */
  function fileAt(call: Call, dirfd: number, p: string, flags = 0): string {
    if (p === '' && flags & AT_EMPTY_PATH) return `/proc/${call.pid}/fd/${dirfd}`;
    if (p.startsWith('/')) return p;
    return path.join(dirfd === AT_FDCWD ? `/proc/${call.pid}/cwd` : `/proc/${call.pid}/fd/${dirfd}`, p);
  }
  const keyOf = (file: string, follow: boolean): string => {
    const st = (follow ? fs.statSync : fs.lstatSync)(file, { bigint: true });
    return `${st.dev}:${st.ino}`;
  };

  function chown(file: string, uid: number, gid: number, follow = true): number {
    const key = keyOf(file, follow);
    const [u, g] = owners.get(key) ?? [-1, -1];
    owners.set(key, [uid === -1 ? u : uid, gid === -1 ? g : gid]);
    return 0;
  }

  /** stat, fstat, newfstatat: the kernel filled a struct stat; show the remembered owner. */
  const stat = (buf: (c: Call) => bigint): HandlerSpec => ({
    timeout: null,
    handler: async (call) => {
      const o = await call.observe();
      if (o.type !== 'return') return o;
      const st = structs.stat.read(call, buf(call));
      const owner = owners.get(`${st.dev}:${st.ino}`);
      if (owner) {
        if (owner[0] !== -1) st.uid = owner[0];
        if (owner[1] !== -1) st.gid = owner[1];
        structs.stat.write(call, buf(call), st);
      }
      return o;
    },
  });

  /** statx: the same for a struct statx. */
  const statx: HandlerSpec = {
    timeout: null,
    handler: async (call) => {
      const o = await call.observe();
      if (o.type !== 'return') return o;
      const b = call.read(call.ptr(4), STATX.size);
      const dev = makedev(BigInt(b.readUInt32LE(STATX.devMajor)), BigInt(b.readUInt32LE(STATX.devMinor)));
      const owner = owners.get(`${dev}:${b.readBigUInt64LE(STATX.ino)}`);
      if (owner) {
        if (owner[0] !== -1) b.writeUInt32LE(owner[0], STATX.uid);
        if (owner[1] !== -1) b.writeUInt32LE(owner[1], STATX.gid);
        call.write(call.ptr(4), b.subarray(0, STATX.devMajor));
      }
      return o;
    },
  };

  return defineModule({
    name: 'fake-root',
    description: 'getuid family 0; chown remembered, shown by stat',
    syscalls: {
      getuid: { value: 0 }, geteuid: { value: 0 }, getgid: { value: 0 }, getegid: { value: 0 },
      getresuid: (c) => (zeros(c, 3), 0),
      getresgid: (c) => (zeros(c, 3), 0),
      chown: (c) => chown(fileAt(c, AT_FDCWD, c.readCString(c.ptr(0))), c.int(1), c.int(2)),
      lchown: (c) => chown(fileAt(c, AT_FDCWD, c.readCString(c.ptr(0))), c.int(1), c.int(2), false),
      fchown: (c) => chown(`/proc/${c.pid}/fd/${c.int(0)}`, c.int(1), c.int(2)),
      fchownat: (c) => chown(fileAt(c, c.int(0), c.readCString(c.ptr(1)), c.int(4)), c.int(2), c.int(3), !(c.int(4) & AT_SYMLINK_NOFOLLOW)),
      newfstatat: stat((c) => c.ptr(2)),
      fstat: stat((c) => c.ptr(1)),
      statx,
    },
  });
}

/** getresuid(ruid*, euid*, suid*): all three 0. */
function zeros(call: Call, n: number): void {
  for (let i = 0; i < n; i++) call.write(call.ptr(i), Buffer.alloc(4));
}

export default fakeRoot();
