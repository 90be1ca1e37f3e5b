// SECCOMP_IOCTL_NOTIF_SEND (seccomp_unotify(2)), shared by the listener on
// Node's thread (notif.cc) and the tracer thread, which answers a call it has
// interrupted (Tracer::InterruptNotified).
#pragma once
#include <cerrno>
#include <cstdint>
#include <linux/seccomp.h>
#include <sys/ioctl.h>

namespace sysstub {

// The kernel's "restart this call, or fail it with EINTR, per the signal's
// SA_RESTART" (include/linux/errno.h, never seen by programs). It is only
// safe as an answer for a thread with TIF_SIGPENDING set: the exit to user
// mode turns it into a restart or EINTR only then (arch_do_signal_or_restart).
constexpr int32_t kErestartSys = 512;

// Returns 0 or -errno (ENOENT: the call is gone, interrupted or its task dead).
inline int SendNotifResponse(int listener, uint64_t id, int64_t val, int32_t error, uint32_t flags) {
  seccomp_notif_resp resp{};
  resp.id = id;
  resp.val = val;
  resp.error = error;
  resp.flags = flags;
  return ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0 ? 0 : -errno;
}

}  // namespace sysstub
