// The spawned child's side, from clone to execve (spawn.cc starts it).
//
// The child is a clone(CLONE_VM) of this process running on a heap stack, so
// the code it runs must not call anything: not glibc (its wrappers write errno
// in the TLS the child shares with the tracer thread), not the sanitizer
// runtimes (ASan's __asan_handle_no_return, called before every noreturn
// call, takes the heap stack for a corrupt thread stack and reports it), not
// __stack_chk_fail. So this half lives in its own file, compiled without
// sanitizers and stack protector (binding.gyp's sysstub_child target,
// CMakeLists.txt's), and reads only this plain struct of raw pointers, filled
// by the parent before clone. test/build-sources.test.ts checks that its
// object file has no undefined and no weak symbols: the class of bug, not the
// one call, is what is ruled out.
#pragma once
#include <cstddef>
#include <cstdint>
#include <linux/filter.h>
#include <sys/syscall.h>

namespace sysstub {

// Every system call ChildMain makes once its first filter is in, up to and
// including execve (and ChildExit's). A slot sealed as SECCOMP_RET_ERRNO on one
// of them would fail the child's own set-up (the listener's hand-over, the
// program's signal dispositions), so then the sealed slots get a filter of
// their own that goes in after the set-up (binding.cc SplitSealed, spawn.h
// sealed_filter); otherwise they stay in the one routing filter, which saves
// every trapped or sealed call a second filter run (~16 ns, bench "bpf errno").
// Keep it in step with spawn_child.cc: test/seal.test.ts seals each of them.
inline constexpr long kChildCallsAfterFilter[] = {SYS_sendmsg, SYS_close, SYS_seccomp, SYS_prctl, SYS_rt_sigaction,
                                                  SYS_rt_sigprocmask, SYS_execve, SYS_exit, SYS_exit_group};

struct ChildFd {
  int target, source;  // source -1: target is closed for the program
};

struct ChildPlan {
  const char* const* candidates;  // execve paths, in execvp's order
  size_t n_candidates;
  char* const* argv;               // NULL-terminated
  char** sh_argv;                  // "/bin/sh", <script: set by the child>, argv[1..], NULL
  char* const* envp;               // NULL-terminated
  const ChildFd* fds;
  size_t n_fds;
  int* lifted;                     // n_fds ints of scratch: no allocation after clone
  const char* cwd;                 // nullptr: inherit
  int go_fd, go_write_fd;          // the pipe the tracer's go byte comes through
  int notif_sock;                  // -1: the ptrace route only
  bool notif_unavailable;
  sock_fprog filter, notif_filter, sealed_filter;  // len 0: none (sealed_filter only)
  uint64_t ignored;                // signal n is bit n-1: SIG_IGN at exec, else SIG_DFL
  uint64_t mask;                   // the program's blocked-signal mask (the kernel's 8-byte sigset)
  int error;                       // the failed step's errno; stored (release) before the child exits
};

// clone(2)'s fn: runs the plan and execs, or exits 127 with plan->error set.
extern "C" int SysstubChildMain(void* plan);

}  // namespace sysstub
