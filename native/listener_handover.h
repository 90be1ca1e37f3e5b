// The user-notification listener's way from the child (which installs the
// filter: seccomp(2) SECCOMP_FILTER_FLAG_NEW_LISTENER) to the supervisor: one
// message on a SOCK_SEQPACKET socketpair, with the fd as SCM_RIGHTS, or, when
// the child fell back to the ptrace route, the errno that made it (EINVAL or
// ENOSYS: no user notification in this kernel; EBUSY: a listener already).
// With a listener, a non-zero errno says the filter went in without
// SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (EINVAL: a kernel before 5.19).
#pragma once
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <sys/socket.h>

namespace sysstub {

struct ListenerMessage {
  // No fd: why there is no listener. With one: 0, or why it is not killable.
  int32_t fallback_errno;
};

// Child side: the message for fd (< 0: no listener, `why` says why), ready
// for sendmsg(2). The child sends it with a raw system call (spawn_child.cc).
struct ListenerSend {
  ListenerMessage m;
  iovec iov{&m, sizeof m};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  ListenerSend(int fd, int why) : m{why} {
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
  }
  ListenerSend(const ListenerSend&) = delete;  // points into itself
  ListenerSend& operator=(const ListenerSend&) = delete;
};

// Supervisor side. Returns 1 with *fd (or *fd = -1 and *why), 0 when nothing
// is there yet (EAGAIN), -1 at EOF or on error: the child died before it
// could send (its exit status tells the rest).
inline int ReceiveListener(int sock, int* fd, int* why) {
  ListenerMessage m{};
  iovec iov{&m, sizeof m};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
  *fd = -1;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); n > 0 && c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) memcpy(fd, CMSG_DATA(c), sizeof *fd);
  }
  if (n != static_cast<ssize_t>(sizeof m)) return -1;
  *why = m.fallback_errno;
  return 1;
}

}  // namespace sysstub
