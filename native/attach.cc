// Attaching and detaching (attach.h). ptrace(2) sections relied on:
// "Attaching and detaching" (PTRACE_SEIZE + PTRACE_INTERRUPT; the threads of
// a process seized one by one from /proc/PID/task while it may create more),
// "Group-stop" (a seized task of a stopped process reports its group-stop at
// the interrupt; PTRACE_DETACH leaves it in group-stop: __ptrace_unlink
// reinstates JOBCTL_STOP_PENDING), and the restart rules of interrupted calls
// (arch/x86/kernel/signal.c: after get_signal() finds nothing to deliver, a
// call that returned -ERESTARTSYS, -ERESTARTNOINTR, -ERESTARTNOHAND restarts,
// -ERESTART_RESTARTBLOCK continues as restart_syscall).
#include "tracer.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc_status.h"
#include "tracee_mem.h"
#include "tracer_internal.h"

namespace sysstub {

namespace {

std::vector<pid_t> ListTasks(pid_t pid) {
  std::vector<pid_t> out;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", pid);
  DIR* d = opendir(path);
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] >= '0' && e->d_name[0] <= '9') out.push_back(static_cast<pid_t>(atoi(e->d_name)));
  }
  closedir(d);
  return out;
}

// The task tracing tid (TracerPid), or -1.
pid_t TracerOf(pid_t tid) {
  static const char* const kNames[] = {"TracerPid"};
  uint64_t v = 0;
  return ReadProcStatus(tid, kNames, 1, &v, 10) ? static_cast<pid_t>(v) : -1;
}

bool IsSyscallInsn(pid_t tid, uint64_t addr) {
  unsigned char b[2];
  return ReadTraceeMemory(tid, addr, b, 2) == 0 && b[0] == 0x0f && b[1] == 0x05;
}

// Where a `syscall` instruction is in the tracee: behind a thread stopped in
// a call (its rip), else in the vDSO's text (its fallback paths make calls).
uint64_t FindSyscallInsn(pid_t tid, const user_regs_struct& regs) {
  if (static_cast<int64_t>(regs.orig_rax) >= 0 && IsSyscallInsn(tid, regs.rip - 2)) return regs.rip - 2;
  char path[64], line[512];
  snprintf(path, sizeof path, "/proc/%d/maps", tid);
  FILE* f = fopen(path, "re");
  if (!f) return 0;
  uint64_t lo = 0, hi = 0;
  while (fgets(line, sizeof line, f)) {
    if (strstr(line, "[vdso]") && sscanf(line, "%lx-%lx", &lo, &hi) == 2) break;
    lo = hi = 0;
  }
  fclose(f);
  if (!lo || hi <= lo || hi - lo > (1 << 20)) return 0;
  std::vector<unsigned char> text(hi - lo);
  if (ReadTraceeMemory(tid, lo, text.data(), text.size()) != 0) return 0;
  for (size_t i = 0; i + 1 < text.size(); i++) {
    if (text[i] == 0x0f && text[i + 1] == 0x05) return lo + i;
  }
  return 0;
}

// What the kernel does to an interrupted call once get_signal() found no
// signal to deliver (arch/x86/kernel/signal.c), for a thread whose registers
// we replaced meanwhile.
constexpr int64_t kErestartSys = 512, kErestartNoIntr = 513, kErestartNoHand = 514, kErestartRestartBlock = 516;

// Waits for tid's next stop, handling (and resuming) what is not a ptrace
// syscall stop or an interrupt stop as the loop would. Returns the status,
// or -1 when tid is gone. A signal for tid meanwhile is kept in *held.
int WaitForOwnStop(pid_t tid, int* held) {
  for (;;) {
    int status;
    if (waitpid(tid, &status, __WALL) < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (!WIFSTOPPED(status)) return status;
    int sig = WSTOPSIG(status);
    int event = static_cast<unsigned>(status) >> 16;
    if (sig == (SIGTRAP | 0x80) || event == PTRACE_EVENT_STOP) return status;
    if (event == 0) {
      // A signal-delivery stop in the middle of our call: held back, sent again after.
      if (!*held) *held = sig;
      ptrace(PTRACE_SYSCALL, tid, 0, 0);
      continue;
    }
    return status;  // an event stop (exit, clone): the caller gives up
  }
}

}  // namespace

// Runs seccomp(SECCOMP_SET_MODE_FILTER, TSYNC, prog) in tid, stopped at an
// interrupt stop, and puts it back at an interrupt stop with its registers
// as they were: any call it was in restarts as the kernel would restart it,
// by the kernel's own code. Returns 0 or the errno of what failed.
int Tracer::InjectFilter(pid_t tid, const std::vector<sock_filter>& filter) noexcept {
  user_regs_struct saved;
  if (ptrace(PTRACE_GETREGS, tid, 0, &saved) != 0) return errno;
  uint64_t insn = FindSyscallInsn(tid, saved);
  if (!insn) return ENOEXEC;
  // The program and its sock_fprog on the thread's stack, below the red zone
  // (the x86-64 ABI's 128 bytes that leaf code may use without moving rsp).
  size_t bytes = filter.size() * sizeof(sock_filter);
  uint64_t insns = (saved.rsp - 128 - bytes) & ~uint64_t{15};
  uint64_t fprog_at = (insns - sizeof(sock_fprog)) & ~uint64_t{15};
  struct {
    uint16_t len;
    uint16_t pad[3];
    uint64_t filter;
  } fprog{static_cast<uint16_t>(filter.size()), {}, insns};
  static_assert(sizeof fprog == sizeof(sock_fprog), "struct sock_fprog");
  if (WriteTraceeMemory(tid, insns, filter.data(), bytes) != 0 || WriteTraceeMemory(tid, fprog_at, &fprog, sizeof fprog) != 0) {
    return EFAULT;
  }
  user_regs_struct call = saved;
  call.rip = insn;
  call.rax = SYS_seccomp;
  call.orig_rax = static_cast<unsigned long long>(-1);  // not in a call: no restart on the way out
  call.rdi = SECCOMP_SET_MODE_FILTER;
  call.rsi = SECCOMP_FILTER_FLAG_TSYNC;
  call.rdx = fprog_at;
  call.rsp = fprog_at;
  if (ptrace(PTRACE_SETREGS, tid, 0, &call) != 0) return errno;
  int held = 0;
  int64_t ret = -ENOSYS;
  bool gone = false;
  // Entry stop, then exit stop.
  for (int stop = 0; stop < 2 && !gone;) {
    ptrace(PTRACE_SYSCALL, tid, 0, 0);
    int status = WaitForOwnStop(tid, &held);
    // An interrupt stop first: a PTRACE_INTERRUPT sent while the thread was
    // already stopped (a detach starting, or a second ask for this filter's
    // stop) stays pending and traps at once when it is resumed. Not ours:
    // resume the call. Taken for the thread's death, it left the thread
    // stopped for ever.
    if (status != -1 && IsInterruptStop(status)) continue;
    stop++;
    if (status == -1 || !WIFSTOPPED(status) || WSTOPSIG(status) != (SIGTRAP | 0x80)) {
      if (status != -1 && !WIFSTOPPED(status)) HandleStatus(tid, status);
      gone = true;
    }
  }
  if (gone) return ESRCH;
  user_regs_struct after;
  if (ptrace(PTRACE_GETREGS, tid, 0, &after) == 0) ret = static_cast<int64_t>(after.rax);
  // Back to the interrupt stop it was in: the saved registers, then a fresh
  // interrupt, so that the kernel's exit path (get_signal, then the restart
  // rules above, on these registers) runs as it would have.
  ptrace(PTRACE_SETREGS, tid, 0, &saved);
  ptrace(PTRACE_INTERRUPT, tid, 0, 0);
  ptrace(PTRACE_CONT, tid, 0, 0);
  int status = WaitForOwnStop(tid, &held);
  if (status == -1 || !WIFSTOPPED(status)) {
    if (status != -1) HandleStatus(tid, status);
    return ESRCH;
  }
  if (held) syscall(SYS_tgkill, tracees_[tid].tgid, tid, held);  // its siginfo is lost: rare
  if (ret < 0) return static_cast<int>(-ret);
  if (ret > 0) return EBUSY;  // TSYNC: thread `ret` has a filter of its own
  return 0;
}

AttachResult Tracer::AttachProcess(const AttachRequest& req) noexcept {
  AttachResult res;
  pid_t me = static_cast<pid_t>(syscall(SYS_gettid));
  // Attached tasks must outlive us: no PTRACE_O_EXITKILL. If sysstub dies, the
  // kernel detaches them (exit_ptrace), and the filter left behind answers only
  // what the kernel answers anyway.
  const long options = kPtraceOptions & ~PTRACE_O_EXITKILL;
  std::vector<pid_t> seized;
  // New threads appear while we seize: those of seized threads are ours by
  // PTRACE_O_TRACECLONE, those of the others show in the next listing.
  for (bool more = true; more;) {
    more = false;
    for (pid_t tid : ListTasks(req.pid)) {
      if (std::find(seized.begin(), seized.end(), tid) != seized.end() || tracees_.count(tid) || unborn_.count(tid)) continue;
      if (ptrace(PTRACE_SEIZE, tid, 0, options) != 0) {
        int err = errno;
        if (err == ESRCH) continue;  // exited meanwhile
        if (err == EPERM) {
          // A new thread of a seized one is ours already (PTRACE_O_TRACECLONE),
          // and may be gone by the time /proc is read: TracerOf's ENOENT was
          // once reported as the attach's error.
          pid_t tracer = TracerOf(tid);
          if (tracer == me) continue;
          if (tracer == -1 && syscall(SYS_tgkill, req.pid, tid, 0) != 0 && errno == ESRCH) continue;
        }
        res.error = err;
        res.syscall = "ptrace";
        break;
      }
      seized.push_back(tid);
      ptrace(PTRACE_INTERRUPT, tid, 0, 0);
      more = true;
    }
    if (res.error) break;
  }
  if (!res.error && seized.empty()) {
    res.error = ESRCH;
    res.syscall = "ptrace";
  }
  if (res.error) {
    // Let go of every task we hold, and of those they made meanwhile: a
    // seized thread that was past the point of no return in clone/fork when
    // interrupted stops at that event first, and its new task is ours from
    // birth (PTRACE_O_TRACECLONE/FORK/VFORK), held at its first stop. Not let
    // go, it would wait there for an event that never comes (new_tasks.cc Hold).
    for (size_t i = 0; i < seized.size(); i++) {
      pid_t tid = seized[i];
      int held = 0;
      int status = WaitForOwnStop(tid, &held);
      if (status == -1 || !WIFSTOPPED(status)) continue;
      int event = static_cast<unsigned>(status) >> 16;
      unsigned long born = 0;
      if ((event == PTRACE_EVENT_CLONE || event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK) &&
          ptrace(PTRACE_GETEVENTMSG, tid, 0, &born) == 0 && born > 0) {
        seized.push_back(static_cast<pid_t>(born));
      }
      ptrace(PTRACE_DETACH, tid, 0, held);
    }
    return res;
  }
  for (pid_t tid : seized) {
    Tracee& t = Track(tid, req.pid);
    t.attached = true;
    t.attach_root = req.pid;
    t.syscall_stops = req.filter.empty();
    if (tid == req.pid) t.announced = true;  // JS knows the process it attached
  }
  res.threads = static_cast<int32_t>(seized.size());
  // Each thread's interrupt stop, or the stop that took its place: the
  // kernel drops a pending PTRACE_INTERRUPT at any other trap (ptrace_stop:
  // "any trap clears pending STOP trap"; ptrace(2): "If any other ptrace-stop
  // is generated at the same time ... this ptrace-stop happens"). Such a stop
  // (an event of a call it was in, a signal, a group-stop) is handled as any
  // other, and the thread is served like any tracee from then on: waiting for
  // its interrupt stop here could wait for ever (it did: a shell attached as it
  // vforked stays in vfork until the child we hold at its first stop runs,
  // which needs this thread's loop).
  std::vector<pid_t> stopped;
  for (pid_t tid : seized) {
    int status;
    int r;
    while ((r = waitpid(tid, &status, __WALL)) < 0 && errno == EINTR) {}
    if (r < 0) continue;
    if (IsInterruptStop(status)) {
      stopped.push_back(tid);
      continue;
    }
    // A group-stop counts as stopped at attach (HandleStatus keeps it, with PTRACE_LISTEN).
    res.stopped = res.stopped || (WIFSTOPPED(status) && (static_cast<unsigned>(status) >> 16) == PTRACE_EVENT_STOP);
    stats_.stops++;
    HandleStatus(tid, status);
  }
  if (!req.filter.empty()) {
    int err = 0;
    if (!stopped.empty()) {
      err = InjectFilter(stopped.front(), req.filter);
    } else {
      // No thread at its interrupt stop: the filter goes in at the first one
      // (InjectPending), after SIGCONT for a stopped process, else once a
      // thread is interrupted again (Resume asks again after each other stop).
      pending_filters_[req.pid] = req.filter;
      for (pid_t tid : seized) {
        auto it = tracees_.find(tid);
        if (it != tracees_.end() && !it->second.call_seq && !it->second.group_stopped) ptrace(PTRACE_INTERRUPT, tid, 0, 0);
      }
    }
    res.filter = err == 0;
    res.filter_error = err;
    if (err) UseSyscallStops(req.pid);
  }
  for (pid_t tid : stopped) {
    auto it = tracees_.find(tid);
    if (it != tracees_.end()) Resume(tid, it->second, 0);
  }
  return res;
}

// The first interrupt stop of a thread of a process whose filter waits for
// SIGCONT (AttachProcess): inject it now. True if the thread stays stopped
// for the caller to resume.
bool Tracer::InjectPending(pid_t tid, Tracee& t) noexcept {
  auto it = pending_filters_.find(t.tgid);
  if (it == pending_filters_.end()) return true;
  std::vector<sock_filter> filter = std::move(it->second);
  pending_filters_.erase(it);
  int err = InjectFilter(tid, filter);
  if (err == ESRCH) return false;
  if (err) UseSyscallStops(t.attach_root);
  return true;
}

// The filter could not go in: the tree rooted at root is served at
// PTRACE_SYSCALL stops. A task already running without them (resumed from
// its group-stop, or created meanwhile) is interrupted to switch at its next
// stop; one we hold switches when it resumes.
void Tracer::UseSyscallStops(int32_t root) noexcept {
  for (auto& [tid, t] : tracees_) {
    if (t.attach_root != root) continue;
    t.syscall_stops = true;
    if (!t.call_seq) ptrace(PTRACE_INTERRUPT, tid, 0, 0);
  }
}

void Tracer::StartDetach(int32_t root) noexcept {
  for (auto& [tid, t] : tracees_) {
    if (!t.attached || t.detaching || (root && t.attach_root != root)) continue;
    t.detaching = true;
    // Running, or in group-stop (PTRACE_LISTEN): the interrupt makes it stop
    // once more, where it is detached. One we owe JS is detached at its answer.
    if (!t.call_seq) ptrace(PTRACE_INTERRUPT, tid, 0, 0);
  }
}

// At a stop: detach tid, delivering sig. A traced call in progress is
// reported unfinished; a call JS watches for its result is cancelled.
void Tracer::DetachNow(pid_t tid, Tracee& t, int sig) noexcept {
  if (t.await_exit) {
    t.await_exit = false;
    t.call_seq = t.exit_seq;
  }
  CancelCall(tid, t);
  if (t.tracing) TraceDone(tid, t, 0, true);
  if (ptrace(PTRACE_DETACH, tid, 0, sig) != 0) return;  // ESRCH: killed meanwhile; its exit comes
  detached_.push_back(tid);
}

// Forgets the detached tasks; a process whose last task went is reported.
void Tracer::SweepDetached() noexcept {
  if (detached_.empty()) return;
  std::vector<pid_t> groups;
  for (pid_t tid : detached_) {
    auto it = tracees_.find(tid);
    if (it == tracees_.end()) continue;
    if (std::find(groups.begin(), groups.end(), it->second.tgid) == groups.end()) groups.push_back(it->second.tgid);
    tracees_.erase(it);
  }
  detached_.clear();
  for (pid_t tgid : groups) {
    bool left = false;
    for (auto& [tid, t] : tracees_) left = left || t.tgid == tgid;
    if (left) continue;
    pending_filters_.erase(tgid);
    TracerEvent e{TracerEvent::kDetached};
    e.pid = tgid;
    e.tid = tgid;
    Emit(e);
  }
}

// A PTRACE_SYSCALL stop of a task without the filter: an entry is routed as
// a seccomp stop would be; an exit ends a traced or watched call.
void Tracer::OnSyscallStop(pid_t tid, Tracee& t) noexcept {
  __ptrace_syscall_info info{};
  if (ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof info, &info) <= 0) {
    Resume(tid, t, 0);
    return;
  }
  if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
    if (t.detaching && !t.call_seq) {
      DetachNow(tid, t, 0);  // the call runs natively
      return;
    }
    if (info.arch != AUDIT_ARCH_X86_64) {  // int 0x80: the i386 table, never routed
      Resume(tid, t, 0);
      return;
    }
    OnSeccompStop(tid, t);
    return;
  }
  // PTRACE_SYSCALL_INFO_EXIT (or a stop we cannot name): as the filter route's exit stop.
  OnCallExit(tid, t);
}

}  // namespace sysstub
