// The handler watchdog: a synchronous handler that never returns (`for (;;)
// {}`) holds Node's event loop, so no JS timer, no JS signal handler and no
// answer can ever run again. Node's thread tells this thread when it enters
// and leaves a handler (two stores to shared memory per call); if one call
// stays inside for the handler timeout, the watchdog ends the process, with
// one line on stderr and exit status 125, after having the tracees killed
// (before_exit: Tracer::KillEveryTracee). A fatal signal relayed meanwhile (signal_relay.h) ends it as
// that signal would, without waiting for the timeout (also with no timeout).
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace sysstub {

class Watchdog {
 public:
  // shared: memory JS writes (an Int32Array(3) kept alive by the caller): [0]
  // odd while Node's thread is inside a handler (each entry and exit adds
  // one), [1] the syscall number of that call, [2] how many relayed-signal
  // events JS has handled (so far, its loop was alive).
  // before_exit: run on the watchdog thread just before it ends the process.
  Watchdog(int64_t timeout_ms, int32_t* shared, void (*before_exit)() noexcept);
  ~Watchdog();
  // Tracer thread: a signal that terminates by default was relayed.
  // `seq`: the number of the relayed-signal event that reports it (1, 2, ...):
  // until JS has handled that event, its loop may be blocked.
  void NoteFatalSignal(int sig, int32_t seq) {
    fatal_seq_.store(seq, std::memory_order_relaxed);
    fatal_signal_.store(sig, std::memory_order_release);
  }

 private:
  void Run() noexcept;
  [[noreturn]] void Fire(int64_t blocked_ms, int32_t nr) noexcept;
  [[noreturn]] void DieOf(int sig) noexcept;

  int32_t* shared_;
  int64_t timeout_ms_;
  void (*before_exit_)() noexcept;
  std::atomic<int> fatal_signal_{0};
  std::atomic<int32_t> fatal_seq_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace sysstub
