// The filter's shape, and why:
//   1. arch != AUDIT_ARCH_X86_64 (i386 via int 0x80)  -> ALLOW: the kernel's own
//      i386 table answers; module handlers speak x86-64 numbers only.
//   2. nr has the x32 bit (0x40000000)                -> the same search over
//      nr & ~x32 bit, where every routed slot answers ERRNO(ENOSYS): an x32 call
//      can never bypass a slot, nor reach a handler that would misread its ABI.
//   3. a balanced binary search over runs of equal action -> that action.
//   0. clone/clone3 guards: CLONE_UNTRACED would create a child that keeps this
//      filter but has no tracer, so its trapped calls would fail ENOSYS (strace
//      issue #303). clone (x86-64 56, i386 120) is trapped only when its flags
//      carry CLONE_UNTRACED; clone3 keeps its flags in memory, out of BPF's
//      reach, so every clone3 stops once. The tracer strips the flag.
// Apart from the clone guards, only arch and nr are loaded on any path, so the kernel's per-number
// "always allow" cache (seccomp_cache_prepare, 5.11) skips the filter for
// untouched calls entirely. Branches use `ja` (32-bit offset) for far targets,
// so the 8-bit conditional offsets never overflow however many slots are wired.
#include "seccomp_filter.h"

#include <cerrno>
#include <cstddef>
#include <linux/audit.h>
#include <linux/seccomp.h>

namespace sysstub {
namespace {

constexpr uint32_t kX32Bit = 0x40000000;
constexpr uint32_t kCloneUntraced = 0x00800000;
constexpr uint32_t kClone = 56, kClone3 = 435, kI386Clone = 120, kI386Clone3 = 435;

struct Run {
  uint32_t lo, hi, action;
};

struct Emitter {
  std::vector<sock_filter> out;
  size_t Emit(uint16_t code, uint32_t k, uint8_t jt = 0, uint8_t jf = 0) {
    out.push_back(sock_filter{code, jt, jf, k});
    return out.size() - 1;
  }
  // Binary search over runs[a..b): nr is in the accumulator.
  void Tree(const std::vector<Run>& runs, size_t a, size_t b, bool x32) {
    if (b - a == 1) {
      uint32_t act = runs[a].action;
      if (x32 && act != SECCOMP_RET_ALLOW) act = SECCOMP_RET_ERRNO | ENOSYS;
      Emit(BPF_RET | BPF_K, act);
      return;
    }
    size_t mid = a + (b - a) / 2;
    // if (nr >= runs[mid].lo) goto right; else fall through to left.
    Emit(BPF_JMP | BPF_JGE | BPF_K, runs[mid].lo, 0, 1);
    size_t jump_right = Emit(BPF_JMP | BPF_JA, 0);
    Tree(runs, a, mid, x32);
    out[jump_right].k = static_cast<uint32_t>(out.size() - jump_right - 1);
    Tree(runs, mid, b, x32);
  }
};

}  // namespace

FilterProgram BuildSeccompFilter(const uint32_t* actions, size_t count) {
  FilterProgram prog;
  if (count != kMaxNr + 1) {
    prog.error = "expected one action per syscall number 0..1023";
    return prog;
  }
  // Runs of equal action; everything above kMaxNr is ALLOW.
  std::vector<Run> runs;
  for (uint32_t nr = 0; nr <= kMaxNr; nr++) {
    if (!runs.empty() && runs.back().action == actions[nr]) {
      runs.back().hi = nr;
    } else {
      runs.push_back({nr, nr, actions[nr]});
    }
  }
  if (runs.back().action == SECCOMP_RET_ALLOW) {
    runs.back().hi = 0xffffffff;
  } else {
    runs.push_back({kMaxNr + 1, 0xffffffff, SECCOMP_RET_ALLOW});
  }

  Emitter e;
  const uint32_t args0 = offsetof(seccomp_data, args);  // low half on little-endian x86
  e.Emit(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch));
  e.Emit(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 7, 0);
  // i386: clone guards, then ALLOW.
  e.Emit(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr));
  e.Emit(BPF_JMP | BPF_JEQ | BPF_K, kI386Clone3, 3, 0);
  e.Emit(BPF_JMP | BPF_JEQ | BPF_K, kI386Clone, 0, 3);
  e.Emit(BPF_LD | BPF_W | BPF_ABS, args0);
  e.Emit(BPF_JMP | BPF_JSET | BPF_K, kCloneUntraced, 0, 1);
  e.Emit(BPF_RET | BPF_K, SECCOMP_RET_TRACE | kGuardI386);
  e.Emit(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  // x86-64.
  e.Emit(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr));
  if (actions[kClone3] == SECCOMP_RET_ALLOW) {
    e.Emit(BPF_JMP | BPF_JEQ | BPF_K, kClone3, 0, 1);
    e.Emit(BPF_RET | BPF_K, SECCOMP_RET_TRACE | kGuardX86_64);
  }
  e.Emit(BPF_JMP | BPF_JEQ | BPF_K, kClone, 0, 4);
  e.Emit(BPF_LD | BPF_W | BPF_ABS, args0);
  e.Emit(BPF_JMP | BPF_JSET | BPF_K, kCloneUntraced, 0, 1);
  e.Emit(BPF_RET | BPF_K, SECCOMP_RET_TRACE | kGuardX86_64);
  e.Emit(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr));
  e.Emit(BPF_JMP | BPF_JGE | BPF_K, kX32Bit, 0, 1);
  size_t jump_x32 = e.Emit(BPF_JMP | BPF_JA, 0);
  e.Tree(runs, 0, runs.size(), false);
  e.out[jump_x32].k = static_cast<uint32_t>(e.out.size() - jump_x32 - 1);
  // x32 clone guards (only where the kernel has x32): clone3 fails ENOSYS, so
  // libc falls back to clone; clone with CLONE_UNTRACED fails EPERM.
  e.Emit(BPF_JMP | BPF_JEQ | BPF_K, kX32Bit | kClone3, 0, 1);
  e.Emit(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
  e.Emit(BPF_JMP | BPF_JEQ | BPF_K, kX32Bit | kClone, 0, 4);
  e.Emit(BPF_LD | BPF_W | BPF_ABS, args0);
  e.Emit(BPF_JMP | BPF_JSET | BPF_K, kCloneUntraced, 0, 1);
  e.Emit(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
  e.Emit(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr));
  e.Emit(BPF_ALU | BPF_AND | BPF_K, ~kX32Bit);
  e.Tree(runs, 0, runs.size(), true);

  if (e.out.size() > BPF_MAXINSNS) {
    prog.error = "filter exceeds BPF_MAXINSNS (4096 instructions)";
    return prog;
  }
  prog.insns = std::move(e.out);
  return prog;
}

}  // namespace sysstub
