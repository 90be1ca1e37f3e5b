// Fields of /proc/PID/status (proc(5)), read with plain syscalls: callers run
// on the tracer thread, where nothing may throw or allocate much.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

namespace sysstub {

// Each name ("Tgid", "ShdPnd"...) found gets its value (base 10, or 16 for
// the signal masks) in the matching slot of out. Returns false if the file
// could not be read or a name was not there.
inline bool ReadProcStatus(pid_t pid, const char* const* names, int count, uint64_t* out, int base) {
  char path[64], buf[2048];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return false;
  buf[n] = 0;
  for (int i = 0; i < count; i++) {
    char key[32];
    int k = snprintf(key, sizeof key, "\n%s:", names[i]);
    const char* p = strstr(buf, key);
    if (!p) return false;
    out[i] = strtoull(p + k, nullptr, base);
  }
  return true;
}

}  // namespace sysstub
