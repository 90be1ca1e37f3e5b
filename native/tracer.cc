// The tracer loop. ptrace(2) sections relied on: "Stopped states" (group-stop
// vs signal-delivery-stop, PTRACE_LISTEN), "execve(2) under ptrace" (the
// execing thread takes the leader's tid), "Attaching and detaching" (a new
// child's first stop can arrive before its parent's fork event). ESRCH from
// any request means the tracee was killed meanwhile: normal, not an error.
#include "tracer.h"

#include "tracer_internal.h"

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
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace sysstub {

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

namespace {
// Every ptrace stop of a tracee sends SIGCHLD to this process (signal(7),
// do_notify_parent_cldstop: CLD_TRAPPED), and since the tracer thread blocks
// it, the kernel wakes Node's main thread for it: two wake-ups per traced
// call, each 20-25 us of main-thread time on the 2-CPU VM, whether or not
// anyone handles SIGCHLD. SA_NOCLDSTOP (sigaction(2)) stops the signal for
// stops and continues; exits still send it, which is all libuv's handler
// (child_process) waits for. Set again at every spawn and attach because
// libuv installs its handler, without the flag, at Node's first child.
// Read-modify-write, as sigaction(2) allows: a handler installed by another
// thread (a Worker's first child_process) between the two calls would be
// replaced by the one read here. JS spawns and attaches on the main thread,
// where Node's own handler goes in; Workers spawning at that instant are the
// window left.
void QuietStopNotifications() noexcept {
  struct sigaction sa;
  if (sigaction(SIGCHLD, nullptr, &sa) != 0 || (sa.sa_flags & SA_NOCLDSTOP) || sa.sa_handler == SIG_IGN) return;
  sa.sa_flags |= SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, nullptr);
}
}  // namespace

SpawnResult Tracer::Spawn(SpawnRequest req) {
  QuietStopNotifications();
  SpawnResult result;
  bool done = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_) return {-1, ESHUTDOWN, "spawn", nullptr};
  }
  Command c{Command::kSpawn};
  c.spawn = &req;
  c.spawn_result = &result;
  c.done = &done;
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

// Restart a stopped tracee; one inside a traced call continues to its exit
// stop, one without the filter to its next call (attach.h). One being
// detached is let go here instead.
void Tracer::Resume(pid_t tid, Tracee& t, int sig) noexcept {
  if (t.detaching && !t.call_seq && !t.await_exit) {
    DetachNow(tid, t, sig);
    return;
  }
  ptrace(t.syscall_stops || t.tracing || t.await_exit ? PTRACE_SYSCALL : PTRACE_CONT, tid, 0, sig);
  // An attach's filter still to go in needs an interrupt stop (attach.cc
  // InjectPending), and any other stop dropped the pending interrupt: ask again.
  if (!pending_filters_.empty() && pending_filters_.count(t.tgid)) ptrace(PTRACE_INTERRUPT, tid, 0, 0);
}

AttachResult Tracer::Attach(AttachRequest req) {
  QuietStopNotifications();
  AttachResult result;
  bool done = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_ || closed_) return {0, ESHUTDOWN, "attach"};
  }
  Command c{Command::kAttach};
  c.attach = &req;
  c.attach_result = &result;
  c.done = &done;
  Post(c);
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return done; });
  return result;
}

void Tracer::Detach(int32_t pid) {
  Command c{Command::kDetach};
  c.tid = pid;
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

std::vector<TracerEvent> Tracer::TakeEvents() { return batch_.Take(); }

void Tracer::Emit(const TracerEvent& e) noexcept {
  switch (batch_.Push(e)) {
    case EventBatch::Then::kWake:
      DisarmFlush();  // this wake-up carries the deferred ones
      sink_();  // one thread-safe call per batch: JS takes everything queued by then
      return;
    case EventBatch::Then::kArmFlush:
      ArmFlush();
      return;
    case EventBatch::Then::kNothing:
      return;
  }
}

void Tracer::StartFlushTimer() noexcept {
  sigevent sev{};
  sev.sigev_notify = SIGEV_THREAD_ID;
  sev.sigev_signo = Waker::Signal();
  sev.sigev_value.sival_ptr = Waker::TimerMark();  // how the handler knows its own timer (wake.cc)
#ifdef sigev_notify_thread_id  // musl, glibc 2.35+
  sev.sigev_notify_thread_id = static_cast<pid_t>(syscall(SYS_gettid));
#else
  sev._sigev_un._tid = static_cast<pid_t>(syscall(SYS_gettid));
#endif
  flush_timer_ok_ = timer_create(CLOCK_MONOTONIC, &sev, &flush_timer_) == 0;
}

void Tracer::ArmFlush() noexcept {
  if (flush_armed_) return;
  if (!flush_timer_ok_) {  // no timer: no deferring
    if (batch_.Announce()) sink_();
    return;
  }
  flush_armed_ = true;
  flush_due_ns_ = ClockNs(CLOCK_MONOTONIC) + EventBatch::kFlushDelayMs * 1000000;
  // Periodic: a tick that lands outside wait4 (the thread is busy: it comes
  // back to the loop anyway) is followed by another until FlushDue disarms.
  itimerspec its{};
  its.it_value.tv_nsec = EventBatch::kFlushDelayMs * 1000000;
  its.it_interval = its.it_value;
  timer_settime(flush_timer_, 0, &its, nullptr);
}

void Tracer::DisarmFlush() noexcept {
  if (!flush_armed_) return;
  // A periodic timer left running would interrupt wait4 every 10 ms for ever.
  itimerspec off{};
  timer_settime(flush_timer_, 0, &off, nullptr);
  flush_armed_ = false;
}

void Tracer::FlushDue(bool now) noexcept {
  if (!flush_armed_ && !now) return;
  if (!now && ClockNs(CLOCK_MONOTONIC) < flush_due_ns_) return;
  DisarmFlush();
  if (batch_.Announce()) sink_();
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
  prctl(PR_SET_NAME, "sysstub-tracer");  // in top, perf and /proc/PID/task/TID/comm
  // Only the wake signal and SIGCHLD may interrupt this thread; the other
  // process-directed signals (SIGINT...) go to Node's threads. SIGCHLD: the
  // kernel sends one for every exit of a traced thread, and for every stop
  // unless SA_NOCLDSTOP (QuietStopNotifications), to this thread first (the
  // tracees' parent: complete_signal tries the target thread before the
  // others). Blocked here it went to Node's main thread, a wake-up per exit
  // of every short thread; unblocked, a SIG_DFL SIGCHLD is dropped when sent
  // (sig_ignored), and a handler (libuv's) runs here: wait4 sees EINTR.
  sigset_t mask;
  sigfillset(&mask);
  sigdelset(&mask, Waker::Signal());
  sigdelset(&mask, SIGCHLD);
  pthread_sigmask(SIG_SETMASK, &mask, nullptr);
  StartFlushTimer();

  for (;;) {
    waker_.Consume();
    FlushDue(false);
    DrainCommands();
    SweepDetached();
    DrainRelayed();
    if (tracees_.empty()) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (closing_) break;
        if (!commands_.empty()) continue;
      }
      // Nothing to wait4 for: sleep until a command or a relayed signal,
      // with nothing left unannounced.
      FlushDue(true);
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
      resolved_early_.clear();
      continue;
    }
    if (r <= 0) continue;
    stats_.stops++;
    HandleStatus(static_cast<pid_t>(r), status);
    SweepDetached();
  }
  FlushDue(true);
  if (flush_timer_ok_) timer_delete(flush_timer_);
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
        SpawnResult res = SpawnTracee(std::move(*c.spawn));
        if (res.pid > 0 && !root_) {
          root_ = res.pid;
          for (const RelayedSignal& early : before_spawn_) kill(res.pid, early.signo);
          before_spawn_.clear();
        }
        if (res.pid > 0) {
          Tracee& t = Track(res.pid, res.pid);
          t.pre_exec = true;
          t.announced = true;  // JS knows its spawned children
          t.image = std::move(res.image);
        }
        {
          std::lock_guard<std::mutex> lock(mu_);
          *c.spawn_result = std::move(res);
          *c.done = true;
        }
        cv_.notify_all();
        break;
      }
      case Command::kAttach: {
        AttachResult res = AttachProcess(*c.attach);
        {
          std::lock_guard<std::mutex> lock(mu_);
          *c.attach_result = res;
          *c.done = true;
        }
        cv_.notify_all();
        break;
      }
      case Command::kDetach:
        StartDetach(c.tid);
        break;
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
        // Attached processes live on: detached, and the calls JS will no
        // longer answer let go to run natively.
        StartDetach(0);
        for (auto& [tid, t] : tracees_) {
          if (t.attached && (t.call_seq || t.await_exit)) {
            t.call_seq = 0;
            DetachNow(tid, t, 0);
          }
        }
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

// A thread entered group-stop (sig) or left it (0): reported once per
// change. The user-notification route needs it: a thread whose call it holds
// (WAIT_KILLABLE_RECV) cannot join a group-stop until the call is interrupted
// (lib/routes/notif.ts onGroupStop).
void Tracer::GroupStop(pid_t tid, Tracee& t, int sig) noexcept {
  if (t.group_stopped == (sig != 0)) return;
  t.group_stopped = sig != 0;
  TracerEvent e{TracerEvent::kGroupStop};
  e.pid = t.tgid;
  e.tid = tid;
  e.signal = sig;
  Emit(e);
}

void Tracer::KillAll() noexcept {
  // SIGKILL ends every stop, including group-stop and our seccomp stops.
  // Attached processes are not ours to kill (StartDetach).
  for (auto& [tid, t] : tracees_) {
    if (t.tgid == tid && !t.attached) kill(tid, SIGKILL);
  }
  for (auto& [tid, status] : unborn_) kill(tid, SIGKILL);  // held before their creator's event
}

// The exit stop of a traced call, or of one JS watches (answer kind 2): the
// watched one is reported and held for its final answer (kind 3); a traced
// one reported; either continues (or is let go, when being detached).
void Tracer::OnCallExit(pid_t tid, Tracee& t) noexcept {
  if (t.await_exit && t.detaching) {
    DetachNow(tid, t, 0);
    return;
  }
  if (t.await_exit) {
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
  Resume(tid, t, 0);
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

  if (closing_.load(std::memory_order_relaxed) && t.attached) {
    t.detaching = true;  // and handled as usual below: detached where it would resume
  } else if (closing_.load(std::memory_order_relaxed)) {
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
      if (t.detaching && !t.call_seq) {
        DetachNow(tid, t, 0);  // the kernel checks the filter again: RET_TRACE then lets the call run
        return;
      }
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
        // Detached in it, it stays in it (__ptrace_unlink).
        stats_.group_stops++;
        if (t.detaching && !t.call_seq) {
          DetachNow(tid, t, 0);
        } else {
          GroupStop(tid, t, sig);
          ptrace(PTRACE_LISTEN, tid, 0, 0);
        }
      } else {
        GroupStop(tid, t, 0);  // the stop after SIGCONT in LISTEN, or a PTRACE_INTERRUPT stop
        if (InjectPending(tid, t)) Resume(tid, t, 0);
      }
      return;
    default:
      break;
  }
  if (sig == (SIGTRAP | 0x80) && t.syscall_stops) {
    OnSyscallStop(tid, t);
    return;
  }
  if (sig == (SIGTRAP | 0x80)) {  // syscall-exit stop (TRACESYSGOOD) of a traced or watched call
    OnCallExit(tid, t);
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

}  // namespace sysstub
