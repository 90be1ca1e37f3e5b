#include "spawn.h"

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
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

// The child's system calls: the raw instruction, returning -errno. glibc's
// wrappers would store errno in the TLS the child shares with the tracer
// thread (CLONE_VM without CLONE_SETTLS), under its running code.
long Sys(long nr, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0, long f = 0) noexcept {
  long ret;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "0"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}
template <typename P>
long Arg(P* p) noexcept {
  return reinterpret_cast<long>(p);
}

}  // namespace

// Everything the child reads between clone and execve, in one allocation that
// outlives the request (the caller's returns before the child's exec).
struct ChildImage {
  explicit ChildImage(SpawnRequest&& r) : req(std::move(r)) {}
  SpawnRequest req;
  std::vector<std::string> candidates;
  std::vector<char*> argv, sh_argv, envp;
  std::vector<int> lifted;  // the child's scratch: no allocation after clone
  int go_fd = -1, go_write_fd = -1;
  std::atomic<int> error{0};  // the failed step's errno, stored before the child exits
  static constexpr size_t kStackSize = 256 * 1024;
  std::unique_ptr<char[]> stack{new char[kStackSize]};
};

void ChildImageDeleter::operator()(ChildImage* im) const noexcept { delete im; }
int ChildError(const ChildImage& im) noexcept { return im.error.load(std::memory_order_acquire); }

namespace {

// seccomp(2) with the no_new_privs dance: without CAP_SYS_ADMIN the filter
// needs no_new_privs. Set it only then (as strace does), so a root supervisor
// keeps setuid programs and /proc/PID/status NoNewPrivs exactly as they are
// natively. Returns what seccomp returned: the listener fd, 0, or -errno.
long InstallFilter(const std::vector<sock_filter>& insns, unsigned flags) noexcept {
  sock_fprog prog{static_cast<unsigned short>(insns.size()), const_cast<sock_filter*>(insns.data())};
  long r = Sys(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, Arg(&prog));
  if (r == -EACCES) {
    long p = Sys(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (p < 0) return p;
    r = Sys(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, Arg(&prog));
  }
  return r;
}

// exit 127, as libuv's children. A sealed filter can make exit_group fail
// (inject=exit_group:error=...): then exit (we are the only thread), then a
// fault, as glibc's _exit does; never a loop that spins before anyone's eyes.
[[noreturn]] void ChildExit() noexcept {
  Sys(SYS_exit_group, 127);
  Sys(SYS_exit, 127);
  for (;;) __builtin_trap();
}

[[noreturn]] void ChildFail(ChildImage& im, long neg_errno) noexcept {
  im.error.store(static_cast<int>(-neg_errno), std::memory_order_release);
  ChildExit();
}

// The listener hand-over's child side (listener_handover.h).
long SendListener(int sock, int fd, int why) noexcept {
  ListenerSend out(fd, why);
  long n;
  while ((n = Sys(SYS_sendmsg, sock, Arg(&out.msg), MSG_NOSIGNAL)) == -EINTR) {}
  return n < 0 ? n : n == static_cast<long>(sizeof out.m) ? 0 : -EIO;
}

// What execvp would try, prepared before clone: the file itself when it has a
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
void SetUpFds(ChildImage& im, int top) noexcept {
  const auto& fds = im.req.fds;
  for (size_t i = 0; i < fds.size(); i++) {
    auto [target, source] = fds[i];
    im.lifted[i] = -1;
    if (source < 0 || source == target) continue;
    long r = Sys(SYS_fcntl, source, F_DUPFD_CLOEXEC, top + 1);
    if (r < 0) ChildFail(im, r);
    im.lifted[i] = static_cast<int>(r);
  }
  for (size_t i = 0; i < fds.size(); i++) {
    auto [target, source] = fds[i];
    long r = 0;
    if (source < 0) {
      Sys(SYS_close, target);  // closed for the program, as it was for us (EBADF when it already is)
    } else if (source == target) {
      r = Sys(SYS_fcntl, target, F_SETFD, 0);
    } else {
      r = Sys(SYS_dup2, im.lifted[i], target);
      Sys(SYS_close, im.lifted[i]);
    }
    if (r < 0) ChildFail(im, r);
  }
}

// Signal n of a set built by ToSigset (binding.cc): bit n-1 of its first word.
bool Has(const sigset_t& set, int sig) noexcept {
  uint64_t word;
  memcpy(&word, &set, sizeof word);
  return (word >> (sig - 1)) & 1;
}

// Dispositions and mask as the program must start with them. Last before
// execve: until then the tracer thread's mask (everything blocked) keeps
// Node's handlers, copied at clone, from running in the child. The kernel's
// struct sigaction (rt_sigaction(2)); no SA_RESTORER: no handler is set.
void SetUpSignals(const ChildImage& im) noexcept {
  struct {
    unsigned long handler, flags, restorer, mask;
  } sa{};
  constexpr long kKernelSigsetSize = 8;
  for (int sig = 1; sig <= 64; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    sa.handler = reinterpret_cast<unsigned long>(Has(im.req.ignored, sig) ? SIG_IGN : SIG_DFL);
    Sys(SYS_rt_sigaction, sig, Arg(&sa), 0, kKernelSigsetSize);
  }
  Sys(SYS_rt_sigprocmask, SIG_SETMASK, Arg(&im.req.mask), 0, kKernelSigsetSize);
}

// The child, from clone to execve, on the image's stack.
[[noreturn]] void ChildMain(ChildImage& im) noexcept {
  const SpawnRequest& req = im.req;
  // The write end's copy in our fd table: open, a failed seize would leave us waiting for ever.
  Sys(SYS_close, im.go_write_fd);
  // Our own fds move above every target first: a target the program gets
  // closed, or a dup2 onto it, must not hit them.
  int top = 2;
  for (auto [target, source] : req.fds) top = target > top ? target : top;
  int go_fd = im.go_fd;
  int notif_sock = req.notif_sock;
  for (int* fd : {&go_fd, &notif_sock}) {
    if (*fd < 0 || *fd > top) continue;
    long moved = Sys(SYS_fcntl, *fd, F_DUPFD_CLOEXEC, top + 1);
    if (moved < 0) ChildFail(im, moved);
    *fd = static_cast<int>(moved);
  }
  SetUpFds(im, top);
  if (!req.cwd.empty()) {
    long r = Sys(SYS_chdir, Arg(req.cwd.c_str()));
    if (r < 0) ChildFail(im, r);
  }

  // Wait until the tracer has seized us; EOF means it could not (or died).
  char go = 0;
  long n;
  while ((n = Sys(SYS_read, go_fd, Arg(&go), 1)) == -EINTR) {}
  if (n != 1) ChildExit();
  Sys(SYS_close, go_fd);

  bool installed = false;
  if (notif_sock >= 0) {
    long listener = -ENOSYS;
    bool killable = true;
    if (!req.notif_unavailable) {
      // WAIT_KILLABLE_RECV (5.19): once the supervisor has received a call,
      // only a fatal signal ends the caller's wait. Without it a signal that
      // wakes the caller while the answer is being sent makes the kernel
      // drop that answer although SECCOMP_IOCTL_NOTIF_SEND succeeded
      // (seccomp_do_user_notification: the wait's -ERESTARTSYS wins), so the
      // supervisor cannot know whether its answer arrived. Interrupting a
      // long-running handler is the supervisor's job then (notif.h).
      listener = InstallFilter(req.notif_filter, SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV);
      if (listener == -EINVAL) {
        listener = InstallFilter(req.notif_filter, SECCOMP_FILTER_FLAG_NEW_LISTENER);
        killable = false;  // reported with the listener: answers may be dropped (see above)
      }
    }
    // A listener, and with it 0 or why it is not killable; or none, and why:
    // EINVAL/ENOSYS: a kernel without user notification (< 5.0); EBUSY: this
    // task already has a filter with a listener. Both fall back to the ptrace
    // route, and say why. Anything else, or a hand-over that fails, fails the spawn.
    int why = listener >= 0 ? (killable ? 0 : EINVAL) : static_cast<int>(-listener);
    if (listener < 0 && why != EINVAL && why != ENOSYS && why != EBUSY) ChildFail(im, listener);
    long sent = SendListener(notif_sock, static_cast<int>(listener), why);
    if (sent < 0) ChildFail(im, sent);
    if (listener >= 0) {
      Sys(SYS_close, listener);
      installed = true;
    }
    Sys(SYS_close, notif_sock);
  }
  if (!installed) {
    long r = InstallFilter(req.filter, 0);
    if (r < 0) ChildFail(im, r);
  }
  if (!req.sealed_filter.empty()) {
    long r = InstallFilter(req.sealed_filter, 0);
    if (r < 0) ChildFail(im, r);
  }
  SetUpSignals(im);

  // execvp's loop: ENOEXEC runs the file with /bin/sh; EACCES is remembered
  // while later candidates are tried (execvp(3)).
  long err = -ENOENT;
  for (const auto& c : im.candidates) {
    long r = Sys(SYS_execve, Arg(c.c_str()), Arg(im.argv.data()), Arg(im.envp.data()));
    if (r == -ENOEXEC) {
      im.sh_argv[1] = const_cast<char*>(c.c_str());
      ChildFail(im, Sys(SYS_execve, Arg("/bin/sh"), Arg(im.sh_argv.data()), Arg(im.envp.data())));
    }
    if (r == -EACCES) err = r;
    else if (r != -ENOENT && r != -ENOTDIR && r != -ESTALE && r != -ENODEV && r != -ETIMEDOUT) ChildFail(im, r);
  }
  ChildFail(im, err);
}

int ChildEntry(void* im) { ChildMain(*static_cast<ChildImage*>(im)); }

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

SpawnResult SpawnTracee(SpawnRequest&& request) {
  SpawnResult res;
  ChildImagePtr im(new ChildImage(std::move(request)));
  const SpawnRequest& req = im->req;
  im->candidates = Existing(Candidates(req));
  // Like libuv: a program that is nowhere is ENOENT, without a child.
  if (im->candidates.empty()) return {-1, ENOENT, "spawn", nullptr};
  for (auto& s : req.argv) im->argv.push_back(const_cast<char*>(s.c_str()));
  im->argv.push_back(nullptr);
  im->sh_argv.push_back(const_cast<char*>("/bin/sh"));
  im->sh_argv.push_back(nullptr);  // the script, set in the child
  for (size_t i = 1; i < req.argv.size(); i++) im->sh_argv.push_back(const_cast<char*>(req.argv[i].c_str()));
  im->sh_argv.push_back(nullptr);
  for (auto& s : req.envp) im->envp.push_back(const_cast<char*>(s.c_str()));
  im->envp.push_back(nullptr);
  im->lifted.resize(req.fds.size() + 1);

  int go[2];
  if (pipe2(go, O_CLOEXEC) < 0) return {-1, errno, "pipe2", nullptr};
  im->go_fd = go[0];
  im->go_write_fd = go[1];
  // No CLONE_VFORK: this thread must seize the child while it waits. The
  // kernel gives a CLONE_VM child no robust-futex list and no rseq area of
  // ours (copy_process: futex_init_task, rseq_fork), so its exit touches
  // nothing of this process.
  // The child starts with every signal blocked, the Waker's too: until
  // SetUpSignals resets them it has our handlers, and one of them run there
  // would write this process's memory and the tracer thread's errno. A Wake()
  // meanwhile stays pending here and leaves the flag set (wake.h).
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = clone(ChildEntry, im->stack.get() + ChildImage::kStackSize, CLONE_VM | SIGCHLD, im.get());
  int clone_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) {
    int e = clone_errno;
    close(go[0]);
    close(go[1]);
    return {-1, e, "clone", nullptr};
  }
  close(go[0]);
  if (ptrace(PTRACE_SEIZE, pid, 0, kPtraceOptions) != 0) {
    int e = errno;
    close(go[1]);  // the child sees EOF and exits 127 untraced, before any filter
    int status;
    while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR) {}
    // A child that failed early (chdir, fds) and exited before the seize
    // makes it fail with ESRCH/EPERM: its own errno is the real story.
    int child_err = ChildError(*im);
    if (child_err > 0) return {-1, child_err, "spawn", nullptr};
    return {-1, e, "ptrace", nullptr};
  }
  char go_byte = 1;
  ssize_t w;
  while ((w = write(go[1], &go_byte, 1)) < 0 && errno == EINTR) {}
  close(go[1]);
  res.pid = pid;
  res.image = std::move(im);
  return res;
}

}  // namespace sysstub
