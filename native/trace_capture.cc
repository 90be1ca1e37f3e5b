#include "trace_capture.h"

#include <cstring>

#include "tracee_mem.h"

namespace sysstub {

void TakeCaptures(pid_t tid, const CaptureList& list, bool at_exit, const uint64_t args[6], int64_t ret, std::string* out) {
  for (size_t i = 0; i < list.size(); i++) {
    const Capture& c = list[i];
    if (c.at_exit != at_exit || c.arg > 5) continue;
    uint64_t addr = args[c.arg];
    if (addr == 0 || (at_exit && ret < 0 && ret >= -4095)) continue;
    std::string bytes;
    int rc = 0;
    if (c.kind == Capture::kCstr) {
      rc = ReadTraceeCString(tid, addr, c.max, &bytes);
      if (rc == -ENAMETOOLONG) rc = 0;  // longer than we print: what we have is enough
    } else if (c.kind == Capture::kStrv) {
      for (uint32_t k = 0; k < c.len_value; k++) {
        uint64_t p = 0;
        if ((rc = ReadTraceeMemory(tid, addr + 8 * k, &p, sizeof p)) < 0 || p == 0) break;
        std::string s;
        int r = ReadTraceeCString(tid, p, c.max, &s);
        if (r < 0 && r != -ENAMETOOLONG) break;
        bytes += s;
        bytes.push_back('\0');
      }
      if (rc < 0 && !bytes.empty()) rc = 0;
    } else {
      int64_t n = c.len_kind == 0 ? static_cast<int64_t>(args[c.len_value < 6 ? c.len_value : 0])
                : c.len_kind == 1 ? ret
                                  : static_cast<int64_t>(c.len_value);
      if (c.len_kind != 2 && n > 0) n *= c.scale;
      if (n < 0) n = 0;
      if (static_cast<uint64_t>(n) > c.max) n = c.max;
      bytes.resize(static_cast<size_t>(n));
      rc = n == 0 ? 0 : ReadTraceeMemory(tid, addr, bytes.data(), bytes.size());
    }
    out->push_back(static_cast<char>(i));
    int32_t n = rc < 0 ? -1 : static_cast<int32_t>(bytes.size());
    out->append(reinterpret_cast<const char*>(&n), sizeof n);
    if (n > 0) out->append(bytes);
  }
}

}  // namespace sysstub
