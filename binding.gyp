# The addon (native/), the only thing a user's install compiles (when no
# prebuilt binary in prebuilds/ fits: node-gyp-build). Warnings are errors
# only where sysstub_werror=true (npm run build:native, CI): a newer compiler's
# new warning must not break a user's install. The test programs are built by
# scripts/build-fixtures.mjs.
{
  "variables": { "sysstub_werror%": "false" },
  "target_defaults": {
    "cflags": ["-Wall", "-Wextra", "-O2"],
    "cflags_cc": ["-Wall", "-Wextra", "-O2", "-std=c++20"],
    "conditions": [["sysstub_werror=='true'", { "cflags": ["-Werror"], "cflags_cc": ["-Werror"] }]],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=c++17"]
  },
  "targets": [
    {
      # The spawned child's code between clone and execve (native/spawn_child.h):
      # it runs on a heap stack in our memory and must call nothing, so it is
      # compiled without the stack protector (__stack_chk_fail; Debian's and
      # Ubuntu's compilers may turn it on by default).
      "target_name": "sysstub_child",
      "type": "static_library",
      "sources": ["native/spawn_child.cc"],
      "cflags_cc": ["-fPIC", "-fno-stack-protector"]
    },
    {
      "target_name": "sysstub",
      "dependencies": ["sysstub_child"],
      "sources": [
        "native/addon.cc",
        "native/binding.cc",
        "native/os_binding.cc",
        "native/notif.cc",
        "native/tracer.cc",
        "native/seccomp_stop.cc",
        "native/new_tasks.cc",
        "native/spawn.cc",
        "native/attach.cc",
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
