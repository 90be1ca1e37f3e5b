// The tracer's task bookkeeping: new tasks (threads or processes, decided by
// their creator's clone flags), the first stops and exits that can come
// before their creator's event (ptrace(2) "Attaching and detaching"), exec
// (the execing thread takes the leader's tid), and exits.
#include "tracer.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <iterator>
#include <linux/audit.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc_status.h"
#include "tracee_mem.h"
#include "tracer_internal.h"

namespace sysstub {

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
  if (auto early = resolved_early_.find(child); early != resolved_early_.end()) {
    resolved_early_.erase(early);
    // ResolveHeld announced it and let it run; if it has exited since, it was
    // ended too, and tracking and announcing it again would bring back, for
    // ever, a process that is gone (JS counted it live: load_mix tree).
    if (!tracees_.count(child)) return;
  }
  bool thread = event == PTRACE_EVENT_CLONE && CloneMakesThread(parent_tid);
  // Copies: Track() below may rehash the map.
  const Lineage lineage = tracees_[parent_tid];
  int32_t parent = tracees_[parent_tid].tgid;
  int32_t tgid = thread ? parent : child;
  if (auto done = early_exits_.find(child); done != early_exits_.end()) {
    // Came and went before this event: a process is announced and ends now.
    int status = done->second;
    early_exits_.erase(done);
    if (!thread) {
      Tracee& t = Track(child, tgid);
      static_cast<Lineage&>(t) = lineage;
      Announce(child, t, parent);
      OnExit(child, status);
    }
    return;
  }
  Tracee& t = Track(child, tgid);  // a no-op when the fallback resolved it already
  static_cast<Lineage&>(t) = lineage;
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
  int32_t tgid = 0, ppid = 0;
  auto creator = ReadIds(tid, &tgid, &ppid) ? tracees_.find(tgid == tid ? ppid : tgid) : tracees_.end();
  bool attached_tree = creator != tracees_.end() && creator->second.attached;
  if (closing_.load(std::memory_order_relaxed) && !attached_tree) {
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
    bool known = creator != tracees_.end();
    if (known) resolved_early_[tid] = ppid;  // its creator's event may still come
    const Lineage lineage = known ? creator->second : Lineage{};
    Tracee& t = Track(tid, tid);
    static_cast<Lineage&>(t) = lineage;
    Announce(tid, t, known ? ppid : 0);
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

// The call JS owes an answer for will never get one (its thread is gone): kCancel.
void Tracer::CancelCall(pid_t tid, Tracee& t) noexcept {
  if (!t.call_seq) return;
  TracerEvent c{TracerEvent::kCancel};
  c.pid = t.tgid;
  c.tid = tid;
  c.seq = t.call_seq;
  Emit(c);
  t.call_seq = 0;
}

void Tracer::OnExec(pid_t tid) noexcept {
  unsigned long former = tid;
  ptrace(PTRACE_GETEVENTMSG, tid, 0, &former);
  Tracee& t = tracees_[tid];
  if (static_cast<pid_t>(former) != tid) {
    // A non-leader thread exec'd: it now has the leader's tid, and the old tid
    // vanishes without an exit report. The old leader's pending call (if any)
    // died with it.
    CancelCall(tid, t);
    tracees_.erase(static_cast<pid_t>(former));
  }
  Tracee& leader = tracees_[tid];
  leader.tgid = tid;
  bool first_exec = leader.pre_exec;
  leader.pre_exec = false;
  leader.image.reset();  // its execve dropped our memory (the exec event comes after exec_mmap)
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
  Tracee t = std::move(it->second);
  tracees_.erase(it);
  if (t.await_exit && !t.call_seq) t.call_seq = t.exit_seq;  // died inside a watched call
  if (t.tracing) TraceDone(tid, t, 0, true);  // exit_group, or killed inside a traced call
  CancelCall(tid, t);
  if (!unborn_.empty()) ResolveHeld(true);
  if (t.tgid != tid) return;  // a thread; the process ends with its leader
  // Its events can no longer come: forget what waited for them.
  for (auto e = resolved_early_.begin(); e != resolved_early_.end();) e = e->second == tid ? resolved_early_.erase(e) : std::next(e);
  stats_.exits++;
  if (t.image) {
    int err = ChildError(*t.image);
    t.image.reset();  // reaped: nothing runs on it any more
    if (err > 0) {
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
