// The tracer loop. ptrace(2) sections relied on: "Stopped states" (group-stop
// vs signal-delivery-stop, PTRACE_LISTEN), "execve(2) under ptrace" (the
// execing thread takes the leader's tid), "Attaching and detaching" (a new
// child's first stop can arrive before its parent's fork event). ESRCH from
// any request means the tracee was killed meanwhile: normal, not an error.
#include "tracer.h"

#include "notif_response.h"
#include "proc_status.h"
#include "signal_relay.h"
#include "tracee_mem.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <linux/audit.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace sysstub {
namespace {

// Tgid and PPid of a task we have not reaped. Only for a task held in a
// ptrace stop: it cannot exit or change thread group until we resume it, and
// even SIGKILL leaves it a zombie (still in /proc) until our wait4 reaps it.
bool ReadIds(pid_t tid, int32_t* tgid, int32_t* ppid) {
  static const char* const kNames[] = {"Tgid", "PPid"};
  uint64_t v[2];
  if (!ReadProcStatus(tid, kNames, 2, v, 10)) return false;
  *tgid = static_cast<int32_t>(v[0]);
  *ppid = static_cast<int32_t>(v[1]);
  return true;
}

bool IsGroupStopSignal(int sig) {
  return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

void Cont(pid_t tid, int sig) { ptrace(PTRACE_CONT, tid, 0, sig); }

}  // namespace

namespace {
std::mutex g_tracers_mu;
std::vector<Tracer*> g_tracers;  // every live Tracer (KillEveryTracee)
}  // namespace

Tracer::Tracer(EventSink sink) : sink_(std::move(sink)) {
  for (auto& c : traced_) c.store(nullptr, std::memory_order_relaxed);
  Waker::InstallHandler();
  idle_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  thread_ = std::thread([this] { Run(); });
  std::lock_guard<std::mutex> lock(g_tracers_mu);
  g_tracers.push_back(this);
}

namespace {
std::atomic<Tracer*> g_relay_tracer{nullptr};
}  // namespace

// From a signal handler: async-signal-safe only (an atomic, tgkill, write).
void Tracer::WakeForSignal() {
  Tracer* t = g_relay_tracer.load(std::memory_order_acquire);
  if (!t) return;
  t->waker_.Wake();
  uint64_t one = 1;
  (void)!write(t->idle_fd_, &one, sizeof one);
}

bool Tracer::RelaySignals(const sigset_t& set) {
  Tracer* none = nullptr;
  if (!g_relay_tracer.compare_exchange_strong(none, this)) return false;
  // The wake signal keeps its own handler, which relays it when someone else sent it (wake.cc).
  sigset_t relayed = set;
  sigdelset(&relayed, Waker::Signal());
  if (SignalRelay::active()) {
    SignalRelay::Adopt(&Tracer::WakeForSignal);  // started early (holdSignals)
    return true;
  }
  return SignalRelay::Start(relayed, &Tracer::WakeForSignal);
}

Tracer::~Tracer() {
  {
    std::lock_guard<std::mutex> lock(g_tracers_mu);
    g_tracers.erase(std::remove(g_tracers.begin(), g_tracers.end(), this), g_tracers.end());
  }
  Close();
  Tracer* self = this;
  if (g_relay_tracer.compare_exchange_strong(self, nullptr)) SignalRelay::Stop();
  if (idle_fd_ >= 0) close(idle_fd_);
  for (const Command& c : commands_) {
    if (c.type == Command::kInterrupt) close(c.fd);  // posted as the thread stopped
  }
}

void Tracer::Post(Command cmd) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    commands_.push_back(cmd);
  }
  cv_.notify_all();
  waker_.Wake();
  uint64_t one = 1;
  (void)!write(idle_fd_, &one, sizeof one);
}

SpawnResult Tracer::Spawn(SpawnRequest req) {
  SpawnResult result;
  bool done = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_) return {-1, ESHUTDOWN, "spawn", -1};
  }
  Command c{Command::kSpawn};
  c.spawn = &req;
  c.spawn_result = &result;
  c.spawn_done = &done;
  Post(c);
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return done; });
  return result;
}

// Publish an immutable object for nr to the tracer thread; kept until the tracer goes.
template <typename T>
T* Tracer::Publish(std::vector<std::unique_ptr<T>>& store, const T& value) {
  auto owned = std::make_unique<T>(value);
  T* p = owned.get();
  std::lock_guard<std::mutex> lock(mu_);
  store.push_back(std::move(owned));
  return p;
}

void Tracer::SetTraced(uint32_t nr, const CaptureList& captures) {
  if (nr > kMaxNr) return;
  traced_[nr].store(Publish(traced_store_, captures), std::memory_order_release);
  tracing_enabled_.store(true, std::memory_order_relaxed);
}

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

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
}

// Restart a stopped tracee; one inside a traced call continues to its exit stop.
void Tracer::Resume(pid_t tid, Tracee& t, int sig) noexcept {
  ptrace(t.tracing || t.await_exit ? PTRACE_SYSCALL : PTRACE_CONT, tid, 0, sig);
}

void Tracer::Answer(int32_t tid, uint64_t seq, int kind, uint64_t value, const uint64_t* args,
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

void Tracer::InterruptNotified(int32_t tid, int listener_fd, uint64_t id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_ || closed_) {  // the tracees are being killed: nothing to interrupt
      close(listener_fd);
      return;
    }
  }
  Command c{Command::kInterrupt};
  c.tid = tid;
  c.seq = id;
  c.fd = listener_fd;
  Post(c);
}

// PTRACE_INTERRUPT sets TIF_SIGPENDING on exactly this thread
// (ptrace_signal_wake_up) without ending its killable wait in
// seccomp_do_user_notification; the -ERESTARTSYS answer then goes through
// signal handling on the way out: the pending signal is delivered (after a
// PTRACE_EVENT_STOP that HandleStatus resumes) and the call restarted or
// failed with EINTR as its SA_RESTART says, or restarted if the signal went
// to another thread meanwhile. A thread we could not flag gets EINTR, never
// -ERESTARTSYS: unflagged, that would reach the program as errno 512.
void Tracer::ApplyInterrupt(const Command& c) noexcept {
  bool flagged = ptrace(PTRACE_INTERRUPT, c.tid, 0, 0) == 0;
  SendNotifResponse(c.fd, c.seq, 0, flagged ? -kErestartSys : -EINTR, 0);
  close(c.fd);
}

void Tracer::KillEveryTracee(int64_t wait_ms) noexcept {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  std::lock_guard<std::mutex> all(g_tracers_mu);
  for (Tracer* t : g_tracers) {
    {
      std::lock_guard<std::mutex> lock(t->mu_);
      if (t->closed_) continue;  // Close() killed them (and joins)
    }
    t->Post(Command{Command::kKill});
  }
  for (Tracer* t : g_tracers) {
    std::unique_lock<std::mutex> lock(t->mu_);
    t->cv_.wait_until(lock, deadline, [t] { return t->killed_ || t->closed_; });
  }
}

void Tracer::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    closed_ = true;
  }
  Post(Command{Command::kShutdown});
  if (thread_.joinable()) thread_.join();
}

std::vector<TracerEvent> Tracer::TakeEvents() {
  std::lock_guard<std::mutex> lock(events_mu_);
  std::vector<TracerEvent> out;
  out.swap(events_);
  return out;
}

void Tracer::Emit(const TracerEvent& e) noexcept {
  bool first;
  {
    std::lock_guard<std::mutex> lock(events_mu_);
    first = events_.empty();
    events_.push_back(e);
  }
  // One thread-safe call per batch: JS drains everything queued by then.
  if (first) sink_();
}

Tracer::Tracee& Tracer::Track(pid_t tid, int32_t tgid) noexcept {
  auto [it, inserted] = tracees_.try_emplace(tid);
  if (inserted) {
    it->second.tgid = tgid;
  }
  return it->second;
}

void Tracer::Run() noexcept {
  waker_.BindToCurrentThread();
  // Only the wake signal may interrupt this thread; process-directed signals
  // (SIGINT, SIGCHLD...) go to Node's threads.
  sigset_t mask;
  sigfillset(&mask);
  sigdelset(&mask, Waker::Signal());
  pthread_sigmask(SIG_SETMASK, &mask, nullptr);

  for (;;) {
    waker_.Consume();
    DrainCommands();
    DrainRelayed();
    if (tracees_.empty()) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (closing_) break;
        if (!commands_.empty()) continue;
      }
      // Nothing to wait4 for: sleep until a command or a relayed signal.
      pollfd p{idle_fd_, POLLIN, 0};
      poll(&p, 1, -1);
      uint64_t n;
      (void)!read(idle_fd_, &n, sizeof n);
      continue;
    }
    int status = 0;
    long r = waker_.Wait(&status, __WALL | __WNOTHREAD);
    if (r == -EINTR) continue;
    if (r == -ECHILD) {
      // Nothing left to wait for: whatever we still track vanished unreported
      // (never seen to happen; a kernel that did would hang JS waiting for
      // exits). Every announced process still gets its one exit report.
      std::vector<pid_t> left;
      for (auto& [tid, t] : tracees_) left.push_back(tid);
      for (pid_t tid : left) OnExit(tid, SIGKILL);  // status: killed by SIGKILL
      tracees_.clear();
      unborn_.clear();
      continue;
    }
    if (r <= 0) continue;
    stats_.stops++;
    HandleStatus(static_cast<pid_t>(r), status);
  }
}

void Tracer::DrainCommands() noexcept {
  for (;;) {
    Command c;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (commands_.empty()) return;
      c = commands_.front();
      commands_.pop_front();
    }
    switch (c.type) {
      case Command::kSpawn: {
        SpawnResult res = SpawnTracee(*c.spawn);
        if (res.pid > 0 && !root_) {
          root_ = res.pid;
          for (const RelayedSignal& early : before_spawn_) kill(res.pid, early.signo);
          before_spawn_.clear();
        }
        if (res.pid > 0) {
          Tracee& t = Track(res.pid, res.pid);
          t.pre_exec = true;
          t.announced = true;  // JS knows its spawned children
          t.exec_error_fd = res.exec_error_fd;
        }
        {
          std::lock_guard<std::mutex> lock(mu_);
          *c.spawn_result = res;
          *c.spawn_done = true;
        }
        cv_.notify_all();
        break;
      }
      case Command::kAnswer:
        ApplyAnswer(c);
        break;
      case Command::kInterrupt:
        ApplyInterrupt(c);
        break;
      case Command::kKill:
        KillAll();
        {
          std::lock_guard<std::mutex> lock(mu_);
          killed_ = true;
        }
        cv_.notify_all();
        break;
      case Command::kShutdown: {
        {
          std::lock_guard<std::mutex> lock(mu_);
          closing_ = true;
        }
        KillAll();
        break;
      }
    }
  }
}

void Tracer::DrainRelayed() noexcept {
  RelayedSignal s;
  while (SignalRelay::Take(&s)) Relay(s);
}

// Whether tgid already got the signal the relay got: it is pending there
// (kill(2) queues it group-wide: ShdPnd of /proc/PID/status), or a delivery
// stop of it from the same sender was seen since the previous relayed signal
// (a group signal reaches both at once, and either may be handled first).
bool Tracer::AlreadyGot(pid_t tgid, const RelayedSignal& s) noexcept {
  for (auto it = deliveries_.begin(); it != deliveries_.end(); ++it) {
    if (it->tgid == tgid && it->signo == s.signo && it->pid == s.pid && it->code == s.code && it->relay_seen + 1 >= s.seq) {
      deliveries_.erase(it);
      return true;
    }
  }
  static const char* const kNames[] = {"ShdPnd"};
  uint64_t pending = 0;
  if (!ReadProcStatus(tgid, kNames, 1, &pending, 16)) return false;
  return pending & (uint64_t{1} << (s.signo - 1));
}

void Tracer::Relay(const RelayedSignal& s) noexcept {
  if (s.pid == getpid()) return;  // our own (killSelfWith at the end)
  if (!root_) {
    before_spawn_.push_back(s);  // for the program, as soon as there is one
    return;
  }
  // Stops that already happened are handled first: a delivery of this very
  // signal may be among them.
  int status;
  for (pid_t r; (r = wait4(-1, &status, __WALL | __WNOTHREAD | WNOHANG, nullptr)) > 0;) {
    stats_.stops++;
    HandleStatus(r, status);
  }
  std::vector<pid_t> targets;
  auto root = tracees_.find(root_);
  if (root != tracees_.end() && root->second.tgid == root_) {
    targets.push_back(root_);
  } else {
    for (auto& [tid, t] : tracees_) {
      if (t.tgid == tid && !t.pre_exec) targets.push_back(tid);
    }
  }
  // SIGWINCH, SIGURG (and SIGCHLD, SIGCONT, not relayed) do not terminate by
  // default: every other relayed signal does, so a handler blocking the event
  // loop must not keep sysstub from dying of it (watchdog.h).
  ++relayed_events_;
  if (s.signo != SIGWINCH && s.signo != SIGURG) {
    if (Watchdog* w = watchdog_.load(std::memory_order_acquire)) w->NoteFatalSignal(s.signo, relayed_events_);
  }
  TracerEvent e{TracerEvent::kRelayed};
  e.signal = s.signo;
  e.targets = static_cast<int32_t>(targets.size());
  for (pid_t p : targets) {
    if (AlreadyGot(p, s)) continue;
    if (kill(p, s.signo) == 0) e.delivered++;
  }
  Emit(e);
}

void Tracer::KillAll() noexcept {
  // SIGKILL ends every stop, including group-stop and our seccomp stops.
  for (auto& [tid, t] : tracees_) {
    if (t.tgid == tid) kill(tid, SIGKILL);
  }
  for (auto& [tid, status] : unborn_) kill(tid, SIGKILL);  // held before their creator's event
}

void Tracer::ApplyAnswer(const Command& c) noexcept {
  auto it = tracees_.find(c.tid);
  if (it == tracees_.end() || it->second.call_seq != c.seq) return;  // died, or stale
  Tracee& t = it->second;
  t.call_seq = 0;
  user_regs_struct& regs = t.regs;
  if (c.kind == 3) {
    // At the exit stop of a call JS watched: its final result.
    t.await_exit = false;
    if (c.args_mask & 1) {
      regs.rax = c.value;
      ptrace(PTRACE_SETREGS, c.tid, 0, &regs);
    }
    if (t.tracing) TraceDone(c.tid, t, static_cast<int64_t>(regs.rax), false);
    Cont(c.tid, 0);
    return;
  }
  if (c.kind == 0) {
    // Since Linux 4.8 the seccomp stop acts as syscall-enter: nr = -1 skips the
    // call and rax is what the program gets back.
    regs.orig_rax = static_cast<unsigned long long>(-1);
    regs.rax = c.value;
    ptrace(PTRACE_SETREGS, c.tid, 0, &regs);
    if (t.tracing) TraceDone(c.tid, t, static_cast<int64_t>(c.value), false);  // emulated: no exit stop
  } else if (c.args_mask || t.regs_dirty) {
    unsigned long long* slots[6] = {&regs.rdi, &regs.rsi, &regs.rdx, &regs.r10, &regs.r8, &regs.r9};
    for (int i = 0; i < 6; i++) {
      if (c.args_mask & (1u << i)) *slots[i] = c.args[i];
    }
    ptrace(PTRACE_SETREGS, c.tid, 0, &regs);
  }
  if (c.kind == 2) {
    t.await_exit = true;
    t.exit_seq = c.seq;
  }
  Resume(c.tid, t, 0);
}

void Tracer::HandleStatus(pid_t tid, int status) noexcept {
  if (WIFEXITED(status) || WIFSIGNALED(status)) {
    OnExit(tid, status);
    return;
  }
  if (!WIFSTOPPED(status)) return;
  auto it = tracees_.find(tid);
  if (it == tracees_.end()) {
    Hold(tid, status);
    return;
  }
  Tracee& t = it->second;
  int sig = WSTOPSIG(status);
  int event = static_cast<unsigned>(status) >> 16;

  if (closing_.load(std::memory_order_relaxed)) {
    // Shutting down: whatever stops dies, including children that appear
    // after KillAll() (a fork in flight), so that Close() cannot wait for ever.
    if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK || event == PTRACE_EVENT_CLONE) {
      unsigned long child = 0;
      if (ptrace(PTRACE_GETEVENTMSG, tid, 0, &child) == 0) kill(static_cast<pid_t>(child), SIGKILL);
    }
    kill(t.tgid, SIGKILL);
    Cont(tid, 0);
    return;
  }

  switch (event) {
    case PTRACE_EVENT_SECCOMP:
      OnSeccompStop(tid, t);
      return;
    case PTRACE_EVENT_FORK:
    case PTRACE_EVENT_VFORK:
    case PTRACE_EVENT_CLONE:
      stats_.event_stops++;
      OnNewTask(tid, event);
      Resume(tid, tracees_[tid], 0);  // OnNewTask may have rehashed the map
      return;
    case PTRACE_EVENT_EXEC: {
      stats_.event_stops++;
      OnExec(tid);
      Resume(tid, tracees_[tid], 0);
      return;
    }
    case PTRACE_EVENT_EXIT:
      stats_.event_stops++;
      Resume(tid, t, 0);
      return;
    case PTRACE_EVENT_STOP:
      // A seized task's attach stop and PTRACE_INTERRUPT stops report SIGTRAP
      // unless a group-stop is in progress (kernel do_jobctl_trap): a stop
      // signal here is a group-stop, also for a child that was just attached.
      if (IsGroupStopSignal(sig)) {
        // Group-stop: PTRACE_LISTEN keeps it stopped (PRoot bug #60 restarted
        // it with CONT, so Ctrl-Z did nothing) while still reporting SIGCONT.
        stats_.group_stops++;
        ptrace(PTRACE_LISTEN, tid, 0, 0);
      } else {
        Resume(tid, t, 0);  // PTRACE_INTERRUPT stop, or the stop after SIGCONT in LISTEN
      }
      return;
    default:
      break;
  }
  if (sig == (SIGTRAP | 0x80)) {  // syscall-exit stop (TRACESYSGOOD) of a traced or watched call
    if (t.await_exit) {
      // JS watches this call: report its result and wait for the final answer (kind 3).
      if (ptrace(PTRACE_GETREGS, tid, 0, &t.regs) != 0) return;
      t.call_seq = t.exit_seq;
      TracerEvent e{TracerEvent::kExitStop};
      e.pid = t.tgid;
      e.tid = tid;
      e.seq = t.exit_seq;
      e.ret = static_cast<int64_t>(t.regs.rax);
      Emit(e);
      return;
    }
    if (t.tracing) {
      user_regs_struct regs;
      int64_t ret = ptrace(PTRACE_GETREGS, tid, 0, &regs) == 0 ? static_cast<int64_t>(regs.rax) : -ESRCH;
      TraceDone(tid, t, ret, false);
    }
    Cont(tid, 0);
    return;
  }
  // Signal-delivery-stop: deliver the signal as the kernel would have.
  stats_.signal_stops++;
  TracerEvent e{TracerEvent::kSignal};
  e.pid = t.tgid;
  e.tid = tid;
  e.signal = sig;
  bool tracing = tracing_enabled_.load(std::memory_order_relaxed);
  if (tracing || SignalRelay::active()) {
    // For the trace line's {si_signo=..., si_code=...}, and the relay's sender check.
    siginfo_t si;
    if (ptrace(PTRACE_GETSIGINFO, tid, 0, &si) == 0) {
      if (tracing) e.mem.assign(reinterpret_cast<const char*>(&si), sizeof si);
      if (SignalRelay::active()) {
        deliveries_.push_back({t.tgid, sig, si.si_pid, si.si_code, SignalRelay::received()});
        if (deliveries_.size() > 64) deliveries_.pop_front();
      }
    }
  }
  Emit(e);
  Resume(tid, t, sig);
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
    Cont(tid, 0);
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
      if (t.tracing) TraceDone(tid, t, d.ret, false);
      Cont(tid, 0);
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

// Whether the task a PTRACE_EVENT_CLONE stop reports is a thread: CLONE_THREAD
// in the flags of the clone/clone3 the creator is stopped in (its registers
// and, for clone3, its struct clone_args, both stable while it is stopped).
bool Tracer::CloneMakesThread(pid_t creator) noexcept {
  constexpr uint64_t kCloneThread = 0x00010000;
  user_regs_struct regs;
  if (ptrace(PTRACE_GETREGS, creator, 0, &regs) != 0) return false;
  // int 0x80 from 64-bit code: the i386 table (clone 120, clone3 435) and
  // i386 argument registers. PTRACE_GET_SYSCALL_INFO (5.3) names the arch at
  // any stop; without it, a 32-bit code segment says i386.
  __ptrace_syscall_info info{};
  bool i386 = ptrace(PTRACE_GET_SYSCALL_INFO, creator, sizeof info, &info) > 0
                  ? info.arch == AUDIT_ARCH_I386
                  : regs.cs == 0x23;
  uint64_t nr = regs.orig_rax & ~uint64_t{0x40000000};  // x32 numbers are x86-64's plus a bit
  uint64_t arg0 = i386 ? (regs.rbx & 0xffffffffu) : regs.rdi;
  if (nr == 435) {  // clone3(struct clone_args *, size): flags is the first u64
    uint64_t flags = 0;
    return ReadTraceeMemory(creator, arg0, &flags, sizeof flags) == 0 && (flags & kCloneThread);
  }
  if (nr == (i386 ? 120u : 56u)) return arg0 & kCloneThread;
  return false;
}

// The creator's fork/vfork/clone event: the authority on what the new task
// is (ptrace(2): the new task's own first stop, and even its exit, may be
// reported before this event).
void Tracer::OnNewTask(pid_t parent_tid, int event) noexcept {
  unsigned long msg = 0;
  if (ptrace(PTRACE_GETEVENTMSG, parent_tid, 0, &msg) != 0) return;
  pid_t child = static_cast<pid_t>(msg);
  bool thread = event == PTRACE_EVENT_CLONE && CloneMakesThread(parent_tid);
  int32_t parent = tracees_[parent_tid].tgid;
  int32_t tgid = thread ? parent : child;
  if (auto done = early_exits_.find(child); done != early_exits_.end()) {
    // Came and went before this event: a process is announced and ends now.
    int status = done->second;
    early_exits_.erase(done);
    if (!thread) {
      Tracee& t = Track(child, tgid);
      Announce(child, t, parent);
      OnExit(child, status);
    }
    return;
  }
  Tracee& t = Track(child, tgid);  // a no-op when the fallback resolved it already
  Announce(child, t, parent);
  if (auto held = unborn_.find(child); held != unborn_.end()) {
    int status = held->second;
    unborn_.erase(held);
    HandleStatus(child, status);  // its first stop, now that we know what it is
  }
}

// A stop of a task we do not know yet: its creator's event has not been
// reported. It stays stopped until that event says what it is. A creator
// that gets a fatal signal after creating it never reports the event
// (ptrace_stop skips it); a thread then dies with its group, so only a
// process can wait in vain: ResolveHeld() settles those.
void Tracer::Hold(pid_t tid, int status) noexcept {
  if (closing_.load(std::memory_order_relaxed)) {
    kill(tid, SIGKILL);
    Cont(tid, 0);
    return;
  }
  unborn_[tid] = status;
  ResolveHeld(false);
}

// Held processes whose creator can no longer report them (its group is gone
// from what we trace), or every held process (after_exit: some task died,
// maybe the creator) are resolved from /proc, stable while they are held.
void Tracer::ResolveHeld(bool after_exit) noexcept {
  for (auto it = unborn_.begin(); it != unborn_.end();) {
    pid_t tid = it->first;
    int32_t tgid = 0, ppid = 0;
    if (!ReadIds(tid, &tgid, &ppid) || tgid != tid) {
      ++it;  // a thread: its creator's event, or its group's death, will come
      continue;
    }
    auto creator = tracees_.find(ppid);
    if (!after_exit && creator != tracees_.end() && creator->second.tgid == ppid) {
      ++it;  // its parent process is alive and traced: the event will come
      continue;
    }
    int status = it->second;
    it = unborn_.erase(it);
    Tracee& t = Track(tid, tid);
    Announce(tid, t, creator != tracees_.end() ? ppid : 0);
    HandleStatus(tid, status);
  }
}

void Tracer::Announce(pid_t tid, Tracee& t, int32_t parent) noexcept {
  if (t.announced || t.tgid != tid) return;
  t.announced = true;
  TracerEvent e{TracerEvent::kNewProcess};
  e.pid = tid;
  e.tid = tid;
  e.parent = parent;
  Emit(e);
}

void Tracer::OnExec(pid_t tid) noexcept {
  unsigned long former = tid;
  ptrace(PTRACE_GETEVENTMSG, tid, 0, &former);
  Tracee& t = tracees_[tid];
  if (static_cast<pid_t>(former) != tid) {
    // A non-leader thread exec'd: it now has the leader's tid, and the old tid
    // vanishes without an exit report. The old leader's pending call (if any)
    // died with it.
    if (t.call_seq) {
      TracerEvent c{TracerEvent::kCancel};
      c.pid = t.tgid;
      c.tid = tid;
      c.seq = t.call_seq;
      Emit(c);
      t.call_seq = 0;
    }
    tracees_.erase(static_cast<pid_t>(former));
  }
  Tracee& leader = tracees_[tid];
  leader.tgid = tid;
  bool first_exec = leader.pre_exec;
  leader.pre_exec = false;
  if (leader.exec_error_fd >= 0) {
    close(leader.exec_error_fd);
    leader.exec_error_fd = -1;
  }
  TracerEvent e{TracerEvent::kExec};
  e.pid = tid;
  e.tid = static_cast<int32_t>(former);
  e.first_exec = first_exec;
  Emit(e);
}

void Tracer::OnExit(pid_t tid, int status) noexcept {
  auto it = tracees_.find(tid);
  if (it == tracees_.end()) {
    // Before its creator's event (held, or not even stopped yet): that event
    // decides whether this was a process, to be announced and ended then.
    unborn_.erase(tid);
    early_exits_[tid] = status;
    return;
  }
  Tracee t = it->second;
  tracees_.erase(it);
  if (t.await_exit && !t.call_seq) t.call_seq = t.exit_seq;  // died inside a watched call
  if (t.tracing) TraceDone(tid, t, 0, true);  // exit_group, or killed inside a traced call
  if (t.call_seq) {
    TracerEvent c{TracerEvent::kCancel};
    c.pid = t.tgid;
    c.tid = tid;
    c.seq = t.call_seq;
    Emit(c);
  }
  if (!unborn_.empty()) ResolveHeld(true);
  if (t.tgid != tid) return;  // a thread; the process ends with its leader
  stats_.exits++;
  if (t.exec_error_fd >= 0) {
    int err = 0;
    ssize_t n = read(t.exec_error_fd, &err, sizeof err);
    close(t.exec_error_fd);
    if (n == static_cast<ssize_t>(sizeof err) && err > 0) {
      TracerEvent e{TracerEvent::kSpawnError};
      e.pid = tid;
      e.tid = tid;
      e.error = err;
      Emit(e);
      return;
    }
  }
  TracerEvent e{TracerEvent::kExit};
  e.pid = tid;
  e.tid = tid;
  if (WIFEXITED(status)) {
    e.code = WEXITSTATUS(status);
  } else {
    e.code = -1;
    e.signal = WTERMSIG(status);
    e.core = WCOREDUMP(status);
  }
  Emit(e);
}

}  // namespace sysstub
