#include "watchdog.h"

#include "signal_relay.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <sys/resource.h>
#include <unistd.h>

namespace sysstub {

Watchdog::Watchdog(int64_t timeout_ms, int32_t* shared, void (*before_exit)() noexcept)
    : shared_(shared), timeout_ms_(timeout_ms), before_exit_(before_exit) {
  thread_ = std::thread([this] { Run(); });
}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Watchdog::Run() noexcept {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, nullptr);  // signals are Node's and the relay's
  // Ticks of a quarter of the timeout (10..250 ms): a blocked call is caught
  // between 1 and 1.25 timeouts after it began; a relayed fatal signal within a tick.
  // Timeout 0 (none): only a relayed fatal signal ends a blocked loop.
  const int64_t tick = timeout_ms_ <= 0 ? 250 : std::max<int64_t>(10, std::min<int64_t>(250, timeout_ms_ / 4));
  int32_t last = 0;
  int64_t blocked = 0;
  int fatal_ticks = 0;
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, std::chrono::milliseconds(tick), [&] { return stop_; })) {
    int32_t now = __atomic_load_n(&shared_[0], __ATOMIC_RELAXED);
    // A fatal signal whose event JS has not handled, while one handler call
    // has held the loop for two ticks: the loop cannot act on it.
    if (int sig = fatal_signal_.load(std::memory_order_acquire)) {
      int32_t acked = __atomic_load_n(&shared_[2], __ATOMIC_RELAXED);
      if (acked >= fatal_seq_.load(std::memory_order_relaxed)) {
        fatal_signal_.store(0, std::memory_order_relaxed);  // the loop saw it: it acts on it
        fatal_ticks = 0;
      } else if ((now & 1) && now == last) {
        if (++fatal_ticks >= 2) DieOf(sig);
      } else {
        fatal_ticks = 0;
      }
    }
    if (!(now & 1) || now != last) {
      last = now;
      blocked = 0;
      continue;
    }
    blocked += tick;
    if (timeout_ms_ > 0 && blocked >= timeout_ms_) Fire(blocked, __atomic_load_n(&shared_[1], __ATOMIC_RELAXED));
  }
}

void Watchdog::Fire(int64_t blocked_ms, int32_t nr) noexcept {
  char msg[256];
  int n = snprintf(msg, sizeof msg,
                   "sysstub: a synchronous handler for syscall %d has blocked the event loop for %lld ms "
                   "(handler timeout %lld ms); killing the program\n",
                   nr, static_cast<long long>(blocked_ms), static_cast<long long>(timeout_ms_));
  if (n > 0) (void)!write(2, msg, static_cast<size_t>(n));
  if (before_exit_) before_exit_();
  _exit(125);
}

void Watchdog::DieOf(int sig) noexcept {
  if (before_exit_) before_exit_();
  DieOfSignal(sig);
  _exit(128 + sig);
}

}  // namespace sysstub
