#!/bin/sh
# The package as a user gets it (README "Installing"): npm pack, then install
# the tarball into a fresh project twice, and use it there each time:
#   prebuilt: npm install --ignore-scripts, so nothing is compiled and the
#             prebuilt binary in prebuilds/ must serve; with TypeScript 7;
#   source:   the same install, then the prebuilt binary removed and
#             `npm rebuild sysstub`: the fallback build of the addon alone
#             (node-gyp-build finds no binary that fits); with TypeScript 6.
# In each: a JavaScript module answering an unassigned number, a TypeScript
# module (-m file.ts), a fault injected into a real call, and run() from the
# library; in the source install also a vitest suite using sysstub/vitest.
# Needs the npm registry, perl and uname. Exit status 0 when all pass.
set -eu
cd "$(dirname "$0")/.."
work=${1:-$(mktemp -d)}
mkdir -p "$work"
fail() { echo "pack-check: $*"; exit 1; }

tgz=$(npm pack --silent --pack-destination "$work" </dev/null | tail -n 1)
[ -f "$work/$tgz" ] || fail "npm pack made no tarball"
list=$(tar tzf "$work/$tgz")
for f in package/prebuilds/linux-x64/node.napi.glibc.node package/LICENSE package/dist/index.js package/binding.gyp; do
  printf '%s\n' "$list" | grep -qx "$f" || fail "the tarball lacks ${f#package/}"
done
if printf '%s\n' "$list" | grep -q '^package/test/'; then fail "the tarball ships test/"; fi
echo "pack-check: $tgz: $(printf '%s\n' "$list" | wc -l) files, prebuilt binary included"

smoke() { # DIR: the checks, in a project where sysstub is installed
  cd "$1"
  cat >answer.mjs <<'JS'
export default { name: 'answer', syscalls: { 400: () => 42 } };
JS
  cat >typed.ts <<'TS'
enum Reply { Value = 43 }
const reply: number = Reply.Value;
export default { name: 'typed', syscalls: { getpmsg: (): number => reply } };
TS
  out=$(npx --no-install sysstub run -m ./answer.mjs -- perl -e 'print syscall(400), "\n"' </dev/null) || fail "$1: sysstub run -m answer.mjs failed"
  [ "$out" = 42 ] || fail "$1: syscall 400 under -m answer.mjs gave '$out', not 42"
  out=$(npx --no-install sysstub run -m ./typed.ts -- perl -e 'print syscall(181, 0, 0, 0, 0), "\n"' </dev/null) || fail "$1: sysstub run -m typed.ts failed"
  [ "$out" = 43 ] || fail "$1: getpmsg under -m typed.ts gave '$out', not 43"
  rc=0
  err=$(LC_ALL=C npx --no-install sysstub run -e inject=uname:error=EPERM -- uname 2>&1 >/dev/null </dev/null) || rc=$?
  [ "$rc" = 1 ] && printf '%s\n' "$err" | grep -q 'Operation not permitted' || fail "$1: inject=uname:error=EPERM: exit $rc, stderr: $err"
  node --input-type=module -e "
    import { run } from 'sysstub';
    const r = await run(['perl', '-e', 'print syscall(181, 0, 0, 0, 0)'], { modules: [{ name: 'lib', syscalls: { getpmsg: () => 5 } }] });
    if (r.stdout !== '5' || r.exitCode !== 0) { console.error('run() gave', r); process.exit(1); }
  " </dev/null || fail "$1: run() from the library failed"
  cd - >/dev/null
}

for mode in prebuilt source; do
  app="$work/app-$mode"
  rm -rf "$app" && mkdir "$app"
  (cd "$app" && npm init -y >/dev/null)
  if [ "$mode" = prebuilt ]; then
    (cd "$app" && npm install --ignore-scripts --no-audit --no-fund "$work/$tgz" typescript@7 </dev/null >/dev/null) || fail "$mode: npm install failed"
    [ ! -e "$app/node_modules/sysstub/build" ] || fail "$mode: something was compiled despite --ignore-scripts"
  else
    (cd "$app" && npm install --ignore-scripts --no-audit --no-fund "$work/$tgz" typescript@6 </dev/null >/dev/null) || fail "$mode: npm install failed"
    rm -rf "$app/node_modules/sysstub/prebuilds"
    (cd "$app" && npm rebuild sysstub </dev/null >/dev/null) || fail "$mode: npm rebuild sysstub failed"
    [ -f "$app/node_modules/sysstub/build/Release/sysstub.node" ] || fail "$mode: no source build of the addon"
    [ -z "$(find "$app/node_modules/sysstub/build/Release" -maxdepth 1 -type f -perm -u+x ! -name '*.node')" ] || fail "$mode: the install built programs besides the addon"
  fi
  smoke "$app"
  if [ "$mode" = source ]; then
    # sysstub/vitest in a user's suite: its matchers and fixture, with vitest installed there.
    (cd "$app" && npm install --no-audit --no-fund vitest </dev/null >/dev/null) || fail "$mode: npm install vitest failed"
    cat >"$app/smoke.test.mjs" <<'JS'
import { expect } from 'vitest';
import { test } from 'sysstub/vitest';
test('a fault, seen by the matchers', async ({ run }) => {
  const r = await run(['cat', '/etc/hostname'], { inject: 'openat:error=EACCES:when=3', trace: 'openat', env: { ...process.env, LC_ALL: 'C' } });
  expect(r).toHaveExitedWith(1);
  expect(r).toFailSyscallWith('openat', 'EACCES');
});
JS
    (cd "$app" && npx --no-install vitest run smoke.test.mjs </dev/null >"$app/vitest.log" 2>&1) || { cat "$app/vitest.log"; fail "$mode: a vitest suite using sysstub/vitest failed"; }
  fi
  echo "pack-check: $mode install: modules (.mjs, .ts with typescript $(node -p "require('$app/node_modules/typescript/package.json').version")), inject, run(): ok"
done
echo "pack-check: passed (musl: not checked, this machine has no musl toolchain)"
