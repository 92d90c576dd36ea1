#!/usr/bin/env bash
# `ringbuf top` shows rates as they happen: with a producer writing about
# 40 records of 8 bytes per 0.1 s and a consumer reading them, the refreshes
# report bytes/s in and records/s out in the right range, and the fill of a
# ring left full; it stops after --count refreshes; a missing ring is an
# error. Needs $RINGBUF. Exit 0/1/77.
set -u
R=${RINGBUF:?set RINGBUF to the built ringbuf tool}
[ -x "$R" ] || { echo "skip: $R is not built"; exit 77; }
tmp=$(mktemp -d)
a=rbtop.$$.a b=rbtop.$$.b
pids=()
trap 'for p in "${pids[@]}"; do kill $p 2>/dev/null; done; wait 2>/dev/null; "$R" rm -f "$a" "$b" >/dev/null 2>&1; rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails+1)); }
"$R" create -s 64K "$a" && "$R" create -s 4K "$b" || { echo "FAIL: create"; exit 1; }
yes 0123456789 | head -n 500 | "$R" write "$b" 2>/dev/null     # b: full
"$R" cat --follow "$a" >/dev/null & pids+=($!)
( for i in $(seq 25); do seq 1 40 | sed 's/^/rec/; s/$/.../' | cut -c1-7; sleep 0.1; done | "$R" write --wait "$a" ) & pids+=($!)
sleep 0.5
"$R" top --json --interval 0.5 --count 2 "$a" "$b" >"$tmp/out" || fail "top exited $?"
cat "$tmp/out"
[ "$(wc -l <"$tmp/out")" = 2 ] || fail "--count 2 gave $(wc -l <"$tmp/out") refreshes"
python3 - "$tmp/out" "$a" "$b" <<'PY' || fail "rates"
import json, sys
last = json.loads(open(sys.argv[1]).read().splitlines()[-1])
r = {x["name"]: x for x in last["rings"]}
a, b = r[sys.argv[2]], r[sys.argv[3]]
# ~400 records/s of 7 bytes + 8-byte header, rounded to 16: ~6400 B/s in.
assert 1000 < a["in_bytes_per_s"] < 20000, a
assert 100 < a["out_records_per_s"] < 1000, a
assert b["fill_pct"] > 90 and b["in_bytes_per_s"] == 0, b
PY
"$R" top --count 1 --interval 0.1 "$a" | grep -q "^$a " || fail "text output"
"$R" top --count 1 rbtop.missing.$$ 2>"$tmp/err"; rc=$?
[ $rc = 1 ] && grep -q "^ringbuf top: rbtop.missing.$$: No such file or directory$" "$tmp/err" || fail "missing ring: $rc $(cat "$tmp/err")"
[ $fails = 0 ] && echo "ok: top" || exit 1
