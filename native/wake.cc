// See wake.h for the design. x86-64 only (as is the rest of the tracer).
#include "wake.h"

#include "signal_relay.h"

#include <csignal>
#include <mutex>
#include <signal.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

extern "C" {
// long sysstub_wait4_cp(const int* flag, int* status, long options)
long sysstub_wait4_cp(const int* flag, int* status, long options);
extern const char sysstub_cp_begin[], sysstub_cp_end[], sysstub_cp_cancel[];
}

// The window [cp_begin, cp_end] covers the flag load up to and including the
// syscall instruction; the handler redirects any interruption inside it.
asm(R"(
  .text
  .globl sysstub_wait4_cp
  .type sysstub_wait4_cp,@function
sysstub_wait4_cp:
  .globl sysstub_cp_begin
sysstub_cp_begin:
  movl (%rdi), %eax
  testl %eax, %eax
  jnz sysstub_cp_cancel
  movq $-1, %rdi
  xorl %r10d, %r10d
  movl $61, %eax
  .globl sysstub_cp_end
sysstub_cp_end:
  syscall
  ret
  .globl sysstub_cp_cancel
sysstub_cp_cancel:
  movq $-4, %rax
  ret
  .size sysstub_wait4_cp, .-sysstub_wait4_cp
)");

namespace sysstub {
namespace {

void OnWakeSignal(int signo, siginfo_t* info, void* ctx) {
  // Sent by someone else than a Waker or the tracer's own flush timer
  // (SI_TIMER: only a timer of this process sends that; tracer.cc) (kill -39
  // to sysstub): for the program.
  bool ours = SignalRelay::SentByThisProcess(info) ||
              (info->si_code == SI_TIMER && info->si_value.sival_ptr == Waker::TimerMark());
  if (!ours) {
    if (SignalRelay::active()) SignalRelay::Record(signo, info);
    return;
  }
  auto* uc = static_cast<ucontext_t*>(ctx);
  auto rip = static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]);
  if (rip >= reinterpret_cast<uintptr_t>(sysstub_cp_begin) &&
      rip <= reinterpret_cast<uintptr_t>(sysstub_cp_end)) {
    uc->uc_mcontext.gregs[REG_RIP] = reinterpret_cast<greg_t>(sysstub_cp_cancel);
  }
}

std::once_flag g_install;

}  // namespace

// glibc reserves SIGRTMIN-2..SIGRTMIN-1; Node and libuv use no real-time signal.
int Waker::Signal() { return SIGRTMIN + 5; }

namespace {
char g_timer_mark;
}  // namespace
void* Waker::TimerMark() { return &g_timer_mark; }

void Waker::InstallHandler() {
  std::call_once(g_install, [] {
    struct sigaction sa = {};
    sa.sa_sigaction = OnWakeSignal;
    sa.sa_flags = SA_SIGINFO;  // no SA_RESTART: an interrupted wait4 returns EINTR
    sigfillset(&sa.sa_mask);
    sigaction(Signal(), &sa, nullptr);
  });
}

void Waker::BindToCurrentThread() { tid_ = static_cast<pid_t>(syscall(SYS_gettid)); }

void Waker::Wake() {
  flag_.store(1, std::memory_order_seq_cst);
  // Dekker pairing with Wait(): either the waiter sees flag_ in its asm check,
  // or we see sleeping_ and signal it. An extra signal is harmless.
  if (sleeping_.load(std::memory_order_seq_cst) && tid_ != 0) {
    syscall(SYS_tgkill, getpid(), tid_, Signal());
  }
}

bool Waker::Consume() { return flag_.exchange(0, std::memory_order_seq_cst) != 0; }

long Waker::Wait(int* status, int options) {
  sleeping_.store(1, std::memory_order_seq_cst);
  long r = sysstub_wait4_cp(reinterpret_cast<const int*>(&flag_), status, options);
  sleeping_.store(0, std::memory_order_relaxed);
  return r;
}

}  // namespace sysstub
