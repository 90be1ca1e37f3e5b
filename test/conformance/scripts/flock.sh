#!/bin/bash
# Two flock(1) processes on one file: the holder keeps it while the other,
# with -n, fails with 1 (and with -E 42 -w 0.1, 42).
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
L=$d/lock
flock "$L" sh -c "touch '$d/held'; sleep 1; echo 'holder: releasing'" &
while [ ! -e "$d/held" ]; do sleep 0.02; done
flock -n "$L" echo "second: got the lock"; echo "flock -n: $?"
flock -E 42 -w 0.1 "$L" true; echo "flock -E 42 -w 0.1: $?"
wait $!; echo "holder: $?"
flock -n "$L" echo "second: got the lock now"
exec 9>"$L"; flock -n 9 && echo "fd 9: locked"
sh -c "flock -n '$L' true; echo \"another process while fd 9 holds it: \$?\""
