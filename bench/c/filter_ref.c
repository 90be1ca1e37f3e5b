// filter_ref MODE PROG ARGS...: the minimal C references the benchmark
// compares sysstub with. Each installs a seccomp filter (arch check; getpmsg,
// 181, gets MODE's action; everything else ALLOW) and runs PROG:
//   allow  - the filter only (the "untouched" baseline)
//   errno  - SECCOMP_RET_ERRNO(EPERM) for getpmsg
//   trace  - SECCOMP_RET_TRACE: a ptrace supervisor answers 42 at the seccomp
//            stop (GETREGS, orig_rax = -1, rax = 42, SETREGS, CONT)
//   notif  - SECCOMP_RET_USER_NOTIF: a user-notification supervisor answers 42
//            (with SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP where available)
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../native/seccomp_compat.h"

static long install(unsigned action, unsigned flags) {
  struct sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 181, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, action),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {sizeof f / sizeof f[0], f};
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: filter_ref allow|errno|trace|notif PROG ARGS...\n");
    return 2;
  }
  const char* mode = argv[1];
  char** prog = argv + 2;
  if (!strcmp(mode, "allow") || !strcmp(mode, "errno")) {
    if (install(!strcmp(mode, "allow") ? SECCOMP_RET_ALLOW : SECCOMP_RET_ERRNO | EPERM, 0) < 0) return perror("seccomp"), 1;
    execvp(prog[0], prog);
    return perror("execvp"), 127;
  }
  int sv[2];
  socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
  pid_t pid = fork();
  if (pid == 0) {
    if (!strcmp(mode, "trace")) {
      ptrace(PTRACE_TRACEME, 0, 0, 0);
      raise(SIGSTOP);
      if (install(SECCOMP_RET_TRACE, 0) < 0) _exit(126);
    } else {
      int fd = (int)install(SECCOMP_RET_USER_NOTIF, SECCOMP_FILTER_FLAG_NEW_LISTENER);
      if (fd < 0) _exit(126);
      char byte = 'L';
      struct iovec iov = {&byte, 1};
      char control[CMSG_SPACE(sizeof(int))];
      struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
      struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int));
      memcpy(CMSG_DATA(c), &fd, sizeof fd);
      sendmsg(sv[1], &msg, 0);
      close(fd);
    }
    execvp(prog[0], prog);
    _exit(127);
  }
  int status;
  if (!strcmp(mode, "trace")) {
    waitpid(pid, &status, 0);
    ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL);
    ptrace(PTRACE_CONT, pid, 0, 0);
    for (;;) {
      if (waitpid(pid, &status, __WALL) < 0) break;
      if (WIFEXITED(status) || WIFSIGNALED(status)) break;
      int sig = 0;
      if ((status >> 8) == (SIGTRAP | (PTRACE_EVENT_SECCOMP << 8))) {
        struct user_regs_struct regs;
        ptrace(PTRACE_GETREGS, pid, 0, &regs);
        regs.orig_rax = -1;
        regs.rax = 42;
        ptrace(PTRACE_SETREGS, pid, 0, &regs);
      } else if (WSTOPSIG(status) != SIGTRAP && WSTOPSIG(status) != SIGSTOP) {
        sig = WSTOPSIG(status);
      }
      ptrace(PTRACE_CONT, pid, 0, sig);
    }
  } else {
    char byte;
    struct iovec iov = {&byte, 1};
    char control[CMSG_SPACE(sizeof(int))];
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    if (recvmsg(sv[0], &msg, 0) <= 0) return 1;
    int fd;
    memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof fd);
    unsigned long long flags = 1;  // SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
    ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, flags);
    for (;;) {
      // RECV blocks for ever once the filter has no users: poll for POLLHUP.
      struct pollfd p = {fd, POLLIN, 0};
      if (poll(&p, 1, -1) < 0 && errno != EINTR) break;
      if (!(p.revents & POLLIN)) {
        if (p.revents & (POLLHUP | POLLERR)) break;
        continue;
      }
      struct seccomp_notif req;
      memset(&req, 0, sizeof req);
      if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
        if (errno == EINTR || errno == ENOENT) continue;
        break;  // the filter has no users left
      }
      struct seccomp_notif_resp resp = {.id = req.id, .val = 42};
      ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
    }
    waitpid(pid, &status, 0);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
