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
  enum Kind : uint8_t { kBuf = 0, kCstr = 1, kStrv = 2 };
  uint8_t arg = 0;       // which argument holds the pointer
  bool at_exit = false;  // read after the call (output buffers); skipped when the call failed
  Kind kind = kBuf;      // a buffer, a NUL-terminated string, or a NULL-terminated array of strings
  uint8_t len_kind = 0;  // 0: length in argument len_value; 1: the return value; 2: fixed len_value
  uint32_t len_value = 0;
  uint32_t scale = 1;    // bytes per counted element (poll: 8 per fd), for len_kind 0 and 1
  uint32_t max = 0;      // never more than this many bytes (strv: per string; len_value strings at most)
};

using CaptureList = std::vector<Capture>;

// Appends [u8 index][i32 length, -1 unreadable][bytes] for every capture of
// `list` taken at this point (entry or exit) to `out`. NULL pointers, and exit
// captures of a failed call, are left out (absent, not unreadable). A strv is
// stored as its strings, each cut to `max` bytes and NUL-terminated.
void TakeCaptures(pid_t tid, const CaptureList& list, bool at_exit, const uint64_t args[6], int64_t ret, std::string* out);

}  // namespace sysstub
