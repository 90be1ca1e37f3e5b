// Starting a tracee: clone on the tracer thread (ptrace(2): every request
// must come from the thread that attached), PTRACE_SEIZE, then let the child
// set up what the program inherits, install the seccomp filters and exec.
//
// The child is a clone(CLONE_VM) of us, not a fork: it runs on its own stack
// in our memory until its execve, as posix_spawn's children do. A fork of
// Node copies its page tables and write-protects every page, and each page
// Node then writes faults, with a TLB-shootdown IPI to the other CPU where
// the tracer thread runs: measured on the 2-CPU VM, 15 ms per spawn of
// /bin/true against 7 ms with CLONE_VM. What that costs: everything the child
// reads stays alive until the exec (ChildImage, owned by the tracer until the
// exec event or the reaping), and the child's code calls nothing, not even
// glibc: it shares the tracer thread's TLS, where glibc's wrappers would write
// errno (spawn_child.h, compiled apart).
//
// What the program inherits is exactly what the request says, never what Node
// left behind: Node resets every signal disposition and the mask at start-up,
// marks inherited fds close-on-exec and reopens a closed 0-2 on /dev/null, so
// the caller (the CLI: what it was started with, see bin/sysstub.js) states
// the fds, dispositions and mask explicitly.
#pragma once
#include <csignal>
#include <linux/filter.h>
#include <memory>
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
  // Slots sealed as SECCOMP_RET_ERRNO, when one of them is a call the child
  // makes itself after its first filter (spawn_child.h kChildCallsAfterFilter):
  // installed last, right before execve, so that they never hit the child's
  // own set-up. Empty otherwise: sealed slots are then in the routing filter.
  std::vector<sock_filter> sealed_filter;
};

// What the child runs on until its execve (spawn.cc). Shared with it
// (CLONE_VM): freed only once the child has exec'd or been reaped.
struct ChildImage;
struct ChildImageDeleter {
  void operator()(ChildImage* im) const noexcept;
};
using ChildImagePtr = std::unique_ptr<ChildImage, ChildImageDeleter>;

struct SpawnResult {
  pid_t pid = -1;
  int error = 0;            // errno of the failed step, 0 on success
  const char* syscall = "";  // the failed step, for the JS error
  ChildImagePtr image;      // with pid > 0: keep until the exec event or the reaping
};

// The errno of the step that failed in the child before its execve (it then
// exits 127), or 0. Read after reaping the child.
int ChildError(const ChildImage& im) noexcept;

// PTRACE_O_* options every tracee gets. EXITKILL: tracees never outlive the
// tracer thread (a tracee that keeps our RET_TRACE filter untraced would see
// ENOSYS for every wired call). No TRACEEXIT: every thread's exit status
// reaches wait4 anyway (__WALL), and the extra stop per exiting thread bought
// nothing but a round trip through the tracer.
extern const long kPtraceOptions;

SpawnResult SpawnTracee(SpawnRequest&& req);

}  // namespace sysstub
