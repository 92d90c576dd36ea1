#!/usr/bin/env bash
# `ringbuf stat` and `ringbuf dump` need read permission only: another user
# (nobody, through setpriv) inspects root's 0644 ring — size, positions,
# statistics, the records — while `cat` and `write` are refused to it, and
# not one byte of the ring changes. Needs root and setpriv.
# Needs $RINGBUF (the built tool). Exit 0 pass, 1 fail, 77 skip.
set -u
R=${RINGBUF:?set RINGBUF to the built ringbuf tool}
[ -x "$R" ] || { echo "skip: $R is not built"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "skip: needs root to run the tool as another user"; exit 77; }
command -v setpriv >/dev/null || { echo "skip: setpriv (util-linux) is not installed"; exit 77; }
ring=rbro.$$
tmp=$(mktemp -d)
chmod 755 "$tmp"
cp "$R" "$tmp/ringbuf" && chmod 755 "$tmp/ringbuf"   # reachable by nobody
trap '"$R" rm -f "$ring" >/dev/null 2>&1; rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails+1)); }
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$tmp/ringbuf" "$@"; }

"$R" create "$ring" --size 64K --mode 0644 || { echo "FAIL: create"; exit 1; }
seq 1 5 | sed 's/^/rec /' | "$R" write "$ring" || fail "write"
sum=$(md5sum </dev/shm/$ring)

out=$(as_nobody stat "$ring" 2>&1); rc=$?
[ $rc = 0 ] || fail "stat as nobody exited $rc: $out"
case $out in *"available:     80 bytes"*) ;; *) fail "stat as nobody: $out";; esac
case $out in *"mode 0644"*) ;; *) fail "stat as nobody shows no mode 0644: $out";; esac
case $out in *"producers:     -"*) ;; *) fail "stat lists a producer (itself?): $out";; esac
out=$(as_nobody stat --json "$ring" 2>&1) || fail "stat --json as nobody: $out"
out=$(as_nobody dump "$ring" 2>&1); rc=$?
[ $rc = 0 ] || fail "dump as nobody exited $rc: $out"
[ "$out" = "$(seq 1 5 | sed 's/^/rec /')" ] || fail "dump as nobody printed: $out"
out=$(as_nobody cat "$ring" 2>&1); rc=$?
[ $rc = 1 ] || fail "cat as nobody exited $rc, expected 1"
case $out in *"Permission denied"*) ;; *) fail "cat as nobody: $out";; esac
out=$(echo x | as_nobody write "$ring" 2>&1); rc=$?
[ $rc = 1 ] || fail "write as nobody exited $rc, expected 1"
[ "$(md5sum </dev/shm/$ring)" = "$sum" ] || fail "the ring changed under a read-only stat/dump"
# The records are all still there for the owner.
[ "$("$R" cat "$ring" | wc -l)" = 5 ] || fail "cat by the owner after inspection"

[ $fails = 0 ] && echo "tool_stat_dump_read_only: stat and dump work with read permission alone"
[ $fails = 0 ]
