#!/usr/bin/env bash
# `ringbuf ls` and `stat` show who is attached and who owns a ring: a ring
# created by another user (setpriv) is listed with its owner and mode, the
# producer and consumer by pid(command), each ring's .wake FIFO folded into
# its line and a FIFO left without its ring shown as stale; --json is one
# parseable array. A name written "/x" (as shm_open users do) is the shm
# object x, not a file at the root. Needs $RINGBUF. Exit 0/1/77.
set -u
R=$(realpath "${RINGBUF:?set RINGBUF to the built ringbuf tool}")
[ -x "$R" ] || { echo "skip: $R is not built"; exit 77; }
tmp=$(mktemp -d)
a=rbls.$$.a b=rbls.$$.b
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	"$R" rm -f "$a" "$b" >/dev/null 2>&1; rm -f "/dev/shm/rbls.$$.stale.wake" "/rbls.$$.a"; rm -rf "$tmp"
}
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails+1)); }

# Ring a: ours, with a producer (a writer waiting on its stdin) and a
# consumer (cat --follow), both named "ringbuf" in /proc.
"$R" create -s 16K -m 0640 "/$a" || { echo "FAIL: create /$a"; exit 1; }
[ -e "/dev/shm/$a" ] && [ ! -e "/$a" ] || fail "'/$a' did not name the shm object $a"
mkfifo "$tmp/in"
"$R" write "$a" <"$tmp/in" & pids+=($!); wpid=$!
exec 3>"$tmp/in"
echo hello >&3
"$R" cat --follow "$a" >"$tmp/cat.out" 2>"$tmp/cat.err" & pids+=($!); cpid=$!
# Ring b: another user's, made by a process running as nobody.
if command -v setpriv >/dev/null && setpriv --reuid=nobody --regid=nogroup --clear-groups true 2>/dev/null; then
	other=1
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$R" create -s 8K -m 0644 "$b" || fail "create as nobody"
else
	other=0; "$R" create -s 8K -m 0644 "$b"
fi
# A wake FIFO whose ring is gone.
mkfifo -m 600 "/dev/shm/rbls.$$.stale.wake"
for i in $(seq 50); do grep -q hello "$tmp/cat.out" 2>/dev/null && break; sleep 0.1; done

out=$("$R" ls)
echo "$out"
line=$(echo "$out" | grep "^$a ")
[ -n "$line" ] || fail "ls does not list $a"
case $line in *"$wpid(ringbuf)"*) ;; *) fail "producer $wpid(ringbuf) missing: $line";; esac
case $line in *"$cpid(ringbuf)"*) ;; *) fail "consumer $cpid(ringbuf) missing: $line";; esac
case $line in *" 0640 "*) ;; *) fail "mode 0640 missing: $line";; esac
case $line in *" 16K "*) ;; *) fail "size 16K missing: $line";; esac
echo "$out" | grep -q "^$a.wake" && fail "the wake FIFO is listed on its own"
[ $other = 1 ] && { echo "$out" | grep "^$b " | grep -q " nobody " || fail "$b not listed as nobody's: $(echo "$out" | grep "^$b")"; }
echo "$out" | grep "^rbls.$$.stale " | grep -q "stale wake FIFO" || fail "stale wake FIFO not shown"

# As the other user: our ring is listed too (0640 other: unreadable, so
# without fill, but with owner and mode).
if [ $other = 1 ]; then
	chmod 0600 "/dev/shm/$a"
	o2=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$R" ls) || fail "ls as nobody failed"
	echo "$o2" | grep "^$a " | grep -q "root" || fail "nobody's ls does not show root's ring: $o2"
	chmod 0640 "/dev/shm/$a"
fi

# --json parses and says the same.
"$R" ls --json | python3 -c '
import json, sys
rings = {r["name"]: r for r in json.load(sys.stdin)}
a = rings["'$a'"]
assert a["size"] == 16384 and a["mode"] == "0640" and a["wake_fifo"], a
assert [p["comm"] for p in a["producers"]] == ["ringbuf"] and a["producers"][0]["pid"] == '$wpid', a
assert a["consumer"] == [{"pid": '$cpid', "comm": "ringbuf"}], a
assert rings["rbls.'$$'.stale"]["stale_wake_fifo"]
if '$other': assert rings["'$b'"]["owner"] == "nobody", rings["'$b'"]
' || fail "ls --json"

# stat: names, owner, mode.
s=$("$R" stat "$a")
echo "$s" | grep -q "^owner: *root, mode 0640" || fail "stat owner/mode: $s"
echo "$s" | grep -q "^consumer: *$cpid(ringbuf)" || fail "stat consumer: $s"
echo "$s" | grep -q "^producers: *$wpid(ringbuf)" || fail "stat producers: $s"
"$R" stat --json "/$a" | python3 -c 'import json,sys; o=json.load(sys.stdin); assert o["consumer"][0]["comm"]=="ringbuf" and o["mode"]=="0640", o' ||
	fail "stat --json"

# A ring removed under cat --follow: cat notices, says so, exits 1.
"$R" rm "$a"
for i in $(seq 50); do kill -0 $cpid 2>/dev/null || break; sleep 0.1; done
if kill -0 $cpid 2>/dev/null; then fail "cat --follow still waits on a removed ring"; else
	wait $cpid; rc=$?
	[ $rc = 1 ] || fail "cat --follow on a removed ring exited $rc"
	grep -q "^ringbuf cat: $a: the ring was removed" "$tmp/cat.err" || fail "cat said: $(cat "$tmp/cat.err")"
fi
exec 3>&-
[ $fails = 0 ] && echo "ok: ls, stat, removal noticed" || exit 1
