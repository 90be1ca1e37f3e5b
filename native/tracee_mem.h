// Tracee memory access for handlers: process_vm_readv(2)/process_vm_writev(2),
// falling back to /proc/PID/mem (proc(5)), which can also write read-only pages
// (FOLL_FORCE, as debuggers do). Errors are -errno values.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <sys/types.h>

namespace sysstub {

// Reads exactly len bytes or fails: -EFAULT for an unmapped address, -ESRCH for a gone tracee.
int ReadTraceeMemory(pid_t tid, uint64_t addr, void* buf, size_t len);
int WriteTraceeMemory(pid_t tid, uint64_t addr, const void* buf, size_t len);
// Reads a NUL-terminated string of at most max bytes (without the NUL).
// -ENAMETOOLONG if no NUL within max bytes.
int ReadTraceeCString(pid_t tid, uint64_t addr, size_t max, std::string* out);

}  // namespace sysstub
