#!/usr/bin/env bash
# `ringbuf dump` end to end: the newest records of an overwrite ring that has
# wrapped many times, oldest first, without consuming them; the limits; the
# formats; exit codes 1 (no such ring) and 2 (bad usage), errors naming the
# ring. Needs $RINGBUF (the built tool). Exit 0 pass, 1 fail, 77 skip.
set -u
R=${RINGBUF:?set RINGBUF to the built ringbuf tool}
[ -x "$R" ] || { echo "skip: $R is not built"; exit 77; }
"$R" dump --help 2>/dev/null | grep -q -- --max-bytes || { echo "skip: dump not built in"; exit 77; }
ring=rbdump.$$
err=$(mktemp)
trap '"$R" rm -f "$ring" >/dev/null 2>&1; rm -f "$err"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails+1)); }

"$R" create --overwrite -s 4K "$ring" || { echo "FAIL: create"; exit 1; }
seq 1 2000 | sed 's/^/event /' | "$R" write "$ring" || fail "write"

out=$("$R" dump -n 3 "$ring"); rc=$?
[ $rc = 0 ] || fail "dump -n 3 exited $rc"
[ "$out" = "$(printf 'event 1998\nevent 1999\nevent 2000')" ] || fail "dump -n 3 printed: $out"
# Not consumed: the same again, and the whole dump is a contiguous tail.
[ "$("$R" dump -n 3 "$ring")" = "$out" ] || fail "second dump differs"
all=$("$R" dump "$ring")
n=$(echo "$all" | wc -l)
[ "$n" -gt 100 ] || fail "only $n records in a full 4K ring"
[ "$all" = "$(seq $((2001 - n)) 2000 | sed 's/^/event /')" ] || fail "dump is not the newest records in order"
# --max-bytes: "event 2000" is 10 bytes, "event 1999" 10: 25 bytes keep two.
[ "$("$R" dump -b 25 "$ring" | wc -l)" = 2 ] || fail "--max-bytes 25"
"$R" dump -o json -n 1 "$ring" | grep -q '"text":"event 2000"' || fail "json format"
"$R" dump -o hex -n 1 "$ring" | grep -q '|event 2000|' || fail "hex format"

"$R" dump "nosuch.$$" >/dev/null 2>"$err"; rc=$?
[ $rc = 1 ] || fail "missing ring exited $rc"
grep -q "nosuch.$$" "$err" || fail "error does not name the ring: $(cat "$err")"
"$R" dump -n 0 "$ring" >/dev/null 2>&1; [ $? = 2 ] || fail "-n 0 is not a usage error"
"$R" dump -f yaml "$ring" >/dev/null 2>&1; [ $? = 2 ] || fail "bad format is not a usage error"
"$R" dump >/dev/null 2>&1; [ $? = 2 ] || fail "no NAME is not a usage error"

[ $fails = 0 ] && echo "ok: ringbuf dump" || exit 1
