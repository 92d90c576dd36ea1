#!/usr/bin/env bash
# The Python binding's pytest suite (python/tests) against the module built
# in this build dir ($RINGBUF's directory), with that build's tool for the
# cross-language tests. In the ASan+UBSan build the module is instrumented:
# libasan is preloaded into Python (leak detection off: the interpreter's
# own allocations are not ours). TSan would need an instrumented Python:
# skip there. Exit 0 pass, 1 fail, 77 skip.
set -u
R=${RINGBUF:?set RINGBUF to the built ringbuf tool}
b=$(dirname "$R")
py=${PYTHON:-/usr/bin/python3}
[ -x "$py" ] || py=python3
mod=$b/python/ringbuf.so
[ -f "$mod" ] || { echo "skip: the Python module is not built in $b (make python)"; exit 77; }
"$py" -c 'import pytest' 2>/dev/null || { echo "skip: pytest is missing (Debian: python3-pytest)"; exit 77; }
libs=$(ldd "$mod" 2>/dev/null)
case $libs in
*libtsan*) echo "skip: the module under TSan needs a TSan-built Python"; exit 77;;
*libasan*)
	asan=$(echo "$libs" | awk '/libasan/ { print $3 }')
	export LD_PRELOAD=$asan ASAN_OPTIONS=detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}
	export RINGBUF_SANITIZER=asan;;
esac
export PYTHONPATH="$b/python${PYTHONPATH:+:$PYTHONPATH}" RINGBUF_TOOL="$R" RINGBUF_BUILD="$b"
cd "$(dirname "$0")/.." || exit 1
"$py" -m pytest -q -p no:cacheprovider python/tests
rc=$?
[ $rc = 5 ] && { echo "skip: no tests collected"; exit 77; }
[ $rc = 0 ] || exit 1
