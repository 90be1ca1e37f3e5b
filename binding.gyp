# One build system for everything native: the addon (native/) and the C
# programs the tests and the demo run (test/fixtures/, listed in fixtures.gypi).
{
  "includes": ["test/fixtures/fixtures.gypi"],
  "target_defaults": {
    "cflags": ["-Wall", "-Wextra", "-Werror", "-O2"],
    "cflags_cc": ["-Wall", "-Wextra", "-Werror", "-O2", "-std=c++20"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=c++17"]
  },
  "targets": [
    {
      "target_name": "sysstub",
      "sources": [
        "native/addon.cc",
        "native/binding.cc",
        "native/os_binding.cc",
        "native/notif.cc",
        "native/tracer.cc",
        "native/seccomp_stop.cc",
        "native/new_tasks.cc",
        "native/spawn.cc",
        "native/seccomp_filter.cc",
        "native/wake.cc",
        "native/tracee_mem.cc",
        "native/trace_capture.cc",
        "native/slot_table.cc",
        "native/signal_relay.cc",
        "native/watchdog.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=9", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "libraries": ["-lpthread"]
    }
  ]
}
