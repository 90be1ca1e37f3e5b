// Builds the classic-BPF seccomp program that routes stub slots.
// seccomp(2): return actions, AUDIT_ARCH checks, RET_DATA.
#pragma once
#include <cstdint>
#include <linux/filter.h>
#include <string>
#include <vector>

namespace sysstub {

// One action per x86-64 syscall number 0..kMaxNr; SECCOMP_RET_ALLOW for untouched
// numbers. Actions are decided in TypeScript (the stub table); the builder only
// compiles them.
constexpr uint32_t kMaxNr = 1023;

// SECCOMP_RET_DATA of the clone guards (slot stops carry their number, <= kMaxNr).
constexpr uint32_t kGuardX86_64 = 0x8000;
constexpr uint32_t kGuardI386 = 0x8001;

struct FilterProgram {
  std::vector<sock_filter> insns;
  std::string error;  // non-empty when the actions could not be compiled
};

FilterProgram BuildSeccompFilter(const uint32_t* actions, size_t count);

}  // namespace sysstub
