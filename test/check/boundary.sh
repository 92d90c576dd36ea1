#!/usr/bin/env bash
# The library boundary: nothing outside src/ includes a header of src/ (the
# tool, the examples, the bench and the Python binding use include/ringbuf.h
# and their own files), except fuzz targets and tests that say at their top
# they are white-box: a line "/* white-box: why */" within their first 5 lines.
set -u
cd "$(dirname "$0")/../.."
bad=0
while IFS= read -r f; do
	case $f in fuzz/*) continue ;; esac
	if [ "${f#test/}" != "$f" ] && head -5 "$f" | grep -q '/\* white-box: .*\*/'; then
		continue
	fi
	echo "$f includes src/ internals without being a marked white-box test:"
	grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"([./]*/)?src/' "$f" | sed 's/^/  /'
	bad=1
done < <(grep -rlE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"([./]*/)?src/' \
		--include='*.c' --include='*.h' --include='*.def' . | sed 's|^\./||' | grep -v '^src/\|^build' | sort)
# The tool, the bench and the binding are built without -Isrc, so a bare
# #include "internal.h" cannot sneak past the check above.
if grep -nE '^\$\(TOOL\)|^\$\(PY_MOD\)' -A3 Makefile | grep -q -- '-Isrc'; then
	echo "Makefile: the tool or the Python module is compiled with -Isrc"; bad=1
fi
# The tool is its own files and the public library as a user links it:
# not the test helpers, not the archive with the internals visible. Of
# test/ it includes only the header-only BPF assembler it shares with them.
if grep -E '^\$\(TOOL\):' -A3 Makefile | grep -qE 'TESTLIB|INTERNAL|-Itest'; then
	echo "Makefile: the tool links the test helpers or the internal archive"; bad=1
fi
if grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"([./]*/)?test/' tools/*.[ch] bench/*.[ch] |
	grep -v '"\.\./test/lib/bpfasm\.h"'; then
	echo "tools/ or bench/ include the test helpers above: the tool uses the public API and its own files"; bad=1
fi
[ $bad = 0 ] && echo "library boundary: only $(grep -rlE '^/\* white-box: ' test --include='*.c' --include='*.h' | wc -l) marked white-box tests and fuzz/ include src/"
exit $bad
