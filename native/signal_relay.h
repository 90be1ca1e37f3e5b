// Signals sent to the sysstub process itself, for the program. The handler
// (SA_SIGINFO, async-signal-safe) only records the signal and its sender in a
// ring and wakes the tracer thread, which delivers it to the program: Node's
// own signal handling runs on its event loop, which a blocked handler or a
// busy loop can hold up, and it hides the sender (siginfo).
//
// Exactly once: a signal sent to a whole process group (a terminal's Ctrl-C,
// a service manager's or a harness's killpg) reached the program too. The
// tracer sees the program's own signal-delivery stops with their siginfo, so
// it delivers a relayed signal only when the program has neither that signal
// pending nor a delivery of it from the same sender since the previous relayed
// signal (Tracer::Relay). One relay per process: the CLI's supervisor.
#pragma once
#include <atomic>
#include <csignal>
#include <cstdint>
#include <sys/types.h>

namespace sysstub {

struct RelayedSignal {
  int32_t signo = 0;
  int32_t code = 0;  // si_code: SI_USER (kill), SI_KERNEL (a terminal), SI_QUEUE...
  int32_t pid = 0;   // the sender (0 for the kernel)
  uint64_t seq = 0;  // 1, 2, ...: the order of arrival
};

class SignalRelay {
 public:
  // Installs the handler for every signal in `set` and calls wake() (which must
  // be async-signal-safe) after recording one. Once per process.
  static bool Start(const sigset_t& set, void (*wake)());
  // Who to wake from now on (a relay started with no owner yet: what arrived
  // meanwhile waits in the ring).
  static void Adopt(void (*wake)());
  // Back to the dispositions the relayed signals had before Start (the
  // supervisor is going). Signals the process sends its own threads
  // (SI_TKILL from itself: V8's profiler) are never relayed; they go to the
  // handler that was there before.
  static void Stop();
  static bool active();
  // Tracer thread: the next recorded signal, if any.
  static bool Take(RelayedSignal* out);
  // How many signals have been recorded so far (the seq of the last one).
  static uint64_t received();
  // The waker's own signal sent by someone else (wake.cc): relay it too.
  static void Record(int signo, const siginfo_t* info);
  // Sent by this process to one of its own threads (tgkill(2): si_code
  // SI_TKILL, si_pid ours): sysstub's own business, never the program's
  // (the waker's wake-ups; V8's CPU profiler's SIGPROF). Async-signal-safe.
  static bool SentByThisProcess(const siginfo_t* info);
};

// Ends this process as `sig` would, without a core dump of its own (the
// program already dumped one if it was going to). Returns only if the signal
// does not terminate; then the caller exits 128 + sig.
void DieOfSignal(int sig);

}  // namespace sysstub
