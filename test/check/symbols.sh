#!/usr/bin/env bash
# The version script lists every exported function by name, no wildcard:
# src/libringbuf.map's global list equals the ringbuf_* functions that
# include/ringbuf.h declares (RINGBUF_API), and, when the shared library is
# built, its dynamic symbol table exports exactly those.
set -u
cd "$(dirname "$0")/../.."
bad=0
decl=$(tr '\n' ' ' <include/ringbuf.h | grep -oE 'RINGBUF_API[^;(]*\(' |
	grep -oE 'ringbuf_[a-z0-9_]+[[:space:]]*\($' | tr -d ' (' | sort -u)
map=$(sed -n '/global:/,/local:/p' src/libringbuf.map | grep -oE '^[[:space:]]*[A-Za-z0-9_*]+;' | tr -d ' \t;' | sort -u)
if grep -q '\*' <<<"$map"; then
	echo "src/libringbuf.map exports by wildcard: list the functions by name"; bad=1
fi
for s in $(comm -23 <(echo "$decl") <(echo "$map")); do
	echo "include/ringbuf.h declares $s but src/libringbuf.map does not export it: add '		$s;'"; bad=1
done
for s in $(comm -13 <(echo "$decl") <(echo "$map")); do
	echo "src/libringbuf.map exports $s, which include/ringbuf.h does not declare"; bad=1
done
so=${BUILD:-build}/libringbuf.so
if [ -f "$so" ] && [ "$so" -nt src/libringbuf.map ]; then
	dyn=$(nm -D --defined-only "$so" | awk '$2 == "T" { print $3 }' | sed 's/@.*//' | sort -u)
	if [ "$dyn" != "$decl" ]; then
		echo "$so exports other functions than ringbuf.h declares:"
		diff <(echo "$decl") <(echo "$dyn") | grep '^[<>]' | sed 's/^/  /'; bad=1
	fi
fi
[ $bad = 0 ] && echo "symbols: $(echo "$decl" | wc -l) functions declared, listed and exported"
exit $bad
