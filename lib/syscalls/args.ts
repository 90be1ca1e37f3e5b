// Which argument of a call is what a rule or a record is about: its path
// (the faults module's path=), or the fd it acts on (path= on fd calls, and
// SyscallRecord.fd). A record's path comes from what the decoders capture
// (the `role: 'path'` captures of trace/signatures.ts).

// The path argument of the calls that take one (the first, where there are two).
export const PATH_ARG: Readonly<Record<string, number>> = {
  open: 0, creat: 0, stat: 0, lstat: 0, access: 0, execve: 0, truncate: 0, chdir: 0, chroot: 0, mkdir: 0, rmdir: 0,
  unlink: 0, rename: 0, link: 0, symlink: 1, readlink: 0, chmod: 0, chown: 0, lchown: 0, utime: 0, utimes: 0,
  mknod: 0, statfs: 0, acct: 0, swapon: 0, swapoff: 0, setxattr: 0, lsetxattr: 0, getxattr: 0, lgetxattr: 0,
  listxattr: 0, llistxattr: 0, removexattr: 0, lremovexattr: 0, uselib: 0, pivot_root: 0,
  openat: 1, openat2: 1, newfstatat: 1, statx: 1, faccessat: 1, faccessat2: 1, execveat: 1, unlinkat: 1,
  mkdirat: 1, mknodat: 1, renameat: 1, renameat2: 1, linkat: 1, symlinkat: 2, readlinkat: 1, fchmodat: 1,
  fchmodat2: 1, fchownat: 1, futimesat: 1, utimensat: 1, name_to_handle_at: 1, open_tree: 1, mount_setattr: 1,
  inotify_add_watch: 1, fanotify_mark: 4,
};

/** Calls whose first argument is the fd they act on. */
export const FD_CALLS: ReadonlySet<string> = new Set([
  'read', 'write', 'pread64', 'pwrite64', 'readv', 'writev', 'preadv', 'pwritev', 'preadv2', 'pwritev2', 'close', 'fstat', 'lseek',
  'ioctl', 'fcntl', 'dup', 'dup2', 'dup3', 'fsync', 'fdatasync', 'ftruncate', 'getdents64', 'getdents', 'flock', 'fchmod', 'fchown',
  'fstatfs', 'fchdir', 'sendfile', 'sendto', 'recvfrom', 'sendmsg', 'recvmsg', 'sendmmsg', 'recvmmsg', 'connect', 'bind', 'listen',
  'accept', 'accept4', 'shutdown', 'getsockname', 'getpeername', 'setsockopt', 'getsockopt', 'fadvise64', 'fallocate', 'getpmsg',
  'putpmsg', 'fgetxattr', 'fsetxattr', 'flistxattr', 'fremovexattr', 'syncfs', 'epoll_ctl', 'epoll_wait', 'epoll_pwait',
]);
