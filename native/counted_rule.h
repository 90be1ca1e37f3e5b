// A counted constant answer, decided natively: fault injection's
// when=first[..last][+step] (strace(1) "Tampering") with error= or retval=.
// Counts are per thread, as strace counts per tracee. Each rule object is
// owned and mutated by one thread only (the tracer thread, or Node's main
// thread for the user-notification route).
#pragma once
#include <cstdint>
#include <sys/types.h>
#include <unordered_map>

namespace sysstub {

struct CountedRule {
  uint32_t first = 1, last = UINT32_MAX, step = 0;  // last UINT32_MAX: open; step 0: every one in range
  bool is_errno = true;
  int64_t value = 0;        // errno (positive) or return value
  bool bottom_kernel = false;  // not firing: the kernel runs the call (else ENOSYS, a stub slot)
  std::unordered_map<pid_t, uint32_t> counts;

  // Counts this call of tid; true if the rule fires on it.
  bool Fires(pid_t tid) {
    uint32_t n = ++counts[tid];
    if (n < first || n > last) return false;
    return step == 0 || (n - first) % step == 0;
  }
};

}  // namespace sysstub
