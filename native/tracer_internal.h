// Small helpers shared by the tracer's files (tracer.cc, seccomp_stop.cc,
// new_tasks.cc); not part of the Tracer's interface.
#pragma once
#include <csignal>
#include <cstdint>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <ctime>

#include "proc_status.h"

namespace sysstub {

// Tgid and PPid of a task we have not reaped. Only for a task held in a
// ptrace stop: it cannot exit or change thread group until we resume it, and
// even SIGKILL leaves it a zombie (still in /proc) until our wait4 reaps it.
inline bool ReadIds(pid_t tid, int32_t* tgid, int32_t* ppid) {
  static const char* const kNames[] = {"Tgid", "PPid"};
  uint64_t v[2];
  if (!ReadProcStatus(tid, kNames, 2, v, 10)) return false;
  *tgid = static_cast<int32_t>(v[0]);
  *ppid = static_cast<int32_t>(v[1]);
  return true;
}

inline bool IsGroupStopSignal(int sig) {
  return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

// A seized task's PTRACE_INTERRUPT (or attach) stop, not a group-stop: the
// kernel reports SIGTRAP there unless a group-stop is in progress (do_jobctl_trap).
inline bool IsInterruptStop(int status) {
  return WIFSTOPPED(status) && (static_cast<unsigned>(status) >> 16) == PTRACE_EVENT_STOP && !IsGroupStopSignal(WSTOPSIG(status));
}

inline int64_t ClockNs(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// CLOCK_REALTIME in ns: traced calls' entry and exit times (strace -tt).
inline int64_t NowNs() { return ClockNs(CLOCK_REALTIME); }

inline void Cont(pid_t tid, int sig) { ptrace(PTRACE_CONT, tid, 0, sig); }

}  // namespace sysstub
