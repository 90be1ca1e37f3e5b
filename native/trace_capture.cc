#include "trace_capture.h"

#include <cstring>

#include "tracee_mem.h"

namespace sysstub {

void TakeCaptures(pid_t tid, const CaptureList& list, bool at_exit, const uint64_t args[6], int64_t ret, std::string* out) {
  for (size_t i = 0; i < list.size(); i++) {
    const Capture& c = list[i];
    if (c.at_exit != at_exit || c.arg > 5) continue;
    uint64_t addr = args[c.arg];
    std::string bytes;
    int rc = -1;
    if (addr != 0) {
      if (c.cstr) {
        rc = ReadTraceeCString(tid, addr, c.max, &bytes);
        if (rc == -ENAMETOOLONG) rc = 0;  // longer than we print: what we have is enough
      } else {
        int64_t len = c.len_kind == 0 ? static_cast<int64_t>(args[c.len_value < 6 ? c.len_value : 0])
                    : c.len_kind == 1 ? ret
                                      : static_cast<int64_t>(c.len_value);
        if (len < 0) len = 0;
        if (static_cast<uint64_t>(len) > c.max) len = c.max;
        bytes.resize(static_cast<size_t>(len));
        rc = len == 0 ? 0 : ReadTraceeMemory(tid, addr, bytes.data(), bytes.size());
      }
    }
    out->push_back(static_cast<char>(i));
    int32_t n = rc < 0 ? -1 : static_cast<int32_t>(bytes.size());
    out->append(reinterpret_cast<const char*>(&n), sizeof n);
    if (n > 0) out->append(bytes);
  }
}

}  // namespace sysstub
