#!/bin/sh
':' /*; i= b=; while read -r k v; do case $k in SigIgn:) i=$v;; SigBlk:) b=$v;; esac; done </proc/$$/status
f=; for p in /proc/$$/fd/[0-9]*; do n=${p#/proc/$$/fd/}; l=; { while read -r k v; do [ "$k" = flags: ] && l=$v; done <"/proc/$$/fdinfo/$n"; } 2>/dev/null; [ -n "$l" ] && [ $((0$l & 02000000)) = 0 ] && ! [ "$p" -ef "$0" ] && f="$f,$n"; done
SYSSTUB_INHERITED="ign=$i;blk=$b;fds=${f#,}" exec node "$0" "$@"
*/
// Entry point of the `sysstub` command: see lib/cli.ts.
//
// The lines above run first, as a POSIX shell script (this file is both):
// Node resets every signal disposition and the signal mask at start-up,
// marks the fds it inherited close-on-exec and reopens a closed 0-2, so what
// sysstub itself was started with is read here, before Node runs, from
// /proc/$$ (the shell's builtins only: no fork), and handed to the program as
// it was (lib/inherited.ts). To JavaScript they are a string and a comment.
import { main } from '../dist/cli.js';

await main();
