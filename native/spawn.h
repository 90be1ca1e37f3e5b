// Starting a tracee: fork on the tracer thread (ptrace(2): every request must
// come from the thread that attached), PTRACE_SEIZE, then let the child set up
// what the program inherits, install the seccomp filters and exec. Everything
// is prepared before fork; the child only makes async-signal-safe calls.
//
// What the program inherits is exactly what the request says, never what Node
// left behind: Node resets every signal disposition and the mask at start-up,
// marks inherited fds close-on-exec and reopens a closed 0-2 on /dev/null, so
// the caller (the CLI: what it was started with, see bin/sysstub.js) states
// the fds, dispositions and mask explicitly.
#pragma once
#include <csignal>
#include <linux/filter.h>
#include <string>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace sysstub {

struct SpawnRequest {
  std::string file;                 // bytes, as given: searched in PATH (of envp) like execvp without a '/'
  std::vector<std::string> argv;    // bytes
  std::vector<std::string> envp;    // bytes, "NAME=value"
  std::string cwd;                  // bytes; empty: inherit
  // The program's fds: (target, source); source -1: target is closed. Other
  // fds of this process are close-on-exec (Node opens everything O_CLOEXEC).
  std::vector<std::pair<int, int>> fds;
  sigset_t ignored;                 // dispositions SIG_IGN at exec; every other one SIG_DFL
  sigset_t mask;                    // the program's blocked-signal mask
  // Routing filter (RET_TRACE for every slot). With notif_sock >= 0 the child
  // first tries notif_filter with SECCOMP_FILTER_FLAG_NEW_LISTENER and sends
  // the listener fd over notif_sock (SCM_RIGHTS); on a kernel without user
  // notification it installs `filter` and says so.
  std::vector<sock_filter> filter;
  std::vector<sock_filter> notif_filter;
  int notif_sock = -1;
  bool notif_unavailable = false;  // behave as on a kernel without user notification (tests)
  // Slots sealed as SECCOMP_RET_ERRNO, installed last, right before execve,
  // so that they never hit the supervisor's own calls (the listener hand-over's
  // sendmsg): empty when nothing is sealed.
  std::vector<sock_filter> sealed_filter;
};

struct SpawnResult {
  pid_t pid = -1;
  int error = 0;            // errno of the failed step, 0 on success
  const char* syscall = "";  // the failed step, for the JS error
  int exec_error_fd = -1;   // read end: the child writes errno here if a step after the fork fails
};

// PTRACE_O_* options every tracee gets. EXITKILL: tracees never outlive the
// tracer thread (a tracee that keeps our RET_TRACE filter untraced would see
// ENOSYS for every wired call). No TRACEEXIT: every thread's exit status
// reaches wait4 anyway (__WALL), and the extra stop per exiting thread bought
// nothing but a round trip through the tracer.
extern const long kPtraceOptions;

SpawnResult SpawnTracee(const SpawnRequest& req);

}  // namespace sysstub
