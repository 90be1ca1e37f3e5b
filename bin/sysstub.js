#!/bin/sh
':' /*; i= b=; while read -r k v; do case $k in SigIgn:) i=$v;; SigBlk:) b=$v;; esac; done </proc/$$/status
f=; for p in /proc/$$/fd/[0-9]*; do n=${p#/proc/$$/fd/}; l=; { while read -r k v; do [ "$k" = flags: ] && l=$v; done <"/proc/$$/fdinfo/$n"; } 2>/dev/null; [ -n "$l" ] && [ $((0$l & 02000000)) = 0 ] && ! [ "$p" -ef "$0" ] && f="$f,$n"; done
s=$0; [ -L "$s" ] && s=$(readlink -f -- "$s" 2>/dev/null); r=${s%/*}/..; z=$r/dist/cli-bundle.blob; n=
if [ -z "${SYSSTUB_NO_SNAPSHOT-}" ] && [ -f "$z.for" ] && { read -r w && read -r q; } 2>/dev/null <"$z.for" && [ "$r" -ef "$q" ] && ! [ "$r/dist/cli.js" -nt "$z" ]; then
  o=$IFS; IFS=:; for p in $PATH; do [ -f "${p:-.}/node" ] && [ -x "${p:-.}/node" ] && { n=${p:-.}/node; break; }; done; IFS=$o
  [ -n "$n" ] && [ "$n" -ef "$w" ] && ! [ "$n" -nt "$z" ] || n=
fi
[ -n "$n" ] && SYSSTUB_INHERITED="ign=$i;blk=$b;fds=${f#,}" exec "$n" --snapshot-blob "$z" -- "$@"
SYSSTUB_INHERITED="ign=$i;blk=$b;fds=${f#,}" exec node "$0" "$@"
*/
// Entry point of the `sysstub` command: see lib/cli.ts.
//
// The lines above run first, as a POSIX shell script (this file is both):
// Node resets every signal disposition and the signal mask at start-up,
// marks the fds it inherited close-on-exec and reopens a closed 0-2, so what
// sysstub itself was started with is read here, before Node runs, from
// /proc/$$ (the shell's builtins only: no fork), and handed to the program as
// it was (lib/inherited.ts). Then node starts from the CLI's startup snapshot
// when one was built for this node and this directory and is newer than both
// the node and dist/cli.js (scripts/snapshot.mjs; SYSSTUB_NO_SNAPSHOT=1: never),
// else from the modules, below. (readlink runs only for a symlinked bin, as
// npm links it, and after the fds are read.) To JavaScript it is all a string and a comment.
import { main } from '../dist/cli.js';

await main();
