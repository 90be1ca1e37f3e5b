// Starting a tracee: fork on the tracer thread (ptrace(2): every request must
// come from the thread that attached), PTRACE_SEIZE, then let the child install
// the seccomp filter and exec. Everything is prepared before fork; the child
// only makes async-signal-safe calls.
#pragma once
#include <linux/filter.h>
#include <string>
#include <sys/types.h>
#include <vector>

namespace sysstub {

struct SpawnRequest {
  std::string file;                 // resolved path to exec
  std::vector<std::string> argv;
  std::vector<std::string> envp;
  std::string cwd;                  // empty: inherit
  int stdio[3] = {0, 1, 2};         // -1: /dev/null
  std::vector<sock_filter> filter;
  // User-notification route: when notif_sock >= 0 the child first tries
  // notif_filter with SECCOMP_FILTER_FLAG_NEW_LISTENER and sends the listener
  // fd over notif_sock (SCM_RIGHTS); if the kernel refuses, it installs
  // `filter` (every slot on the ptrace route) and sends no fd.
  std::vector<sock_filter> notif_filter;
  int notif_sock = -1;
  bool notif_unavailable = false;  // behave as on a kernel without user notification (tests)
};

struct SpawnResult {
  pid_t pid = -1;
  int error = 0;            // errno of the failed step, 0 on success
  const char* syscall = "";  // the failed step, for the JS error
  int exec_error_fd = -1;   // read end: the child writes errno here if exec fails
};

// PTRACE_O_* options every tracee gets. EXITKILL: tracees never outlive the
// tracer thread (a tracee that keeps our RET_TRACE filter untraced would see
// ENOSYS for every wired call). No TRACEEXIT: every thread's exit status
// reaches wait4 anyway (__WALL), and the extra stop per exiting thread bought
// nothing but a round trip through the tracer.
extern const long kPtraceOptions;

SpawnResult SpawnTracee(const SpawnRequest& req);

}  // namespace sysstub
