#!/usr/bin/env bash
# `ringbuf cat` in pipes and `write --wait` under a signal:
# - `cat --follow NAME | head -n 1` ends once head has exited, even when no
#   further record ever comes (the closed pipe is noticed, not the next
#   write), with status 0;
# - `cat --count N` consumes exactly N records, where `| head -n N` would
#   consume them all (both shown);
# - `write --wait` into a full ring, interrupted by SIGTERM, exits 1 and says
#   it was interrupted while waiting (not "use --wait").
# Needs $RINGBUF. Exit 0/1/77.
set -u
R=${RINGBUF:?set RINGBUF to the built ringbuf tool}
[ -x "$R" ] || { echo "skip: $R is not built"; exit 77; }
tmp=$(mktemp -d)
ring=rbpipe.$$
trap '"$R" rm -f "$ring" >/dev/null 2>&1; rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails+1)); }
"$R" create -s 4K "$ring" || { echo "FAIL: create"; exit 1; }

# --count consumes exactly N; head consumes everything.
seq 1 10 | "$R" write "$ring"
[ "$("$R" cat --count 3 "$ring" | tr '\n' ' ')" = "1 2 3 " ] || fail "cat --count 3"
"$R" cat "$ring" | head -n 2 >/dev/null
[ -z "$("$R" cat "$ring")" ] || fail "head -n 2 left records (then the man page's advice is wrong)"

# cat --follow | head -n 1: one record, then silence; cat must still end.
echo first | "$R" write "$ring"
start=$(date +%s%N)
( "$R" cat --follow "$ring"; echo $? >"$tmp/rc" ) | head -n 1 >"$tmp/out" &
pipe=$!
for _ in $(seq 100); do [ -s "$tmp/rc" ] && break; sleep 0.05; done
[ -s "$tmp/rc" ] || { fail "cat --follow still runs 5 s after head exited"; pkill -f "cat --follow $ring"; }
wait $pipe
[ "$(cat "$tmp/out")" = first ] || fail "head got: $(cat "$tmp/out")"
[ "$(cat "$tmp/rc" 2>/dev/null)" = 0 ] || fail "cat --follow exited $(cat "$tmp/rc" 2>/dev/null) when its reader left"
echo "cat --follow ended $(( ($(date +%s%N) - start) / 1000000 )) ms after it started"

# write --wait interrupted.
yes 0123456789012345678901234567890123456789 | head -n 100 | "$R" write "$ring" 2>/dev/null  # fills it
yes more | "$R" write --wait "$ring" 2>"$tmp/err" & w=$!
sleep 0.3
kill -TERM $w; wait $w; rc=$?
[ $rc = 1 ] || fail "write --wait after SIGTERM exited $rc"
grep -q "^ringbuf write: $ring: interrupted while waiting for room; [0-9]* records written$" "$tmp/err" ||
	fail "write --wait said: $(cat "$tmp/err")"
grep -q "use --wait" "$tmp/err" && fail "write --wait told to use --wait"
[ $fails = 0 ] && echo "ok: pipes and signals" || exit 1
