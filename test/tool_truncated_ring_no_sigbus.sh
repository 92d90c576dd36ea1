#!/usr/bin/env bash
# A ring file truncated while the tool has it mapped: the tool never dies
# of SIGBUS. `cat --follow` and `write` holding the ring when it is cut to
# zero end with exit status 1 and a message naming the truncation; `stat`
# and `dump` run again and again against a file another process keeps
# truncating and rewriting exit 0 or 1, never by a signal.
# Needs $RINGBUF (the built tool). Exit 0 pass, 1 fail, 77 skip.
set -u
R=${RINGBUF:?set RINGBUF to the built ringbuf tool}
[ -x "$R" ] || { echo "skip: $R is not built"; exit 77; }
dir=$(mktemp -d /dev/shm/rbtrunc.XXXXXX)
ring=$dir/ring
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$dir"; }
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails+1)); }
fresh_ring() {
	rm -f "$ring" "$ring.wake"
	"$R" create "$ring" --size 64K || { echo "FAIL: create"; exit 1; }
	seq 1 100 | "$R" write "$ring" || { echo "FAIL: write"; exit 1; }
}

# cat --follow sleeping on the ring when it is cut.
fresh_ring
"$R" cat --follow "$ring" >/dev/null 2>"$dir/cat.err" &
cat_pid=$!; pids+=($cat_pid)
sleep 0.5
truncate -s 0 "$ring"
for i in $(seq 100); do kill -0 $cat_pid 2>/dev/null || break; sleep 0.05; done
wait $cat_pid; rc=$?
echo "cat --follow after truncation: exit $rc: $(cat "$dir/cat.err")"
[ $rc = 1 ] || fail "cat --follow exited $rc (a signal if > 128), expected 1"
grep -q truncated "$dir/cat.err" || fail "cat --follow did not say the ring was truncated"

# write holding the ring open, its next record after the cut.
fresh_ring
mkfifo "$dir/in"
"$R" write "$ring" <"$dir/in" 2>"$dir/write.err" &
write_pid=$!; pids+=($write_pid)
exec 7>"$dir/in"
echo before >&7
sleep 0.3
truncate -s 0 "$ring"
echo after >&7
exec 7>&-
wait $write_pid; rc=$?
echo "write after truncation: exit $rc: $(cat "$dir/write.err")"
[ $rc = 1 ] || fail "write exited $rc (a signal if > 128), expected 1"
grep -q truncated "$dir/write.err" || fail "write did not say the ring was truncated"

# stat and dump against a file truncated and rewritten without pause.
fresh_ring
cp "$ring" "$dir/image"
( while :; do truncate -s 0 "$ring"; cat "$dir/image" >"$ring"; done ) 2>/dev/null &
pids+=($!)
n=$(awk "BEGIN { n = int(200 * ${TEST_SCALE:-1}); print n < 20 ? 20 : n }")
ok=0 refused=0 signalled=0
for i in $(seq "$n"); do
	if [ $((i % 2)) = 0 ]; then cmd=stat; else cmd=dump; fi
	"$R" $cmd "$ring" >/dev/null 2>"$dir/err"; rc=$?
	case $rc in
	0) ok=$((ok+1));;
	1) refused=$((refused+1));;
	*) signalled=$((signalled+1)); echo "$cmd exited $rc: $(cat "$dir/err")";;
	esac
done
echo "stat/dump vs truncate loop: $n runs: $ok exit 0, $refused exit 1, $signalled other"
[ $signalled = 0 ] || fail "$signalled of $n stat/dump runs died of a signal"

[ $fails = 0 ] && echo "tool_truncated_ring_no_sigbus: all checks passed"
[ $fails = 0 ]
