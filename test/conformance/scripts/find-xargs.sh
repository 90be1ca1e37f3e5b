#!/bin/sh
# find -exec {} + (batched) and xargs -P4 (four at once): output sorted,
# since the order of parallel jobs is not defined.
set -eu
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
cd "$d"
for i in $(seq 1 40); do mkdir -p "d$((i % 4))"; echo "line $i" >"d$((i % 4))/f$i.txt"; done
find . -name '*.txt' -exec sh -c 'echo "one batch of $#"' sh {} +
find . -name '*.txt' -exec wc -l {} + | tail -n 1
find . -name '*.txt' -print0 | xargs -0 -n 3 -P4 sh -c 'for f; do echo "$f: $(cat "$f")"; done' sh | sort -V >all
echo "xargs -P4 saw $(wc -l <all) files: $(head -n 1 all) ... $(tail -n 1 all)"
find . -name '*.txt' -print0 | xargs -0 -n 5 -P4 grep -l 'line 1$' | sort
printf '%s\n' 0 1 0 2 | xargs -P4 -I{} sh -c 'exit {}' || echo "xargs -P4 with failing jobs: $?"
