// Seccomp stops on the ptrace route: what the tracer thread does when a
// trapped call stops its thread (OnSeccompStop), the answer JS sends back
// (ApplyAnswer), the CLONE_UNTRACED guard, and traced calls' entry and exit
// reports. ptrace(2) "Syscall-stops" and seccomp(2) SECCOMP_RET_TRACE: since
// Linux 4.8 the seccomp stop acts as syscall-enter, so orig_rax = -1 skips
// the call and rax is what the program gets back.
#include "tracer.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <linux/audit.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc_status.h"
#include "tracee_mem.h"
#include "tracer_internal.h"

namespace sysstub {

// A traced call reached the kernel's hands: note its entry and its input memory.
void Tracer::TraceEntry(pid_t tid, Tracee& t, uint64_t nr, const user_regs_struct& regs) noexcept {
  TracerEvent& e = t.trace;
  e = TracerEvent{TracerEvent::kSyscall};
  e.pid = t.tgid;
  e.tid = tid;
  e.nr = static_cast<int32_t>(nr);
  const unsigned long long a[6] = {regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9};
  for (int i = 0; i < 6; i++) e.args[i] = a[i];
  e.entry_ns = NowNs();
  if (CaptureList* list = traced_[nr].load(std::memory_order_acquire)) TakeCaptures(tid, *list, false, e.args, 0, &e.mem);
}

// ...and its result: output memory, then the event.
void Tracer::TraceDone(pid_t tid, Tracee& t, int64_t ret, bool unfinished) noexcept {
  TracerEvent& e = t.trace;
  e.ret = ret;
  e.unfinished = unfinished;
  e.exit_ns = NowNs();
  if (!unfinished) {
    if (CaptureList* list = traced_[e.nr].load(std::memory_order_acquire)) TakeCaptures(tid, *list, true, e.args, ret, &e.mem);
  }
  t.tracing = false;
  Emit(e);
  e.mem.clear();
  e.emulated = false;
}

enum class Tracer::AnswerKind : int32_t {
  kReturn = 0,     // skip the call; the program gets value
  kRun = 1,        // let it run, args[i] replaced where bit i of args_mask is set
  kRunToExit = 2,  // the same, stopping at its exit to report it (kExitStop, same seq)
  kAtExit = 3,     // at that exit stop: continue, with rax = value if bit 0 of args_mask is set
};

bool Tracer::ToAnswerKind(int32_t raw, AnswerKind* kind) {
  if (raw < 0 || raw > static_cast<int32_t>(AnswerKind::kAtExit)) return false;
  *kind = static_cast<AnswerKind>(raw);
  return true;
}

void Tracer::Answer(int32_t tid, uint64_t seq, AnswerKind kind, uint64_t value, const uint64_t* args,
                    unsigned args_mask) {
  Command c{Command::kAnswer};
  c.tid = tid;
  c.seq = seq;
  c.kind = kind;
  c.value = value;
  c.args_mask = args_mask;
  if (args) memcpy(c.args, args, sizeof c.args);
  Post(c);
}

void Tracer::ApplyAnswer(const Command& c) noexcept {
  auto it = tracees_.find(c.tid);
  if (it == tracees_.end() || it->second.call_seq != c.seq) return;  // died, or stale
  Tracee& t = it->second;
  t.call_seq = 0;
  user_regs_struct& regs = t.regs;
  if (c.kind == AnswerKind::kAtExit) {
    // At the exit stop of a call JS watched: its final result.
    t.await_exit = false;
    if (c.args_mask & 1) {
      regs.rax = c.value;
      ptrace(PTRACE_SETREGS, c.tid, 0, &regs);
    }
    if (t.tracing) TraceDone(c.tid, t, static_cast<int64_t>(regs.rax), false);
    Resume(c.tid, t, 0);
    return;
  }
  if (c.kind == AnswerKind::kReturn) {
    // Since Linux 4.8 the seccomp stop acts as syscall-enter: nr = -1 skips the
    // call and rax is what the program gets back.
    regs.orig_rax = static_cast<unsigned long long>(-1);
    regs.rax = c.value;
    ptrace(PTRACE_SETREGS, c.tid, 0, &regs);
    if (t.tracing) {
      t.trace.emulated = true;  // no exit stop: the answer is the result
      TraceDone(c.tid, t, static_cast<int64_t>(c.value), false);
    }
  } else if (c.args_mask || t.regs_dirty) {
    unsigned long long* slots[6] = {&regs.rdi, &regs.rsi, &regs.rdx, &regs.r10, &regs.r8, &regs.r9};
    for (int i = 0; i < 6; i++) {
      if (c.args_mask & (1u << i)) *slots[i] = c.args[i];
    }
    ptrace(PTRACE_SETREGS, c.tid, 0, &regs);
  }
  if (c.kind == AnswerKind::kRunToExit) {
    t.await_exit = true;
    t.exit_seq = c.seq;
  }
  Resume(c.tid, t, 0);
}

// Strips CLONE_UNTRACED from a clone/clone3 (see seccomp_filter.cc). Returns
// true for an i386 guard stop, which is never routed (x86-64 numbers only).
bool Tracer::StripUntraced(pid_t tid, user_regs_struct& regs, bool& dirty) noexcept {
  constexpr uint64_t kUntraced = 0x00800000;
  unsigned long data = 0;
  ptrace(PTRACE_GETEVENTMSG, tid, 0, &data);
  bool i386 = data == kGuardI386;
  uint64_t nr = regs.orig_rax;
  if (nr == 435) {  // clone3(struct clone_args *, size): flags is the first u64
    uint64_t ptr = i386 ? (regs.rbx & 0xffffffffu) : regs.rdi, flags = 0;
    if (ReadTraceeMemory(tid, ptr, &flags, sizeof flags) == 0 && (flags & kUntraced)) {
      flags &= ~kUntraced;
      WriteTraceeMemory(tid, ptr, &flags, sizeof flags);
    }
  } else if (i386 && (regs.rbx & kUntraced)) {
    regs.rbx &= ~kUntraced;
    dirty = true;
  } else if (!i386 && nr == 56 && (regs.rdi & kUntraced)) {
    regs.rdi &= ~kUntraced;
    dirty = true;
  }
  return i386;
}

// One stop per emulated call: skip it here (nr = -1) and set rax. Three
// ptrace requests: GETREGS, SETREGS, CONT. PTRACE_GET_SYSCALL_INFO (5.3) would
// give nr and args in one request too, but answering then takes two POKEUSERs
// (orig_rax and rax; 6.16's SET_SYSCALL_INFO cannot set the return value at a
// seccomp stop), one more than SETREGS. The slot number is also in the
// filter's RET_DATA (GETEVENTMSG), but orig_rax already says it without a request.
void Tracer::OnSeccompStop(pid_t tid, Tracee& t) noexcept {
  stats_.seccomp_stops++;
  user_regs_struct regs;
  if (ptrace(PTRACE_GETREGS, tid, 0, &regs) != 0) return;  // ESRCH: killed meanwhile
  uint64_t nr = regs.orig_rax;
  bool dirty = false;
  if ((nr == 56 || nr == 120 || nr == 435) && StripUntraced(tid, regs, dirty)) {
    if (dirty) ptrace(PTRACE_SETREGS, tid, 0, &regs);
    Resume(tid, t, 0);
    return;
  }
  // The supervisor's own code in the child between fork and exec is never routed.
  SlotDecision d = t.pre_exec ? SlotDecision{SlotDecision::kKernel} : slots_.Decide(nr, tid);
  // Traced: the program's calls, and the child's own execve of the program
  // (the first line strace shows), but none of our other pre-exec calls.
  if (nr <= kMaxNr && (!t.pre_exec || nr == 59 || nr == 322) && traced_[nr].load(std::memory_order_relaxed)) {
    TraceEntry(tid, t, nr, regs);
    t.tracing = true;
    // exit and exit_group never return: report them now, as strace prints
    // them at entry, so the line comes before the parent's SIGCHLD.
    if (nr == 60 || nr == 231) TraceDone(tid, t, 0, true);
  }
  switch (d.kind) {
    case SlotDecision::kKernel:
      if (dirty) ptrace(PTRACE_SETREGS, tid, 0, &regs);
      Resume(tid, t, 0);
      return;
    case SlotDecision::kAnswer:
      // Since Linux 4.8 the seccomp stop acts as syscall-enter: nr = -1 skips
      // the call and rax is what the program gets back.
      stats_.native_answers++;
      regs.orig_rax = static_cast<unsigned long long>(-1);
      regs.rax = static_cast<unsigned long long>(d.ret);
      ptrace(PTRACE_SETREGS, tid, 0, &regs);
      if (t.tracing) {
        t.trace.emulated = true;
        TraceDone(tid, t, d.ret, false);
      }
      Resume(tid, t, 0);
      return;
    case SlotDecision::kHandler: {
      stats_.handler_calls++;
      t.regs = regs;
      t.regs_dirty = dirty;
      t.call_seq = ++next_seq_;
      TracerEvent e{TracerEvent::kCall};
      e.pid = t.tgid;
      e.tid = tid;
      e.nr = static_cast<int32_t>(nr);
      e.seq = t.call_seq;
      const unsigned long long a[6] = {regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9};
      for (int i = 0; i < 6; i++) e.args[i] = a[i];
      Emit(e);
      return;  // stays stopped until Answer()
    }
  }
}

}  // namespace sysstub
