#include "signal_relay.h"

#include <cerrno>
#include <cstring>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

namespace sysstub {
namespace {

constexpr uint32_t kRing = 64;  // more pending at once than this: the oldest are dropped

struct Slot {
  std::atomic<uint64_t> seq{0};  // 0: empty; else the RelayedSignal's seq, set last
  int32_t signo, code, pid;
};

Slot g_ring[kRing];
std::atomic<uint64_t> g_next{0};   // seqs handed out
uint64_t g_taken = 0;              // tracer thread only: the last seq taken
std::atomic<void (*)()> g_wake{nullptr};
sigset_t g_set;
std::atomic<bool> g_active{false};
struct sigaction g_prev[NSIG];  // what each relayed signal had before us; written before our handler is in

// A signal this process sent one of its own threads goes to the handler that
// was there before ours, if there was one: V8's CPU profiler (node
// --cpu-prof) samples with SIGPROF that way, and relaying those killed the
// program with "Profiling timer expired".
void Chain(int signo, siginfo_t* info, void* ctx) {
  const struct sigaction& prev = g_prev[signo];
  if (prev.sa_flags & SA_SIGINFO) {
    if (prev.sa_sigaction) prev.sa_sigaction(signo, info, ctx);
  } else if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN) {
    prev.sa_handler(signo);
  }
}

void OnSignal(int signo, siginfo_t* info, void* ctx) {
  int saved = errno;
  if (SignalRelay::SentByThisProcess(info)) Chain(signo, info, ctx);
  else SignalRelay::Record(signo, info);
  errno = saved;
}

}  // namespace

bool SignalRelay::SentByThisProcess(const siginfo_t* info) {
  return info && info->si_code == SI_TKILL && info->si_pid == getpid();
}

void SignalRelay::Record(int signo, const siginfo_t* info) {
  uint64_t seq = g_next.fetch_add(1, std::memory_order_relaxed) + 1;
  Slot& s = g_ring[seq % kRing];
  s.signo = signo;
  s.code = info ? info->si_code : 0;
  s.pid = info ? info->si_pid : 0;
  s.seq.store(seq, std::memory_order_release);
  if (auto wake = g_wake.load(std::memory_order_acquire)) wake();
}

bool SignalRelay::Start(const sigset_t& set, void (*wake)()) {
  if (g_active.exchange(true)) return false;
  g_wake.store(wake, std::memory_order_release);
  g_set = set;
  struct sigaction sa {};
  sa.sa_sigaction = OnSignal;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  for (int sig = 1; sig < NSIG; sig++) {
    if (sigismember(&set, sig) == 1) sigaction(sig, &sa, &g_prev[sig]);
  }
  return true;
}

void SignalRelay::Adopt(void (*wake)()) {
  g_wake.store(wake, std::memory_order_release);
  if (wake) wake();  // whatever is in the ring already
}

void SignalRelay::Stop() {
  if (!g_active.exchange(false)) return;
  g_wake.store(nullptr, std::memory_order_release);
  // Back to what was there: SIG_DFL (Node resets dispositions at start-up),
  // or a handler of this process's own (the profiler's SIGPROF, which may
  // still tick while Node exits).
  for (int sig = 1; sig < NSIG; sig++) {
    if (sigismember(&g_set, sig) == 1) sigaction(sig, &g_prev[sig], nullptr);
  }
}

bool SignalRelay::active() { return g_active.load(std::memory_order_relaxed); }

uint64_t SignalRelay::received() { return g_next.load(std::memory_order_acquire); }

bool SignalRelay::Take(RelayedSignal* out) {
  uint64_t want = g_taken + 1;
  if (want > g_next.load(std::memory_order_acquire)) return false;
  // Overrun: more than kRing arrived since the last Take; skip what was overwritten.
  if (g_next.load(std::memory_order_acquire) - g_taken > kRing) want = g_next.load() - kRing + 1;
  Slot& s = g_ring[want % kRing];
  uint64_t seq = s.seq.load(std::memory_order_acquire);
  if (seq != want) return false;  // still being written: the handler wakes us again when done
  out->signo = s.signo;
  out->code = s.code;
  out->pid = s.pid;
  out->seq = seq;
  g_taken = want;
  return true;
}

void DieOfSignal(int sig) {
  rlimit none{0, 0};
  setrlimit(RLIMIT_CORE, &none);
  signal(sig, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  raise(sig);
}

}  // namespace sysstub
