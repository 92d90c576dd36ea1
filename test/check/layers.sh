#!/usr/bin/env bash
# The files of src/ call each other one way only: from each object's
# defined and undefined symbols (nm), an edge A -> B when A.o uses a symbol
# B.o defines; any cycle among those edges fails, with the cycle and the
# symbols on its edges. docs/DESIGN.md, "The tree", gives the order.
#   test/check/layers.sh [OBJDIR]   (default: build/obj, built by `make lib`)
set -u
cd "$(dirname "$0")/../.."
dir=${1:-build/obj}
objs=()
for c in src/*.c; do
	o=$dir/$(basename "$c" .c).o
	[ -f "$o" ] || { echo "layers: $o is missing: run 'make lib' (or 'make layers')"; exit 1; }
	objs+=("$o")
done
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for o in "${objs[@]}"; do
	f=$(basename "$o" .o)
	nm --defined-only "$o" | awk -v f="$f" 'NF == 3 && $2 ~ /^[A-Z]$/ { print $3, f }'
done | sort -k1,1 > "$tmp/defs"
for o in "${objs[@]}"; do
	f=$(basename "$o" .o)
	nm --undefined-only "$o" | awk -v f="$f" '{ print $NF, f }'
done | sort -k1,1 > "$tmp/uses"
# symbol user definer
join "$tmp/uses" "$tmp/defs" | awk '$2 != $3' > "$tmp/syms"
awk '{ print $2, $3 }' "$tmp/syms" | sort -u > "$tmp/edges"
[ -s "$tmp/edges" ] || { echo "layers: no edges between the objects of $dir: nothing was measured"; exit 1; }
# tsort reports every loop it finds on stderr, one file a line.
if tsort "$tmp/edges" > "$tmp/order" 2> "$tmp/loops"; then
	echo "layers: ${#objs[@]} files of src/, $(wc -l < "$tmp/edges") edges between them, no cycle"
	exit 0
fi
echo "layers: call cycles between files of src/ (an edge A B: A uses a symbol B defines):"
grep -v 'input contains a loop' "$tmp/loops" | sed 's/^tsort: //' | sort -u > "$tmp/inloop"
awk 'NR == FNR { in_loop[$1] = 1; next }
     in_loop[$2] && in_loop[$3] { print "  " $2 " -> " $3 ": " $1 }' "$tmp/inloop" "$tmp/syms" | sort -u
exit 1
