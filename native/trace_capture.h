// What the tracer copies out of tracee memory for a traced call, so that the
// trace line can be decoded later without the tracee: strings and input
// buffers at syscall entry, output buffers and structs at exit. The list per
// syscall comes from TypeScript (lib/trace/); this side only executes it.
#pragma once
#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

namespace sysstub {

struct Capture {
  uint8_t arg = 0;       // which argument holds the pointer
  bool at_exit = false;  // read after the call (output buffers)
  bool cstr = false;     // NUL-terminated string (else a buffer)
  uint8_t len_kind = 0;  // 0: length in argument len_value; 1: the return value; 2: fixed len_value bytes
  uint32_t len_value = 0;
  uint32_t max = 0;      // never more than this
};

using CaptureList = std::vector<Capture>;

// Appends [u8 index][i32 length, -1 unreadable][bytes] for every capture of
// `list` taken at this point (entry or exit) to `out`.
void TakeCaptures(pid_t tid, const CaptureList& list, bool at_exit, const uint64_t args[6], int64_t ret, std::string* out);

}  // namespace sysstub
