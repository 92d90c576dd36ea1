#!/usr/bin/env bash
# The package as a user gets it: `make install` into a temporary prefix puts
# in the man pages (the function pages' .so links resolve among the
# installed pages) and the bash completion; every example builds against
# the installed public header and library alone (no -Isrc, no build tree)
# and the two-process example runs; `make uninstall` leaves no file behind
# (library, header, tool, pkg-config file, man pages, completion); the
# version is 0.2.0 everywhere (Makefile, header, tool, pkg-config); the
# Python module imports from where it is installed.
set -u
case "${RINGBUF:-}" in *asan*|*tsan*) echo "skip: the install check runs in the plain build"; exit 77;; esac
command -v pkg-config >/dev/null || { echo "skip: pkg-config is not installed"; exit 77; }
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails+1)); }
make -s install PREFIX="$prefix" BUILD=build >/dev/null || { echo "FAIL: make install"; exit 1; }
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"

# One version everywhere.
v=$(sed -n 's/^VERSION *:= *//p' Makefile)
[ "$(pkg-config --modversion libringbuf)" = "$v" ] || fail "pkg-config version"
grep -q "RINGBUF_VERSION_STRING \"$v\"" "$prefix/include/ringbuf.h" || fail "header version"
LD_LIBRARY_PATH="$prefix/lib" "$prefix/bin/ringbuf" --version | grep -q "^ringbuf $v (libringbuf $v)$" ||
	fail "ringbuf --version: $("$prefix/bin/ringbuf" --version)"
grep -q "^## $v" CHANGELOG.md || fail "CHANGELOG.md has no $v section"
grep -q "MIT License" LICENSE || fail "no LICENSE"

# Man pages and completion installed; every page renders, links resolve.
[ -f "$prefix/share/man/man1/ringbuf.1" ] || fail "ringbuf.1 not installed"
[ -f "$prefix/share/bash-completion/completions/ringbuf" ] || fail "completion not installed"
n=0
for p in man/*.3; do
	page=$prefix/share/man/man3/${p#man/}
	[ -f "$page" ] || { fail "$page not installed"; continue; }
	out=$(cd "$prefix/share/man" && man -l "man3/${p#man/}" 2>&1 >/dev/null)
	[ -z "$out" ] || fail "installed ${p#man/}: $out"
	n=$((n+1))
done

# Every example against the installed header and library only.
for e in examples/*.c; do
	x=$prefix/$(basename "$e" .c)
	extra=; grep -q '<bpf/bpf.h>' "$e" && extra=-lbpf
	cc -Wall -Werror -o "$x" "$e" $(pkg-config --cflags libringbuf) "$prefix/lib/libringbuf.a" -pthread $extra \
		2>"$prefix/cc.err" || fail "$e does not build against the installed library: $(head -3 "$prefix/cc.err")"
done
cc -Wall -Werror -o "$prefix/two_shared" examples/two_processes.c $(pkg-config --cflags --libs libringbuf) \
	-Wl,-rpath,"$(pkg-config --variable=libdir libringbuf)" || fail "two_processes with the shared library"
out=$("$prefix/two_shared") || fail "two_processes exited $?"
[ "$(echo "$out" | grep -c '^from pid [0-9]*: #[0-9] hello [0-9]$')" = 10 ] || fail "two_processes printed: $out"
ldd "$prefix/two_shared" | grep -q "$prefix/lib/libringbuf.so.0" || fail "rpath not used: $(ldd "$prefix/two_shared")"

# The Python module: installed where the system Python looks. For this
# prefix, import it from there and use it; for PREFIX=/usr/local (the
# README's install step, staged under DESTDIR) its directory must be on
# /usr/bin/python3's default sys.path.
py=/usr/bin/python3
if [ -f build/python/ringbuf.so ] && [ -x $py ]; then
	site=$(ls -d "$prefix"/lib/python3*/dist-packages 2>/dev/null)
	ls "$site"/ringbuf*.so >/dev/null 2>&1 || fail "Python module not installed under $prefix/lib"
	out=$(cd / && PYTHONPATH="$site" $py -c 'import ringbuf
with ringbuf.Ring(1 << 16) as rb:
    rb.output(b"installed")
    print(rb.consume_batch())' 2>&1) || fail "import the installed module: $out"
	[ "$out" = "[b'installed']" ] || fail "installed module consumed: $out"
	make -s install-python PREFIX=/usr/local DESTDIR="$prefix/stage" BUILD=build >/dev/null || fail "make install-python PREFIX=/usr/local"
	m=$(cd "$prefix/stage" && ls usr/local/lib/python3*/dist-packages/ringbuf*.so 2>/dev/null)
	[ -n "$m" ] || fail "PREFIX=/usr/local: no module staged"
	$py -c 'import sys; sys.exit(0 if sys.argv[1] in sys.path else 1)' "/$(dirname "$m")" ||
		fail "/$(dirname "$m") is not on $py's sys.path"
	rm -rf "$prefix/stage"
	py_note=", the Python module"
else
	echo "note: the Python module is not built (python3-dev): its install is not checked"
fi

# Uninstall removes everything make install put there (the Python module's
# directory aside, which uninstall-python empties).
make -s uninstall PREFIX="$prefix" BUILD=build >/dev/null || fail "make uninstall"
rm -f "$prefix"/two_shared "$prefix"/cc.err
for e in examples/*.c; do rm -f "$prefix/$(basename "$e" .c)"; done
left=$(find "$prefix" \( -type f -o -type l \) | sed "s|^$prefix/||")
[ -z "$left" ] || fail "make uninstall left: $left"
[ $fails = 0 ] && echo "ok: $n man pages, completion, examples against the installed library${py_note:-}, uninstall" || exit 1
