// What the tracer thread tells JS: one struct for every kind of event, the
// fields each kind uses said beside them. binding.cc's Deliver() turns them
// into lib/native.ts's NativeEvent (test/event-schema.test.ts keeps the three
// in step); event_batch.h decides when JS is woken for them.
#pragma once
#include <cstdint>
#include <string>

namespace sysstub {

struct TracerEvent {
  enum Type : uint8_t { kCall, kExec, kExit, kSpawnError, kCancel, kSignal, kNewProcess, kSyscall, kExitStop, kRelayed, kDetached, kGroupStop };
  Type type;
  explicit TracerEvent(Type t = kCall) : type(t) {}
  int32_t pid = 0;   // thread group id
  int32_t tid = 0;
  int32_t nr = 0;    // kCall, kSyscall: the syscall number
  int32_t code = 0;  // kExit: exit code or -1 (killed)
  int32_t error = 0;  // kSpawnError: errno of the failed step
  int32_t signal = 0;  // kExit: terminating signal or 0; kSignal, kRelayed: the signal; kGroupStop: the stop signal, 0: continued
  int32_t parent = 0;  // kNewProcess: the parent's thread group (0: unknown)
  bool first_exec = false;  // kExec: the spawned child's own execve of the program
  int32_t delivered = 0;  // kRelayed: to how many processes it was sent (0: none left, or all had it)
  int32_t targets = 0;    // kRelayed: how many processes it was for
  bool core = false;
  uint64_t seq = 0;  // kCall/kCancel: identifies the stop the answer is for
  uint64_t args[6] = {};
  // kSyscall: a traced call, finished (or not: unfinished when its thread died
  // in it, exit_group), with times (CLOCK_REALTIME ns) and captured memory.
  int64_t ret = 0;
  bool unfinished = false;
  bool emulated = false;  // answered without running it: ret is a handler's or a constant's, not the kernel's
  int64_t entry_ns = 0, exit_ns = 0;
  std::string mem;

  // Whether JS may hear of it late (event_batch.h): nothing waits for it.
  // Calls, cancels, exits, spawn errors, relayed signals, group-stops and
  // detaches are answered, awaited or acted on at once; the first exec
  // completes a spawn.
  bool Deferrable() const {
    return type == kSyscall || type == kSignal || type == kNewProcess || (type == kExec && !first_exec);
  }
};

}  // namespace sysstub
