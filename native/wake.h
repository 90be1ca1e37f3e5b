// Race-free wake-up of the tracer thread while it blocks in wait4().
//
// waitpid cannot poll an fd, so answers from JS interrupt it with a
// thread-directed signal. The classic lost-wakeup window (the answer lands
// after the queue was found empty but before wait4 enters the kernel) is
// closed the way musl implements cancellation points: the wait is a tiny
// assembly routine that checks a flag and then executes `syscall`; the signal
// handler, if it interrupts the thread anywhere between that check and the
// syscall instruction, moves the instruction pointer to a stub that returns
// -EINTR. A signal that arrives during the syscall makes wait4 return -EINTR
// (the handler has no SA_RESTART); one that arrives later leaves the flag set
// for the next round. No timeouts, no polling.
#pragma once
#include <atomic>
#include <sys/types.h>

namespace sysstub {

class Waker {
 public:
  // Installs the process-wide handler once (idempotent, thread-safe).
  static void InstallHandler();
  // The signal used; blocked everywhere except on tracer threads.
  static int Signal();
  // The sigev_value of the tracer's flush timer (tracer.cc): its SI_TIMER
  // signals carry it, one sent with rt_sigqueueinfo(2) by others does not.
  static void* TimerMark();

  // Tracer thread: record the caller as the thread to wake.
  void BindToCurrentThread();
  // Any thread: make the bound thread's current or next Wait() return -EINTR.
  void Wake();
  // Tracer thread: wait4(-1, status, options) that returns -EINTR if Wake()
  // was called since the last Consume(). Returns pid or -errno.
  long Wait(int* status, int options);
  // Tracer thread: clear the wake flag before draining the queue it guards.
  bool Consume();

 private:
  std::atomic<int> flag_{0};
  std::atomic<int> sleeping_{0};
  pid_t tid_ = 0;
};

}  // namespace sysstub
