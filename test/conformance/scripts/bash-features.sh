#!/bin/bash
# bash: pipelines (PIPESTATUS), subshells, traps on EXIT, ERR and a signal,
# wait for background jobs released one at a time (so the order is defined),
# a coprocess, and a child killed by a signal. Ends with status 6.
#
# `wait PID`, not `wait -n`: bash 5.2's wait -n looks for a running job, lets
# its SIGCHLD handler run, then blocks in wait4(-1); a job reaped by the
# handler in between is never reported (the shell blocks for ever, or gets
# ECHILD: 127). Any tracer widens that window, since the kernel tells the
# parent of a traced child's exit only once the tracer has waited for it:
# under `strace -f` this script hung in 13 of 70 runs with wait -n.
set -E
trap 'echo "ERR trap: status $? at line $LINENO"' ERR
trap 'echo "EXIT trap: status $?"' EXIT
trap 'echo "USR1 trap"' USR1
printf '%s\n' c a b | sort | tr a-z A-Z | paste -sd, -
false | true | (exit 3); echo "PIPESTATUS: ${PIPESTATUS[*]}"
x=$( (echo sub1; (echo sub2; exit 4); echo "inner status $?") | paste -sd' ' -); echo "subshells: $x"
false
kill -USR1 $$
echo "after USR1"
d=$(mktemp -d)
for i in 1 2 3; do mkfifo "$d/go$i"; done
(read -r _ <"$d/go1"; exit 3) & job[1]=$!; (read -r _ <"$d/go2"; exit 5) & job[2]=$!; (read -r _ <"$d/go3"; exit 7) & job[3]=$!
for i in 2 3 1; do echo go >"$d/go$i"; wait "${job[$i]}"; echo "wait job $i: $?"; done
rm -rf "$d"
coproc UP { tr a-z A-Z; }
cpid=$UP_PID # bash unsets UP_PID once it has reaped the coprocess
echo "hello coprocess" >&"${UP[1]}"
exec {UP[1]}>&-
read -r line <&"${UP[0]}"; echo "coproc said: $line"
wait "$cpid"; echo "coproc status: $?"
sh -c 'kill -TERM $$'; echo "child killed by TERM: $?"
exit 6
