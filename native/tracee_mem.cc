#include "tracee_mem.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

namespace sysstub {
namespace {

constexpr uint64_t kPage = 4096;

int ProcMemIo(pid_t tid, uint64_t addr, void* buf, size_t len, bool write) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/mem", tid);
  int fd = open(path, (write ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? -ESRCH : -errno;
  size_t done = 0;
  int rc = 0;
  while (done < len) {
    ssize_t n = write ? pwrite(fd, static_cast<const char*>(buf) + done, len - done, addr + done)
                      : pread(fd, static_cast<char*>(buf) + done, len - done, addr + done);
    if (n < 0 && errno == EINTR) continue;
    // EIO: an unmapped page; EINVAL: an offset past 2^63 (off_t is signed).
    if (n < 0) { rc = errno == EIO || errno == EINVAL ? -EFAULT : -errno; break; }
    if (n == 0) { rc = -EFAULT; break; }
    done += static_cast<size_t>(n);
  }
  close(fd);
  return rc;
}

}  // namespace

// No x86-64 user address reaches 2^63 (user space ends below 2^47, or 2^56
// with 5-level paging): such a pointer is EFAULT, as the kernel answers a
// syscall given one.
constexpr uint64_t kUserTop = uint64_t{1} << 63;

int ReadTraceeMemory(pid_t tid, uint64_t addr, void* buf, size_t len) {
  if (len == 0) return 0;
  if (addr + len < addr || addr + len > kUserTop) return -EFAULT;
  iovec local{buf, len}, remote{reinterpret_cast<void*>(addr), len};
  ssize_t n = process_vm_readv(tid, &local, 1, &remote, 1, 0);
  if (n == static_cast<ssize_t>(len)) return 0;
  if (n < 0 && errno == ESRCH) return -ESRCH;
  // Short or failed (EFAULT over a PROT_NONE-but-readable page, EPERM in some
  // containers): /proc/PID/mem decides.
  return ProcMemIo(tid, addr, buf, len, false);
}

int WriteTraceeMemory(pid_t tid, uint64_t addr, const void* buf, size_t len) {
  if (len == 0) return 0;
  if (addr + len < addr || addr + len > kUserTop) return -EFAULT;
  iovec local{const_cast<void*>(buf), len}, remote{reinterpret_cast<void*>(addr), len};
  ssize_t n = process_vm_writev(tid, &local, 1, &remote, 1, 0);
  if (n == static_cast<ssize_t>(len)) return 0;
  if (n < 0 && errno == ESRCH) return -ESRCH;
  // process_vm_writev cannot write read-only pages; /proc/PID/mem can.
  return ProcMemIo(tid, addr, const_cast<void*>(buf), len, true);
}

int ReadTraceeCString(pid_t tid, uint64_t addr, size_t max, std::string* out) {
  out->clear();
  char chunk[kPage];
  while (out->size() < max) {
    // Never cross a page boundary in one read: the next page may be unmapped
    // while the string ends before it.
    size_t want = static_cast<size_t>(kPage - (addr % kPage));
    if (want > max - out->size()) want = max - out->size();
    int rc = ReadTraceeMemory(tid, addr, chunk, want);
    if (rc < 0) return rc;
    const void* nul = memchr(chunk, 0, want);
    if (nul) {
      out->append(chunk, static_cast<const char*>(nul) - chunk);
      return 0;
    }
    out->append(chunk, want);
    addr += want;
  }
  return -ENAMETOOLONG;
}

}  // namespace sysstub
