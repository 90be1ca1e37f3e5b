#!/bin/sh
# xz -T2: multi-threaded compression (several blocks) and decompression;
# the checksum of the round trip matches the input's.
set -eu
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
awk 'BEGIN { x = 7; for (i = 0; i < 150000; i++) { x = (x * 69069 + 1) % 4294967296; printf "%08x %d\n", x, i } }' >"$d/in"
xz -T2 -1 --block-size=256KiB -c "$d/in" >"$d/in.xz"
xz -l --robot "$d/in.xz" | awk '$1 == "totals" { print "streams " $2 ", blocks " $3 }'
xz -T2 -dc "$d/in.xz" | sha256sum
sha256sum <"$d/in"
