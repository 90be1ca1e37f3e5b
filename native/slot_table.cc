#include "slot_table.h"

#include <cerrno>

namespace sysstub {

SlotTable::SlotTable() = default;

void SlotTable::Store(Slot& s, SlotDisposition d, int64_t value, CountedRule* counted) {
  uint32_t seq = s.seq.load(std::memory_order_relaxed);
  s.seq.store(seq + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  s.disposition.store(static_cast<uint8_t>(d), std::memory_order_relaxed);
  s.value.store(value, std::memory_order_relaxed);
  s.counted.store(counted, std::memory_order_relaxed);
  s.seq.store(seq + 2, std::memory_order_release);
}

void SlotTable::Set(uint32_t nr, SlotDisposition d, int64_t value) {
  if (nr > kMaxNr) return;
  Store(slots_[nr], d, value, nullptr);
}

void SlotTable::SetCounted(uint32_t nr, const CountedRule& rule) {
  if (nr > kMaxNr) return;
  CountedRule* p;
  {
    std::lock_guard<std::mutex> lock(mu_);
    counted_store_.push_back(std::make_unique<CountedRule>(rule));
    p = counted_store_.back().get();
  }
  Store(slots_[nr], SlotDisposition::kCounted, 0, p);
}

SlotDecision SlotTable::Decide(uint64_t nr, pid_t tid) {
  if (nr > kMaxNr) return {SlotDecision::kKernel};
  Slot& s = slots_[nr];
  SlotDisposition d;
  int64_t value;
  CountedRule* counted;
  for (;;) {
    uint32_t before = s.seq.load(std::memory_order_acquire);
    d = static_cast<SlotDisposition>(s.disposition.load(std::memory_order_relaxed));
    value = s.value.load(std::memory_order_relaxed);
    counted = s.counted.load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (!(before & 1) && s.seq.load(std::memory_order_relaxed) == before) break;
  }
  switch (d) {
    case SlotDisposition::kKernel: return {SlotDecision::kKernel};
    case SlotDisposition::kErrno: return {SlotDecision::kAnswer, -value};
    case SlotDisposition::kValue: return {SlotDecision::kAnswer, value};
    case SlotDisposition::kHandler: return {SlotDecision::kHandler};
    case SlotDisposition::kCounted:
      // Counters are mutated by this reader only (one reader per table).
      if (counted->Fires(tid)) return {SlotDecision::kAnswer, counted->is_errno ? -counted->value : counted->value};
      if (counted->bottom_kernel) return {SlotDecision::kKernel};
      return {SlotDecision::kAnswer, -ENOSYS};
  }
  return {SlotDecision::kKernel};
}

}  // namespace sysstub
