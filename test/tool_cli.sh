#!/usr/bin/env bash
# The ringbuf tool end to end: every subcommand, its --help, exit codes
# (0 ok, 1 runtime failure, 2 usage) and messages on bad input: unknown
# ring, wrong size syntax, a file that is not a ring, a closed pipe.
# Needs $RINGBUF (the built tool). Exit 0 pass, 1 fail, 77 skip.
set -u
R=${RINGBUF:?set RINGBUF to the built ringbuf tool}
[ -x "$R" ] || { echo "skip: $R is not built"; exit 77; }
tmp=$(mktemp -d)
ring=rbtool.$$.a
ring2=rbtool.$$.b
cleanup() { "$R" rm -f "$ring" "$ring2" >/dev/null 2>&1; rm -rf "$tmp"; }
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails+1)); }

# expect CODE CMD...: run, keep stdout/stderr in $out/$err, check the code.
expect() {
	local want=$1; shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	out=$(cat "$tmp/out"); err=$(cat "$tmp/err")
	[ "$rc" = "$want" ] || fail "'$*' exited $rc, expected $want; stderr: $err"
}
has() { # where text
	case $1 in *"$2"*) ;; *) fail "expected '$2' in: $1";; esac
}

# ---- global ----
expect 0 "$R" --version;  has "$out" "ringbuf "
expect 0 "$R" --help;     has "$out" "create"
expect 2 "$R";            has "$err" "Usage"
expect 2 "$R" frobnicate; has "$err" "unknown command 'frobnicate'"
for c in create stat cat write dump trace rm bench; do
	expect 0 "$R" $c --help; has "$out" "Usage: ringbuf $c"
done

# ---- named rings available? ----
if ! "$R" create "$ring" --size 64K 2>"$tmp/err"; then
	if grep -q "not available" "$tmp/err"; then
		echo "skip: named rings are not available in this build yet"; exit 77
	fi
	fail "create: $(cat "$tmp/err")"; exit 1
fi

# ---- create ----
expect 1 "$R" create "$ring" --size 64K;  has "$err" "$ring"; has "$err" "exists"
expect 2 "$R" create "$ring2" --size 12Q; has "$err" "invalid size '12Q'"
expect 2 "$R" create "$ring2" --size 3000; has "$err" "power of two"
expect 2 "$R" create "$ring2" --mode 999; has "$err" "invalid mode"
# permission bits only: setuid/setgid/sticky are refused, nothing created
for m in 4777 2770 1777 10600; do
	expect 2 "$R" create "$ring2" --mode $m; has "$err" "invalid mode"
	[ ! -e "/dev/shm/$ring2" ] || fail "--mode $m created /dev/shm/$ring2"
done
expect 2 "$R" create;                      has "$err" "NAME"
expect 2 "$R" create "$ring2" --bogus
expect 0 "$R" create "$ring2" --size 1M --mode 0640
expect 0 "$R" stat "$ring2"; has "$out" "1M (1048576 bytes)"; has "$out" "0640"
expect 0 "$R" rm "$ring2"

# ---- write / stat / cat ----
printf 'hello\nworld\n\tx\\y\n' | "$R" write "$ring" || fail "write lines"
expect 0 "$R" stat "$ring"
has "$out" "size:          64K"; has "$out" "available:     48 bytes"
expect 0 "$R" stat --json "$ring"; has "$out" '"available":48'
expect 0 "$R" cat -n 1 --format json "$ring"; [ "$out" = '{"n":0,"len":5,"text":"hello"}' ] || fail "json: $out"
expect 0 "$R" cat "$ring"; [ "$out" = "$(printf 'world\n\tx\\\\y')" ] || fail "text: $out"
expect 0 "$R" cat "$ring"; [ -z "$out" ] || fail "empty ring printed: $out"
expect 0 "$R" stat "$ring"; has "$out" "delivered:     3 records, 14 bytes"
printf 'a\001b\n' | "$R" write "$ring"
expect 0 "$R" cat --format hex "$ring"; has "$out" "61 01 62"; has "$out" "|a.b|"
expect 2 "$R" cat --format xml "$ring"; has "$err" "invalid format 'xml'"

# binary round trip through two rings
"$R" create "$ring2" --size 64K || fail "create 2"
head -c 3000 /dev/urandom >"$tmp/blob"
{ printf '\xb8\x0b\x00\x00'; cat "$tmp/blob"; printf '\x02\x00\x00\x00hi'; } | "$R" write --binary "$ring" \
	|| fail "write --binary"
"$R" cat --format binary "$ring" | "$R" write --binary "$ring2" || fail "binary pipe"
"$R" cat --format binary -n 1 "$ring2" | tail -c +5 | cmp -s - "$tmp/blob" || fail "binary payload differs"
expect 0 "$R" cat "$ring2"; [ "$out" = hi ] || fail "second binary record: $out"
printf '\x10\x00' | "$R" write --binary "$ring" 2>"$tmp/err"; [ $? = 1 ] || fail "truncated prefix accepted"
has "$(cat "$tmp/err")" "truncated"

# full ring: exit 1 with a message; --wait needs a consumer
yes 0123456789012345678901234567890123456789012345678901234 | head -n 2000 >"$tmp/lines"
expect 1 "$R" write "$ring" <"$tmp/lines"; has "$err" "ring is full"
expect 0 "$R" cat "$ring" -n 10
# record larger than the ring
head -c 70000 /dev/zero | tr '\0' a >"$tmp/big"; echo >>"$tmp/big"
expect 0 "$R" cat "$ring" >/dev/null
expect 1 "$R" write "$ring" <"$tmp/big"; has "$err" "larger than the ring"; case $err in *"Argument list"*) fail "E2BIG as errno text: $err";; esac

# ---- closed pipe: cat stops cleanly, exit 0, no message ----
expect 0 "$R" cat "$ring"
seq 1 500 | "$R" write "$ring" || fail "write 500"
"$R" cat "$ring" 2>"$tmp/err" | head -n 1 >"$tmp/out"
rcs=("${PIPESTATUS[@]}")
[ "${rcs[0]}" = 0 ] || fail "cat into a closed pipe exited ${rcs[0]}"
[ "$(cat "$tmp/out")" = 1 ] || fail "head got $(cat "$tmp/out")"
[ -s "$tmp/err" ] && fail "cat into a closed pipe printed: $(cat "$tmp/err")"
# stdout is /dev/full: a real write error, exit 1
seq 1 5 | "$R" write "$ring"
expect 0 "$R" cat "$ring" # drain first
seq 1 5 | "$R" write "$ring"
"$R" cat "$ring" >/dev/full 2>"$tmp/err"; rc=$?
[ $rc = 1 ] || fail "cat >/dev/full exited $rc"; has "$(cat "$tmp/err")" "No space left"

# ---- follow: a consumer waits, a producer writes, SIGTERM ends it ----
"$R" cat --follow "$ring" >"$tmp/follow" 2>&1 &
pid=$!
sleep 0.3
echo followed | "$R" write "$ring"
for i in $(seq 50); do grep -q followed "$tmp/follow" && break; sleep 0.1; done
kill -TERM $pid; wait $pid; rc=$?
[ $rc = 0 ] || fail "cat --follow after SIGTERM exited $rc"
grep -q followed "$tmp/follow" || fail "cat --follow did not print: $(cat "$tmp/follow")"

# ---- unknown ring, a file that is not a ring ----
expect 1 "$R" stat rbtool.$$.none;  has "$err" "rbtool.$$.none"; has "$err" "No such file"
expect 1 "$R" cat rbtool.$$.none;   has "$err" "No such file"
echo 'not a ring' >"$tmp/notring"
expect 1 "$R" stat "$tmp/notring";  has "$err" "not a ring"
expect 1 "$R" cat "$tmp/notring";   has "$err" "not a ring"
expect 1 "$R" write "$tmp/notring" </dev/null; has "$err" "not a ring"

# ---- dump, trace: run or say "not available" ----
"$R" dump "$ring" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -le 2 ] || fail "dump exited $rc"
"$R" trace --help >/dev/null || fail "trace --help"

# ---- rm ----
expect 0 "$R" rm "$ring" "$ring2"
expect 1 "$R" rm "$ring"; has "$err" "No such file"
expect 0 "$R" rm -f "$ring"
# only rings: a text file is refused and left as it is
expect 1 "$R" rm "$tmp/notring"; has "$err" "not a ring"; has "$err" "not removed"
[ -f "$tmp/notring" ] || fail "rm removed a file that is not a ring"
expect 2 "$R" rm

[ $fails = 0 ] && echo "tool_cli: all checks passed"
[ $fails = 0 ]
