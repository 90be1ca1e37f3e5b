// The slot table: what a trapped call on each x86-64 number does, decided
// natively without JS where the answer is known (a constant, an empty stub,
// a counted fault), shared by both routes: the ptrace tracer thread and the
// user-notification listener on Node's thread (each owns one table).
//
// The filter decided that a number stops at all; this table decides what
// happens, and changes while tracees run, as modules load and unload. JS
// (lib/stub-table.ts via lib/supervisor.ts) is the only writer, on Node's main
// thread; the reader may be another thread. A disposition and its value must
// change as one, so each slot is a seqlock: the writer makes the sequence odd,
// stores, makes it even; a reader retries until it saw one even sequence on
// both sides of its loads. A reader therefore never mixes an old route with a
// new value, and never waits for a lock.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <sys/types.h>
#include <vector>

#include "counted_rule.h"
#include "seccomp_filter.h"

namespace sysstub {

// Mirrored by SlotDisposition in lib/native.ts (names and numbers).
enum class SlotDisposition : uint8_t {
  kKernel = 0,   // the kernel runs the call
  kErrno = 1,    // answer -value natively (an empty stub slot: ENOSYS)
  kHandler = 2,  // ask JS
  kValue = 3,    // answer value natively, all 64 bits
  kCounted = 4,  // a CountedRule decides natively
};

struct SlotDecision {
  enum Kind : uint8_t { kKernel, kAnswer, kHandler } kind;
  int64_t ret = 0;  // kAnswer: what the program gets (-errno for errors)
};

class SlotTable {
 public:
  SlotTable();
  // Writer (one thread).
  void Set(uint32_t nr, SlotDisposition d, int64_t value);
  void SetCounted(uint32_t nr, const CountedRule& rule);  // fresh counters
  // Reader. nr > kMaxNr: the kernel's. Counts the call when a counted rule decides.
  SlotDecision Decide(uint64_t nr, pid_t tid);

 private:
  struct Slot {
    std::atomic<uint32_t> seq{0};
    std::atomic<uint8_t> disposition{0};
    std::atomic<int64_t> value{0};
    std::atomic<CountedRule*> counted{nullptr};
  };
  void Store(Slot& s, SlotDisposition d, int64_t value, CountedRule* counted);
  Slot slots_[kMaxNr + 1];
  // Counted rules stay alive as long as the table: a reader may still hold one
  // that was just replaced. Guarded by mu_ (the writer's).
  std::mutex mu_;
  std::vector<std::unique_ptr<CountedRule>> counted_store_;
};

}  // namespace sysstub
