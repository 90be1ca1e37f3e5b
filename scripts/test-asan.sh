#!/bin/sh
# The native-heavy suites against the sanitizer build of the addon
# (CMakeLists.txt, `npm run build:asan` -> build-asan/): `npm run test:asan`,
# or scripts/test-asan.sh [vitest files or options] for other suites.
# Fails (non-zero) when a test fails or when any process wrote an ASan or
# UBSan report, even one whose test passed (a report in a `sysstub` child
# whose exit status the test does not look at).
#
# Only Node carries the sanitizer runtimes. An ASan-built library loaded into
# a program must find libasan first in the program's initial library list;
# the usual LD_PRELOAD would do that for Node, but it is inherited by every
# program the tests run (C fixtures, /bin/sh, stress-ng, strace), and there
# ASan changes what is being tested: its SEGV handler turns a fixture's or a
# shell's deliberate crash into a report and exit status 1 ("reports death by
# signal" fails, the IA32 probe's fault becomes a report), and its start-up
# calls show up in the traced program. So this makes a copy of this Node
# binary whose own DT_NEEDED list starts with libasan and libubsan (patchelf),
# puts it first in PATH as `node`, and runs vitest with it: process.execPath
# is then the copy, so vitest's forks and the tests' `node bin/sysstub.js`
# children (spawned as process.execPath) load the runtimes, and nothing else
# does. No LD_PRELOAD is set.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
out=$root/build-asan
addon=$out/RelWithDebInfo/sysstub.node
reports=$out/reports

[ -f "$addon" ] || { echo "test-asan: $addon is missing: run \`npm run build:asan\`" >&2; exit 2; }
command -v patchelf >/dev/null 2>&1 || { echo "test-asan: needs patchelf (apt-get install patchelf)" >&2; exit 2; }

# dist/ is what the CLI children run: it must have the loader that reads SYSSTUB_ADDON.
npm run --silent build:ts

# Node with the runtimes the addon was linked with, libasan first.
real_node=$(node -p process.execPath)
case $real_node in "$out"/*) echo "test-asan: run it with the plain node first in PATH, not $real_node" >&2; exit 2 ;; esac
mkdir -p "$out/bin"
cp "$real_node" "$out/bin/node.tmp"
sans=$(readelf -d "$addon" | sed -n 's/.*(NEEDED).*\[\(lib[a-z]*san\.so[^]]*\)\].*/\1/p' | sort -r) # libubsan, libasan
# UBSan's log_path, which libubsan ignores beside libasan (scripts/asan-report-path.c).
cc -shared -fPIC -O1 -Wall -Werror -o "$out/bin/libasan-report-path.so" scripts/asan-report-path.c -ldl
for lib in "$out/bin/libasan-report-path.so" $sans; do patchelf --add-needed "$lib" "$out/bin/node.tmp"; done # each goes in front
first=$(readelf -d "$out/bin/node.tmp" | sed -n 's/.*(NEEDED).*\[\(.*\)\].*/\1/p' | head -n 1)
case $first in libasan.so*) ;; *) echo "test-asan: patched node's first library is $first, not libasan" >&2; exit 2 ;; esac
mv "$out/bin/node.tmp" "$out/bin/node"

rm -rf "$reports"
mkdir -p "$reports"
export SYSSTUB_ADDON="$addon"
export PATH="$out/bin:$PATH"
# detect_leaks=0: LeakSanitizer would report at every Node exit, for memory
# that Node and V8 deliberately never free at exit (and its at-exit check
# stops the process's threads with ptrace, which a process being traced
# itself cannot always do); leaks are tested by test/reliability/leaks.test.ts.
# halt_on_error=1: the first error ends the process (exit status 1) with its
# report in $reports/asan.PID, which fails this run whatever the tests say.
# UBSan: the addon is built with -fno-sanitize-recover=undefined, so UB ends
# the process too; its report goes to $reports/ubsan.PID.
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=0:print_summary=1:log_path=$reports/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:report_error_type=1:log_path=$reports/ubsan"

# Make sure the sanitizer build is what loads (SYSSTUB_ADDON falls back to build/ when missing).
node --input-type=module -e "
  import fs from 'node:fs';
  const { native } = await import('$root/dist/native.js');
  native();
  const maps = fs.readFileSync('/proc/self/maps', 'utf8');
  if (!maps.includes('$addon') || !maps.includes('libasan')) { console.error('test-asan: the sanitizer addon did not load'); process.exit(2); }
"

if [ "$#" -eq 0 ]; then
  # build-sources: the spawned child's object in this build has no sanitizer calls.
  set -- test/build-sources.test.ts test/spawn.test.ts test/process-tree.test.ts test/lifecycle.test.ts test/modules.test.ts test/modules/streams.test.ts
  for dir in test/load test/reliability; do
    if [ -d "$dir" ]; then set -- "$@" "$dir/"; fi
  done
  # Reads and writes of tracee memory at page edges (native/tracee_mem.cc).
  if [ -f test/fuzz/memory.test.ts ]; then set -- "$@" test/fuzz/memory.test.ts; fi
  # Left out here (it runs in npm test): RSS bounds mean nothing under ASan's
  # allocator (a 256 MiB quarantine of freed memory, redzones, a stack depot
  # that only grows).
  set -- -t '^(?!.*RSS outside the V8 heap)' "$@"
fi
echo "test-asan: $addon under $out/bin/node: $*"
rc=0
node node_modules/vitest/vitest.mjs run "$@" </dev/null || rc=$?

found=$(find "$reports" -type f | sort)
if [ -n "$found" ]; then
  for f in $found; do
    echo "test-asan: sanitizer report $f:"
    cat "$f"
  done
  echo "test-asan: FAILED: $(echo "$found" | wc -l) sanitizer report(s) in $reports"
  exit 1
fi
[ "$rc" = 0 ] || { echo "test-asan: FAILED: the tests failed (status $rc)"; exit "$rc"; }
echo "test-asan: passed, no sanitizer reports"
