#include "spawn.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

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

// Sends fd (or nothing, fd < 0) as one byte plus SCM_RIGHTS.
void SendFd(int sock, int fd) {
  char byte = fd >= 0 ? 'L' : 'P';
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
  }
  while (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 && errno == EINTR) {}
}

[[noreturn]] void ChildFail(int fd, int err) {
  // Same shape as libuv's exec-failure pipe: the errno, then exit 127.
  while (write(fd, &err, sizeof err) < 0 && errno == EINTR) {}
  _exit(127);
}

// Runs in the child between fork and exec: async-signal-safe calls only.
[[noreturn]] void ChildMain(const SpawnRequest& req, char* const* argv, char* const* envp,
                            int go_fd, int err_fd) {
  // The tracer thread blocks every signal and Node ignores SIGPIPE: a program
  // must start with the default dispositions and an empty mask, as after a
  // shell's fork+exec.
  for (int sig = 1; sig < NSIG; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    signal(sig, SIG_DFL);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);

  // stdio: first lift every source above 2 so that swaps (1<->2) cannot clobber.
  int src[3];
  for (int i = 0; i < 3; i++) {
    int fd = req.stdio[i];
    if (fd < 0) fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (fd < 0) ChildFail(err_fd, errno);
    src[i] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (src[i] < 0) ChildFail(err_fd, errno);
  }
  // dup2 clears FD_CLOEXEC on the target, which matters: Node marks its own
  // 0-2 close-on-exec.
  for (int i = 0; i < 3; i++) {
    if (dup2(src[i], i) < 0) ChildFail(err_fd, errno);
  }
  if (!req.cwd.empty() && chdir(req.cwd.c_str()) < 0) ChildFail(err_fd, errno);

  // Wait until the tracer has seized us; EOF means it died first.
  char go = 0;
  ssize_t n;
  while ((n = read(go_fd, &go, 1)) < 0 && errno == EINTR) {}
  if (n != 1) _exit(127);

  bool installed = false;
  if (req.notif_sock >= 0) {
    long listener = req.notif_unavailable ? -1 : InstallFilter(req.notif_filter, SECCOMP_FILTER_FLAG_NEW_LISTENER);
    // EINVAL/ENOSYS: a kernel without user notification (< 5.0); EBUSY: this
    // task already has a filter with a listener. Both fall back to ptrace.
    SendFd(req.notif_sock, static_cast<int>(listener));
    if (listener >= 0) {
      close(static_cast<int>(listener));
      installed = true;
    }
    close(req.notif_sock);
  }
  if (!installed && InstallFilter(req.filter, 0) != 0) ChildFail(err_fd, errno);
  execve(req.file.c_str(), argv, envp);
  ChildFail(err_fd, errno);
}

}  // namespace

SpawnResult SpawnTracee(const SpawnRequest& req) {
  SpawnResult res;
  std::vector<char*> argv, envp;
  for (auto& s : req.argv) argv.push_back(const_cast<char*>(s.c_str()));
  argv.push_back(nullptr);
  for (auto& s : req.envp) envp.push_back(const_cast<char*>(s.c_str()));
  envp.push_back(nullptr);

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
  if (pid == 0) ChildMain(req, argv.data(), envp.data(), go[0], err[1]);

  close(go[0]);
  close(err[1]);
  if (ptrace(PTRACE_SEIZE, pid, 0, kPtraceOptions) != 0) {
    int e = errno;
    close(go[1]);  // the child sees EOF and exits 127 untraced, before any filter
    int status;
    while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR) {}
    // A child that failed early (chdir, stdio) and exited before the seize
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
