/* Loaded into the sanitizer Node of scripts/test-asan.sh (a DT_NEEDED entry
 * after libasan and libubsan). With both runtimes in one process, GCC's
 * libubsan ignores UBSAN_OPTIONS=log_path and writes its reports to stderr,
 * where a test that captures a child's stderr would hide them. This sets
 * libubsan's own report path (its __sanitizer_set_report_path, not libasan's
 * copy) from UBSAN_OPTIONS's log_path, so that UBSan reports are files too. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

__attribute__((constructor)) static void set_ubsan_report_path(void) {
  const char* opts = getenv("UBSAN_OPTIONS");
  const char* at = opts ? strstr(opts, "log_path=") : NULL;
  if (!at) return;
  at += strlen("log_path=");
  char path[4096];
  size_t n = strcspn(at, ":");
  if (n == 0 || n >= sizeof path) return;
  memcpy(path, at, n);
  path[n] = '\0';
  void* ubsan = dlopen("libubsan.so.1", RTLD_NOW | RTLD_NOLOAD);
  if (!ubsan) return;
  void (*set)(const char*) = (void (*)(const char*))dlsym(ubsan, "__sanitizer_set_report_path");
  if (set) set(path);
}
