#include "spawn.h"

#include <cerrno>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "listener_handover.h"
#include "seccomp_compat.h"

namespace sysstub {

const long kPtraceOptions = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACESECCOMP | PTRACE_O_TRACECLONE |
                            PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC |
                            PTRACE_O_EXITKILL;

namespace {

// seccomp(2) with the no_new_privs dance: without CAP_SYS_ADMIN the filter
// needs no_new_privs. Set it only then (as strace does), so a root supervisor
// keeps setuid programs and /proc/PID/status NoNewPrivs exactly as they are natively.
long InstallFilter(const std::vector<sock_filter>& insns, unsigned flags) {
  sock_fprog prog{static_cast<unsigned short>(insns.size()), const_cast<sock_filter*>(insns.data())};
  long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  if (r < 0 && errno == EACCES) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
    r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  }
  return r;
}

[[noreturn]] void ChildFail(int fd, int err) {
  // Same shape as libuv's exec-failure pipe: the errno, then exit 127.
  while (write(fd, &err, sizeof err) < 0 && errno == EINTR) {}
  _exit(127);
}

// What execvp would try, prepared before fork: the file itself when it has a
// '/', else each PATH entry of the program's environment (glibc's default
// when PATH is unset). Relative candidates are relative to the new cwd.
std::vector<std::string> Candidates(const SpawnRequest& req) {
  // A relative cwd is relative to ours: made absolute, so that the paths mean
  // the same here (stat) and in the child after its chdir (execve).
  std::string cwd = req.cwd;
  if (!cwd.empty() && cwd[0] != '/') {
    char here[PATH_MAX];
    if (getcwd(here, sizeof here)) cwd = std::string(here) + "/" + cwd;
  }
  auto in_cwd = [&](std::string p) { return cwd.empty() || p[0] == '/' ? p : cwd + "/" + p; };
  if (req.file.find('/') != std::string::npos) return {in_cwd(req.file)};
  std::string path = "/bin:/usr/bin";
  for (const auto& kv : req.envp) {
    if (kv.compare(0, 5, "PATH=") == 0) path = kv.substr(5);
  }
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t end = path.find(':', start);
    std::string dir = path.substr(start, end == std::string::npos ? std::string::npos : end - start);
    out.push_back(in_cwd((dir.empty() ? std::string(".") : dir) + "/" + req.file));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

// The program's fds: every source is first lifted above every target, so that
// no dup2 can clobber a source still needed (1<->2 swaps). dup2 clears
// FD_CLOEXEC on the target, which matters: Node marks the fds it inherited
// close-on-exec. An fd that is its own source only loses FD_CLOEXEC.
void SetUpFds(const SpawnRequest& req, int* lifted, int err_fd) {
  int top = 2;
  for (auto [target, source] : req.fds) top = target > top ? target : top;
  for (size_t i = 0; i < req.fds.size(); i++) {
    auto [target, source] = req.fds[i];
    lifted[i] = -1;
    if (source < 0 || source == target) continue;
    lifted[i] = fcntl(source, F_DUPFD_CLOEXEC, top + 1);
    if (lifted[i] < 0) ChildFail(err_fd, errno);
  }
  for (size_t i = 0; i < req.fds.size(); i++) {
    auto [target, source] = req.fds[i];
    if (source < 0) {
      close(target);  // closed for the program, as it was for us (EBADF when it already is)
    } else if (source == target) {
      if (fcntl(target, F_SETFD, 0) < 0) ChildFail(err_fd, errno);
    } else {
      if (dup2(lifted[i], target) < 0) ChildFail(err_fd, errno);
      close(lifted[i]);
    }
  }
}

// Dispositions and mask as the program must start with them. Last before
// execve: until then the tracer thread's mask (everything blocked) keeps
// Node's handlers, inherited across fork, from running in the child.
void SetUpSignals(const SpawnRequest& req) {
  struct sigaction sa {};
  sigemptyset(&sa.sa_mask);
  for (int sig = 1; sig < NSIG; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    sa.sa_handler = sigismember(&req.ignored, sig) == 1 ? SIG_IGN : SIG_DFL;
    sigaction(sig, &sa, nullptr);  // EINVAL for glibc's reserved 32/33: they are its own
  }
  sigprocmask(SIG_SETMASK, &req.mask, nullptr);
}

// Runs in the child between fork and exec: async-signal-safe calls only.
[[noreturn]] void ChildMain(const SpawnRequest& req, const std::vector<std::string>& candidates,
                            char* const* argv, char** sh_argv, char* const* envp, int* lifted, int go_fd, int err_fd) {
  // Our own fds move above every target first: a target the program gets
  // closed, or a dup2 onto it, must not hit them.
  int top = 2;
  for (auto [target, source] : req.fds) top = target > top ? target : top;
  int notif_sock = req.notif_sock;
  for (int* fd : {&go_fd, &err_fd, &notif_sock}) {
    if (*fd < 0 || *fd > top) continue;
    int moved = fcntl(*fd, F_DUPFD_CLOEXEC, top + 1);
    if (moved < 0) ChildFail(err_fd, errno);
    *fd = moved;
  }
  SetUpFds(req, lifted, err_fd);
  if (!req.cwd.empty() && chdir(req.cwd.c_str()) < 0) ChildFail(err_fd, errno);

  // Wait until the tracer has seized us; EOF means it could not (or died).
  char go = 0;
  ssize_t n;
  while ((n = read(go_fd, &go, 1)) < 0 && errno == EINTR) {}
  if (n != 1) _exit(127);
  close(go_fd);

  bool installed = false;
  if (notif_sock >= 0) {
    long listener = -1;
    int why = 0;
    if (req.notif_unavailable) {
      why = ENOSYS;
    } else {
      // WAIT_KILLABLE_RECV (5.19): once the supervisor has received a call,
      // only a fatal signal ends the caller's wait. Without it a signal that
      // wakes the caller while the answer is being sent makes the kernel
      // drop that answer although SECCOMP_IOCTL_NOTIF_SEND succeeded
      // (seccomp_do_user_notification: the wait's -ERESTARTSYS wins), so the
      // supervisor cannot know whether its answer arrived. Interrupting a
      // long-running handler is the supervisor's job then (notif.h).
      listener = InstallFilter(req.notif_filter, SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV);
      why = 0;
      if (listener < 0 && errno == EINVAL) {
        listener = InstallFilter(req.notif_filter, SECCOMP_FILTER_FLAG_NEW_LISTENER);
        why = EINVAL;  // reported with the listener: answers may be dropped (see above)
      }
      if (listener < 0) why = errno;
    }
    // EINVAL/ENOSYS: a kernel without user notification (< 5.0); EBUSY: this
    // task already has a filter with a listener. Both fall back to the ptrace
    // route, and say why. Anything else, or a hand-over that fails, fails the spawn.
    if (listener < 0 && why != EINVAL && why != ENOSYS && why != EBUSY) ChildFail(err_fd, why);
    if (SendListener(notif_sock, static_cast<int>(listener), why) != 0) ChildFail(err_fd, errno);
    if (listener >= 0) {
      close(static_cast<int>(listener));
      installed = true;
    }
    close(notif_sock);
  }
  if (!installed && InstallFilter(req.filter, 0) != 0) ChildFail(err_fd, errno);
  if (!req.sealed_filter.empty() && InstallFilter(req.sealed_filter, 0) != 0) ChildFail(err_fd, errno);
  SetUpSignals(req);

  // execvp's loop: ENOEXEC runs the file with /bin/sh; EACCES is remembered
  // while later candidates are tried (execvp(3)).
  int err = ENOENT;
  for (const auto& c : candidates) {
    execve(c.c_str(), argv, envp);
    if (errno == ENOEXEC) {
      sh_argv[1] = const_cast<char*>(c.c_str());
      execve("/bin/sh", sh_argv, envp);
      ChildFail(err_fd, errno);
    }
    if (errno == EACCES) err = EACCES;
    else if (errno != ENOENT && errno != ENOTDIR && errno != ESTALE && errno != ENODEV && errno != ETIMEDOUT) ChildFail(err_fd, errno);
  }
  ChildFail(err_fd, err);
}

// The candidates worth an execve: the executable regular files, else (so that
// the child reports EACCES, as execvp would) the ones that exist at all. A
// failed execve per PATH entry would also show in a trace, where strace, which
// searches before it forks too, shows one.
std::vector<std::string> Existing(const std::vector<std::string>& candidates) {
  std::vector<std::string> runnable, existing;
  struct stat st;
  for (const auto& c : candidates) {
    if (stat(c.c_str(), &st) != 0) continue;
    existing.push_back(c);
    if (S_ISREG(st.st_mode) && faccessat(AT_FDCWD, c.c_str(), X_OK, AT_EACCESS) == 0) runnable.push_back(c);
  }
  return runnable.empty() ? existing : runnable;
}

}  // namespace

SpawnResult SpawnTracee(const SpawnRequest& req) {
  SpawnResult res;
  std::vector<std::string> candidates = Existing(Candidates(req));
  // Like libuv: a program that is nowhere is ENOENT, without a child.
  if (candidates.empty()) return {-1, ENOENT, "spawn", -1};
  std::vector<char*> argv, sh_argv, envp;
  for (auto& s : req.argv) argv.push_back(const_cast<char*>(s.c_str()));
  argv.push_back(nullptr);
  sh_argv.push_back(const_cast<char*>("/bin/sh"));
  sh_argv.push_back(nullptr);  // the script, set in the child
  for (size_t i = 1; i < req.argv.size(); i++) sh_argv.push_back(const_cast<char*>(req.argv[i].c_str()));
  sh_argv.push_back(nullptr);
  for (auto& s : req.envp) envp.push_back(const_cast<char*>(s.c_str()));
  envp.push_back(nullptr);
  std::vector<int> lifted(req.fds.size() + 1);  // the child's scratch: no allocation after fork

  int go[2], err[2];
  if (pipe2(go, O_CLOEXEC) < 0) return {-1, errno, "pipe2", -1};
  if (pipe2(err, O_CLOEXEC) < 0) {
    int e = errno;
    close(go[0]);
    close(go[1]);
    return {-1, e, "pipe2", -1};
  }
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(go[0]); close(go[1]); close(err[0]); close(err[1]);
    return {-1, e, "fork", -1};
  }
  if (pid == 0) {
    // Our copies of the parent's ends: with the write end of the go pipe
    // open here, a failed seize would leave the child waiting for ever.
    close(go[1]);
    close(err[0]);
    ChildMain(req, candidates, argv.data(), sh_argv.data(), envp.data(), lifted.data(), go[0], err[1]);
  }

  close(go[0]);
  close(err[1]);
  if (ptrace(PTRACE_SEIZE, pid, 0, kPtraceOptions) != 0) {
    int e = errno;
    close(go[1]);  // the child sees EOF and exits 127 untraced, before any filter
    int status;
    while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR) {}
    // A child that failed early (chdir, fds) and exited before the seize
    // makes it fail with ESRCH/EPERM: its own errno is the real story.
    int child_err = 0;
    bool early = read(err[0], &child_err, sizeof child_err) == static_cast<ssize_t>(sizeof child_err) && child_err > 0;
    close(err[0]);
    if (early) return {-1, child_err, "spawn", -1};
    return {-1, e, "ptrace", -1};
  }
  char go_byte = 1;
  ssize_t w;
  while ((w = write(go[1], &go_byte, 1)) < 0 && errno == EINTR) {}
  close(go[1]);
  res.pid = pid;
  res.exec_error_fd = err[0];
  return res;
}

}  // namespace sysstub
