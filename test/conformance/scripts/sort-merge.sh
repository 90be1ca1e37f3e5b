#!/bin/sh
# sort with 2 threads and a 64 KiB buffer on ~2 MB of lines: it sorts runs
# into temporary files and merges them. That it needs them is shown first:
# with -T naming a missing directory the same sort fails (status 2).
set -eu
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
awk 'BEGIN { x = 1; for (i = 0; i < 200000; i++) { x = (x * 1103515245 + 12345) % 2147483648; print x } }' >"$d/in"
st=0; sort --parallel=2 -S 64K -T "$d/missing" "$d/in" >/dev/null 2>"$d/err" || st=$?
echo "without a temporary directory: status $st, $(grep -c 'cannot create temporary file' "$d/err") error"
sort --parallel=2 -S 64K -T "$d" "$d/in" >"$d/out"
sort -S 64M --parallel=1 "$d/in" >"$d/ref"
echo "lines: $(wc -l <"$d/out")"
echo "first: $(head -n 1 "$d/out") last: $(tail -n 1 "$d/out")"
cmp -s "$d/out" "$d/ref" && echo "same as a one-pass sort in memory"
