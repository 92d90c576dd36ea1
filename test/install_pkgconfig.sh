#!/usr/bin/env bash
# The installed library works for a program outside the tree: install into a
# temporary prefix, build the README's example with pkg-config against the
# shared and the static library, run both.
set -eu
case "${RINGBUF:-}" in *asan*|*tsan*) echo "the installed-library check runs in the plain build"; exit 77;; esac
command -v pkg-config >/dev/null || { echo "pkg-config is not installed"; exit 77; }
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
make -s install PREFIX="$prefix" BUILD=build >/dev/null
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
[ "$(pkg-config --modversion libringbuf)" = "$(sed -n 's/^VERSION *:= *//p' Makefile)" ]
cc -Wall -Werror -o "$prefix/quick_shared" examples/quickstart.c $(pkg-config --cflags --libs libringbuf)
LD_LIBRARY_PATH="$prefix/lib" "$prefix/quick_shared" | grep -q "^42 demo (20 bytes)$"
cc -Wall -Werror -o "$prefix/quick_static" examples/quickstart.c $(pkg-config --cflags libringbuf) \
	"$prefix/lib/libringbuf.a" -pthread
"$prefix/quick_static" | grep -q "^42 demo"
# Only the API is exported from the shared library.
! nm -D --defined-only "$prefix/lib/libringbuf.so" | awk '$2 == "T" {print $3}' | grep -v '^ringbuf_'
# ... and from the static archive: an internal name would collide with a
# program's own (a program defining rb_testpoint_hit must still link).
! nm -g --defined-only "$prefix/lib/libringbuf.a" | awk 'NF == 3 {print $3}' | grep -v '^ringbuf_'
printf 'void rb_testpoint_hit(const char *n);\nvoid rb_testpoint_hit(const char *n) { (void)n; }\n' > "$prefix/collide.c"
cc -Wall -Werror -o "$prefix/quick_collide" examples/quickstart.c "$prefix/collide.c" \
	$(pkg-config --cflags libringbuf) "$prefix/lib/libringbuf.a" -pthread
"$prefix/quick_collide" | grep -q "^42 demo"
[ -f "$prefix/include/ringbuf.h" ] && [ -x "$prefix/bin/ringbuf" ]
echo "installed library OK"
