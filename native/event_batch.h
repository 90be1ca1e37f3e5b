// The tracer thread's events on their way to JS, and when JS is woken for
// them. Every wake-up of the main thread is a thread-safe-function call, a
// uv_async write and, with the tracer on the other CPU, a cross-CPU IPI and
// the main thread's way back from idle: measured on the 2-CPU VM, 20-25 us of
// main-thread time each, more than the two ptrace stops of a traced call.
// So events that nothing waits for (TracerEvent::Deferrable: traced calls,
// new processes, signal deliveries, later execs) do not wake JS: they wait
// in the queue until an event that needs JS comes (a handler call, an exit:
// it carries them along, in order), until kMaxDeferred have gathered, or
// until the flush timer (kFlushDelayMs) goes off.
#pragma once
#include <cstddef>
#include <mutex>
#include <vector>

#include "tracer_event.h"

namespace sysstub {

class EventBatch {
 public:
  static constexpr size_t kMaxDeferred = 256;
  static constexpr long kFlushDelayMs = 10;

  enum class Then { kNothing, kWake, kArmFlush };

  // Tracer thread: queue e; says whether to wake JS now or make sure the
  // flush timer runs. JS is woken at most once per batch (it takes them all).
  Then Push(const TracerEvent& e) {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(e);
    if (announced_) return Then::kNothing;
    if (!e.Deferrable() || events_.size() >= kMaxDeferred) {
      announced_ = true;
      return Then::kWake;
    }
    return Then::kArmFlush;
  }

  // Tracer thread (the flush timer went off, or the thread goes idle):
  // whether JS must be woken for events queued without a wake-up.
  bool Announce() {
    std::lock_guard<std::mutex> lock(mu_);
    if (announced_ || events_.empty()) return false;
    announced_ = true;
    return true;
  }

  // Main thread: everything queued; the next event starts a new batch.
  std::vector<TracerEvent> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<TracerEvent> out;
    out.swap(events_);
    announced_ = false;
    return out;
  }

 private:
  std::mutex mu_;
  std::vector<TracerEvent> events_;
  bool announced_ = false;  // JS was woken and has not taken the batch yet
};

}  // namespace sysstub
