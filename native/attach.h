// Attaching to a running process and detaching from it (attach.cc).
//
// A filter can only be installed by the process itself, so the routing
// filter goes in through a seccomp(2) call injected into one stopped thread
// (SECCOMP_FILTER_FLAG_TSYNC: every thread gets it). The filter traps only
// slots the kernel answers with ENOSYS (stubs, unassigned numbers):
// SECCOMP_RET_TRACE with no tracer returns ENOSYS too (seccomp(2)), so the
// filter left behind after a detach changes nothing the program gets. When
// anything else must be served (a fault on a real call, tracing), or the
// filter cannot go in, every thread runs under PTRACE_SYSCALL stops instead,
// which leave nothing behind.
#pragma once
#include <cstdint>
#include <linux/filter.h>
#include <sys/types.h>
#include <vector>

namespace sysstub {

struct AttachRequest {
  pid_t pid = 0;                    // a thread group id
  std::vector<sock_filter> filter;  // empty: PTRACE_SYSCALL stops
};

struct AttachResult {
  int32_t threads = 0;      // threads seized
  int error = 0;            // errno of the failed step (nothing is attached then)
  const char* syscall = "";
  bool filter = false;      // the filter went in (or will, at SIGCONT: stopped)
  int filter_error = 0;     // why not (then PTRACE_SYSCALL stops): the injected call's errno
  bool stopped = false;     // the process was in group-stop (T): it stays so
};

}  // namespace sysstub
