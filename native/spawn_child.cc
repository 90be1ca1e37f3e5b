// The child between clone and execve (spawn_child.h says why it calls nothing
// and is compiled apart). Everything here is a raw system call on the plan.
#include "spawn_child.h"

#include <cerrno>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "listener_handover.h"
#include "seccomp_compat.h"

namespace sysstub {
namespace {

// The raw instruction, returning -errno.
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

// exit 127, as libuv's children. A sealed filter can make exit_group fail
// (inject=exit_group:error=...): then exit (we are the only thread), then a
// fault, as glibc's _exit does; never a loop that spins before anyone's eyes.
[[noreturn]] void ChildExit() noexcept {
  Sys(SYS_exit_group, 127);
  Sys(SYS_exit, 127);
  for (;;) __builtin_trap();
}

[[noreturn]] void ChildFail(ChildPlan& p, long neg_errno) noexcept {
  __atomic_store_n(&p.error, static_cast<int>(-neg_errno), __ATOMIC_RELEASE);
  ChildExit();
}

// seccomp(2) with the no_new_privs dance: without CAP_SYS_ADMIN the filter
// needs no_new_privs. Set it only then (as strace does), so a root supervisor
// keeps setuid programs and /proc/PID/status NoNewPrivs exactly as they are
// natively. Returns what seccomp returned: the listener fd, 0, or -errno.
long InstallFilter(const sock_fprog& prog, unsigned flags) noexcept {
  long r = Sys(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, Arg(&prog));
  if (r == -EACCES) {
    long p = Sys(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (p < 0) return p;
    r = Sys(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, Arg(&prog));
  }
  return r;
}

// The listener hand-over's child side (listener_handover.h).
long SendListener(int sock, int fd, int why) noexcept {
  ListenerSend out(fd, why);
  long n;
  while ((n = Sys(SYS_sendmsg, sock, Arg(&out.msg), MSG_NOSIGNAL)) == -EINTR) {}
  return n < 0 ? n : n == static_cast<long>(sizeof out.m) ? 0 : -EIO;
}

// The program's fds: every source is first lifted above every target, so that
// no dup2 can clobber a source still needed (1<->2 swaps). dup2 clears
// FD_CLOEXEC on the target, which matters: Node marks the fds it inherited
// close-on-exec. An fd that is its own source only loses FD_CLOEXEC.
void SetUpFds(ChildPlan& p, int top) noexcept {
  for (size_t i = 0; i < p.n_fds; i++) {
    auto [target, source] = p.fds[i];
    p.lifted[i] = -1;
    if (source < 0 || source == target) continue;
    long r = Sys(SYS_fcntl, source, F_DUPFD_CLOEXEC, top + 1);
    if (r < 0) ChildFail(p, r);
    p.lifted[i] = static_cast<int>(r);
  }
  for (size_t i = 0; i < p.n_fds; i++) {
    auto [target, source] = p.fds[i];
    long r = 0;
    if (source < 0) {
      Sys(SYS_close, target);  // closed for the program, as it was for us (EBADF when it already is)
    } else if (source == target) {
      r = Sys(SYS_fcntl, target, F_SETFD, 0);
    } else {
      r = Sys(SYS_dup2, p.lifted[i], target);
      Sys(SYS_close, p.lifted[i]);
    }
    if (r < 0) ChildFail(p, r);
  }
}

// Dispositions and mask as the program must start with them. Last before
// execve: until then every signal is blocked (the parent cloned us so), which
// keeps Node's handlers, copied at clone, from running here. The kernel's
// struct sigaction (rt_sigaction(2)); no SA_RESTORER: no handler is set.
void SetUpSignals(const ChildPlan& p) noexcept {
  struct {
    unsigned long handler, flags, restorer, mask;
  } sa{};
  constexpr long kKernelSigsetSize = 8;
  for (int sig = 1; sig <= 64; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    sa.handler = reinterpret_cast<unsigned long>((p.ignored >> (sig - 1)) & 1 ? SIG_IGN : SIG_DFL);
    Sys(SYS_rt_sigaction, sig, Arg(&sa), 0, kKernelSigsetSize);
  }
  Sys(SYS_rt_sigprocmask, SIG_SETMASK, Arg(&p.mask), 0, kKernelSigsetSize);
}

// The user-notification listener, when the plan asks for one: sent to the
// supervisor, or why there is none. Returns whether the notif filter went in.
bool InstallNotifFilter(ChildPlan& p, int notif_sock) noexcept {
  long listener = -ENOSYS;
  bool killable = true;
  if (!p.notif_unavailable) {
    // WAIT_KILLABLE_RECV (5.19): once the supervisor has received a call,
    // only a fatal signal ends the caller's wait. Without it a signal that
    // wakes the caller while the answer is being sent makes the kernel drop
    // that answer although SECCOMP_IOCTL_NOTIF_SEND succeeded
    // (seccomp_do_user_notification: the wait's -ERESTARTSYS wins), so the
    // supervisor cannot know whether its answer arrived. Interrupting a
    // long-running handler is the supervisor's job then (notif.h).
    listener = InstallFilter(p.notif_filter, SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV);
    if (listener == -EINVAL) {
      listener = InstallFilter(p.notif_filter, SECCOMP_FILTER_FLAG_NEW_LISTENER);
      killable = false;  // reported with the listener: answers may be dropped (see above)
    }
  }
  // A listener, and with it 0 or why it is not killable; or none, and why:
  // EINVAL/ENOSYS: a kernel without user notification (< 5.0); EBUSY: this
  // task already has a filter with a listener. Both fall back to the ptrace
  // route, and say why. Anything else, or a hand-over that fails, fails the spawn.
  int why = listener >= 0 ? (killable ? 0 : EINVAL) : static_cast<int>(-listener);
  if (listener < 0 && why != EINVAL && why != ENOSYS && why != EBUSY) ChildFail(p, listener);
  long sent = SendListener(notif_sock, static_cast<int>(listener), why);
  if (sent < 0) ChildFail(p, sent);
  if (listener >= 0) Sys(SYS_close, listener);
  Sys(SYS_close, notif_sock);
  return listener >= 0;
}

[[noreturn]] void ChildMain(ChildPlan& p) noexcept {
  // The write end's copy in our fd table: open, a failed seize would leave us waiting for ever.
  Sys(SYS_close, p.go_write_fd);
  // Our own fds move above every target first: a target the program gets
  // closed, or a dup2 onto it, must not hit them.
  int top = 2;
  for (size_t i = 0; i < p.n_fds; i++) top = p.fds[i].target > top ? p.fds[i].target : top;
  int go_fd = p.go_fd;
  int notif_sock = p.notif_sock;
  int* own[] = {&go_fd, &notif_sock};
  for (int* fd : own) {
    if (*fd < 0 || *fd > top) continue;
    long moved = Sys(SYS_fcntl, *fd, F_DUPFD_CLOEXEC, top + 1);
    if (moved < 0) ChildFail(p, moved);
    *fd = static_cast<int>(moved);
  }
  SetUpFds(p, top);
  if (p.cwd) {
    long r = Sys(SYS_chdir, Arg(p.cwd));
    if (r < 0) ChildFail(p, r);
  }

  // Wait until the tracer has seized us; EOF means it could not (or died).
  char go = 0;
  long n;
  while ((n = Sys(SYS_read, go_fd, Arg(&go), 1)) == -EINTR) {}
  if (n != 1) ChildExit();
  Sys(SYS_close, go_fd);

  bool installed = notif_sock >= 0 && InstallNotifFilter(p, notif_sock);
  if (!installed) {
    long r = InstallFilter(p.filter, 0);
    if (r < 0) ChildFail(p, r);
  }
  // The program's dispositions before the sealed slots go in: sealing
  // rt_sigaction must not leave it with Node's (SIGPIPE ignored).
  SetUpSignals(p);
  if (p.sealed_filter.len > 0) {
    long r = InstallFilter(p.sealed_filter, 0);
    if (r < 0) ChildFail(p, r);
  }

  // execvp's loop: ENOEXEC runs the file with /bin/sh; EACCES is remembered
  // while later candidates are tried (execvp(3)).
  long err = -ENOENT;
  for (size_t i = 0; i < p.n_candidates; i++) {
    const char* c = p.candidates[i];
    long r = Sys(SYS_execve, Arg(c), Arg(p.argv), Arg(p.envp));
    if (r == -ENOEXEC) {
      p.sh_argv[1] = const_cast<char*>(c);
      ChildFail(p, Sys(SYS_execve, Arg("/bin/sh"), Arg(p.sh_argv), Arg(p.envp)));
    }
    if (r == -EACCES) err = r;
    else if (r != -ENOENT && r != -ENOTDIR && r != -ESTALE && r != -ENODEV && r != -ETIMEDOUT) ChildFail(p, r);
  }
  ChildFail(p, err);
}

}  // namespace

extern "C" int SysstubChildMain(void* plan) { ChildMain(*static_cast<ChildPlan*>(plan)); }

}  // namespace sysstub
