// The tracer: one dedicated thread per supervisor that owns every ptrace
// request for its tracees (ptrace(2): requests must come from the attaching
// thread) and never blocks Node's event loop.
//
// The thread sleeps in wait4(__WALL | __WNOTHREAD): __WNOTHREAD so that it
// only sees its own children and tracees, never the children that Node's
// child_process (libuv, on the main thread) is waiting for. Commands from JS
// (spawn, answers, shutdown) arrive through a queue guarded by a Waker (see
// wake.h) that can never lose a wake-up. Events for JS leave through a
// callback that the binding turns into a thread-safe function call.
//
// The ptrace route's JS hop, measured on the 2-CPU VM (JS handler returning a
// constant; C ptrace reference 50-60 us unpinned, 10-13 us pinned):
// - thread-safe function, one uv_async per batch of events, answers through
//   the Waker: 73-91 us. Kept.
// - the same plus spinning up to 30 us for the answer before wait4: 97-107 us
//   (the spinning tracer takes the CPU the main thread needs); up to 100 us:
//   82-87 us, a few percent for a burnt CPU. Dropped.
// - Node (main + tracer thread) pinned to one CPU, the tracee free: 74-84 us,
//   no gain: the tracee <-> tracer hand-offs stay cross-CPU.
// - everything, the tracee too, on one CPU (taskset -c 0): 33-34 us. Fast, but
//   it takes the program's parallelism away; left to the user (taskset).
// The user-notification route (notif.cc) avoids the hop: 8-9 us.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <ctime>
#include <sys/user.h>
#include <thread>
#include <unordered_map>
#include <vector>

#include "attach.h"
#include "event_batch.h"
#include "seccomp_filter.h"
#include "signal_relay.h"
#include "slot_table.h"
#include "trace_capture.h"
#include "spawn.h"
#include "wake.h"
#include "watchdog.h"

namespace sysstub {

struct TracerStats {
  std::atomic<uint64_t> stops{0}, seccomp_stops{0}, handler_calls{0}, native_answers{0},
      signal_stops{0}, group_stops{0}, event_stops{0}, exits{0};
};

class Tracer {
 public:
  using EventSink = std::function<void()>;  // called (from the tracer thread) when events are ready

  explicit Tracer(EventSink sink);
  ~Tracer();

  // Main thread. Blocks until the tracer thread forked and seized the child.
  SpawnResult Spawn(SpawnRequest req);
  // Main thread. Blocks until every thread of req.pid is seized and the
  // filter is in (attach.h). What it creates from then on is followed.
  AttachResult Attach(AttachRequest req);
  // Detach the attached process tree rooted at pid (0: every attached one):
  // each thread at its next stop, once JS has answered its call in flight.
  // A kDetached event reports each process.
  void Detach(int32_t pid);
  // What a seccomp stop on nr does from now on (slot_table.h).
  SlotTable& slots() { return slots_; }
  // Traces nr: every call is reported (kSyscall) with its result, capturing `captures`.
  void SetTraced(uint32_t nr, const CaptureList& captures);
  // What a call stopped in a seccomp stop does: defined, with its meaning, in
  // seccomp_stop.cc next to ApplyAnswer (its TS twin: lib/routes/ptrace.ts Answer).
  enum class AnswerKind : int32_t;
  // The AnswerKind JS sent, or false when `raw` is none.
  static bool ToAnswerKind(int32_t raw, AnswerKind* kind);
  void Answer(int32_t tid, uint64_t seq, AnswerKind kind, uint64_t value, const uint64_t* args, unsigned args_mask);
  // A call of tid waiting on the user-notification listener `listener_fd`
  // (a duplicate, closed here) has a signal to take: flag the thread with
  // PTRACE_INTERRUPT, then answer notification `id` with -ERESTARTSYS (see
  // ApplyInterrupt). Asynchronous; the call's handler is already abandoned.
  void InterruptNotified(int32_t tid, int listener_fd, uint64_t id);
  // Relays the signals in `set` sent to this process to the first spawned
  // program (or, once it has exited, to every supervised process left), exactly
  // once: see signal_relay.h. kRelayed events report each. Once per process.
  bool RelaySignals(const sigset_t& set);
  // The handler watchdog to tell about relayed fatal signals (owned by the caller).
  void SetWatchdog(Watchdog* w) { watchdog_.store(w, std::memory_order_release); }
  // Kills every tracee, reaps them and stops the thread. Idempotent.
  void Close();
  // Before the process ends abruptly (the watchdog): SIGKILL every tracee of
  // every Tracer in it, on their tracer threads, waiting up to wait_ms. The
  // process's own exit would kill them too (PTRACE_O_EXITKILL), but only
  // after its files are closed, and a closed listener answers every call
  // waiting on it with ENOSYS (seccomp_notify_release): the program could
  // run on for a moment with an answer nobody gave.
  static void KillEveryTracee(int64_t wait_ms) noexcept;
  std::vector<TracerEvent> TakeEvents();
  const TracerStats& stats() const { return stats_; }

 private:
  // What a new task takes from the task that created it: the attached tree
  // it is in, and how it is served (a filter is inherited across clone and fork).
  struct Lineage {
    // Attached (attach.cc), not spawned: no EXITKILL, detached (not killed) at close.
    bool attached = false;
    int32_t attach_root = 0;     // the attached process whose tree this task is in
    bool syscall_stops = false;  // served at PTRACE_SYSCALL stops: no filter (attach.h)
    bool detaching = false;      // detach at the next stop we do not owe JS
  };
  struct Tracee : Lineage {
    int32_t tgid = 0;
    bool announced = false; // a new thread group reported to JS (kNewProcess)
    bool pre_exec = false;  // the spawned child before its execve: our code, not routed
    ChildImagePtr image;    // the spawned child before its execve: shares our memory (spawn.h)
    bool group_stopped = false;  // in group-stop (PTRACE_LISTEN): kGroupStop reported
    uint64_t call_seq = 0;  // non-zero while JS owes an answer
    user_regs_struct regs{};
    bool regs_dirty = false;  // regs changed at the stop (clone guard): write back on continue
    // A traced call between its entry and its exit stop: resume with PTRACE_SYSCALL.
    bool tracing = false;
    // JS asked to see this call's result (answer kind 2): the exit stop waits for kind 3.
    bool await_exit = false;
    uint64_t exit_seq = 0;
    TracerEvent trace;        // the entry half of the kSyscall event
  };
  struct Command {
    enum Type { kSpawn, kAttach, kDetach, kAnswer, kInterrupt, kKill, kShutdown } type;
    AttachRequest* attach = nullptr;
    AttachResult* attach_result = nullptr;
    SpawnRequest* spawn = nullptr;
    SpawnResult* spawn_result = nullptr;
    bool* done = nullptr;  // kSpawn, kAttach: set under mu_ when the result is in
    int32_t tid = 0;
    uint64_t seq = 0;
    AnswerKind kind{};
    uint64_t value = 0;
    uint64_t args[6] = {};
    unsigned args_mask = 0;
    int fd = -1;  // kInterrupt: the listener (owned by the command)
  };

  void Run() noexcept;
  template <typename T>
  T* Publish(std::vector<std::unique_ptr<T>>& store, const T& value);
  void Post(Command cmd);
  void DrainCommands() noexcept;
  void ApplyAnswer(const Command& c) noexcept;
  void ApplyInterrupt(const Command& c) noexcept;
  void HandleStatus(pid_t tid, int status) noexcept;
  void OnSeccompStop(pid_t tid, Tracee& t) noexcept;
  void OnCallExit(pid_t tid, Tracee& t) noexcept;
  void Resume(pid_t tid, Tracee& t, int sig) noexcept;
  // attach.cc
  AttachResult AttachProcess(const AttachRequest& req) noexcept;
  int InjectFilter(pid_t tid, const std::vector<sock_filter>& filter) noexcept;
  void StartDetach(int32_t root) noexcept;
  void DetachNow(pid_t tid, Tracee& t, int sig) noexcept;
  void SweepDetached() noexcept;
  void OnSyscallStop(pid_t tid, Tracee& t) noexcept;
  bool InjectPending(pid_t tid, Tracee& t) noexcept;
  void UseSyscallStops(int32_t root) noexcept;
  void TraceEntry(pid_t tid, Tracee& t, uint64_t nr, const user_regs_struct& regs) noexcept;
  void TraceDone(pid_t tid, Tracee& t, int64_t ret, bool unfinished) noexcept;
  bool StripUntraced(pid_t tid, user_regs_struct& regs, bool& dirty) noexcept;
  void OnExit(pid_t tid, int status) noexcept;
  void OnExec(pid_t tid) noexcept;
  void CancelCall(pid_t tid, Tracee& t) noexcept;
  void OnNewTask(pid_t parent_tid, int event) noexcept;
  bool CloneMakesThread(pid_t creator) noexcept;
  void Hold(pid_t tid, int status) noexcept;
  void ResolveHeld(bool after_exit) noexcept;
  Tracee& Track(pid_t tid, int32_t tgid) noexcept;
  void Announce(pid_t tid, Tracee& t, int32_t parent) noexcept;
  void Emit(const TracerEvent& e) noexcept;
  // The flush timer (event_batch.h): deferred events reach JS within
  // EventBatch::kFlushDelayMs. A POSIX timer that sends the wake signal to
  // this thread (SIGEV_THREAD_ID): it interrupts wait4 as Wake() does.
  void StartFlushTimer() noexcept;
  void ArmFlush() noexcept;
  void DisarmFlush() noexcept;
  void FlushDue(bool now) noexcept;  // wakes JS for deferred events when due (or now)
  void GroupStop(pid_t tid, Tracee& t, int sig) noexcept;
  void KillAll() noexcept;
  void DrainRelayed() noexcept;
  void Relay(const RelayedSignal& s) noexcept;
  bool AlreadyGot(pid_t tgid, const RelayedSignal& s) noexcept;
  static void WakeForSignal();

  EventSink sink_;
  Waker waker_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;        // commands for an idle tracer, and spawn replies
  std::deque<Command> commands_;
  std::atomic<bool> closing_{false};  // set under mu_; read by the tracer thread's stop handling
  bool closed_ = false;
  bool killed_ = false;  // kKill done (guarded by mu_)
  SlotTable slots_;
  std::atomic<CaptureList*> traced_[kMaxNr + 1];
  std::vector<std::unique_ptr<CaptureList>> traced_store_;  // guarded by mu_
  std::atomic<bool> tracing_enabled_{false};
  uint64_t next_seq_ = 0;
  std::unordered_map<pid_t, Tracee> tracees_;  // tracer thread only
  // Tasks seen before their creator's fork/clone event (ptrace(2) allows it):
  // the first stop of each, held until that event says what it is, and the
  // exit status of those that ended before it. Tracer thread only.
  std::unordered_map<pid_t, int> unborn_;
  std::unordered_map<pid_t, int> early_exits_;
  // Processes ResolveHeld let run before their creator's event, whose creator
  // (the value: its tgid, their parent then) was still traced: that event may
  // still come, after the process itself has exited.
  std::unordered_map<pid_t, int32_t> resolved_early_;
  // Idle wait (no tracee to wait4 for): commands and relayed signals write here.
  int idle_fd_ = -1;
  pid_t root_ = 0;
  std::vector<RelayedSignal> before_spawn_;  // relayed before the first spawn
  std::atomic<Watchdog*> watchdog_{nullptr};
  int32_t relayed_events_ = 0;  // kRelayed events emitted (tracer thread)  // the first spawned program: relayed signals go there
  // The program's recent signal-delivery stops (for the relay's exactly-once
  // check): thread group, signal, sender, si_code, and how many signals the
  // relay had received then. Tracer thread only; the newest 64.
  struct Delivery {
    int32_t tgid, signo, pid, code;
    uint64_t relay_seen;
  };
  std::deque<Delivery> deliveries_;
  // Attached processes stopped (T) at attach: their filter goes in at the
  // first stop after SIGCONT. By thread group. Tracer thread only.
  std::unordered_map<pid_t, std::vector<sock_filter>> pending_filters_;
  std::vector<pid_t> detached_;  // detached since the last sweep (SweepDetached)
  EventBatch batch_;
  timer_t flush_timer_{};
  bool flush_timer_ok_ = false;  // tracer thread only, as are the two below
  bool flush_armed_ = false;
  int64_t flush_due_ns_ = 0;     // CLOCK_MONOTONIC
  TracerStats stats_;
};

}  // namespace sysstub
