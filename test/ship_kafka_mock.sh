#!/usr/bin/env bash
# ringbuf ship to a Kafka cluster: librdkafka's mock cluster (the real
# Kafka protocol on loopback, test/helpers/kafka_mock), 3 brokers. While a
# producer writes, each broker in turn is taken down and brought back and
# the shipper is SIGKILLed and restarted every round; consuming the topic
# back (kcat) finds every record at least once, in ring order apart from
# resends, and no more duplicates than the kills' in-flight windows allow.
# Then backpressure: with every broker down a following shipper holds, the
# ring fills, a producer gets "ring is full" at once (counted as dropped),
# and once the brokers are back shipping resumes by itself. Without a broker
# and without --follow, ship gives up after three acknowledgement timeouts
# with exit 1, the records kept.
# Skips (77) without librdkafka or kcat, and in sanitizer builds.
set -u
R=${RINGBUF:?set RINGBUF to the built ringbuf tool}
[ -x "$R" ] || { echo "skip: $R is not built"; exit 77; }
command -v kcat >/dev/null || { echo "skip: kcat is not installed"; exit 77; }
tmp=$(mktemp -d)
. "$(dirname "$0")/lib/brokers.bash"
need_sink kafka
MOCK=$(dirname "$R")/helpers/kafka_mock
ring=rbshipk.$$
N=${SHIP_RECORDS:-30000}
WINDOW=512
ship_pid= prod_pid=
cleanup() {
	[ -n "$ship_pid" ] && kill -9 "$ship_pid" 2>/dev/null
	[ -n "$prod_pid" ] && kill -9 "$prod_pid" 2>/dev/null
	exec 7>&- 2>/dev/null
	brokers_cleanup
	"$R" rm -f "$ring" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap "exit 1" TERM INT   # run.sh's timeout: still clean up
die() { echo "FAIL: $*"; tail -5 "$tmp/ship.log" 2>/dev/null; exit 1; }

mkfifo "$tmp/ctl"
"$MOCK" 3 rbt,rbo,rbn 1 <"$tmp/ctl" >"$tmp/mock.out" 2>"$tmp/mock.err" &
broker_pids+=($!)
exec 7>"$tmp/ctl"
wait_for 10 test -s "$tmp/mock.out" || die "mock cluster did not start: $(cat "$tmp/mock.err")"
BOOT=$(head -1 "$tmp/mock.out")
URL="kafka://$BOOT/rbt"
broker() { echo "$1 $2" >&7; }

"$R" create "$ring" --size 256K || die "create"
paced_producer "$ring" "$N" 3 &
prod_pid=$!
kills=0
for round in 1 2 3 4 5; do
	"$R" ship "$ring" --to "$URL" --follow --window $WINDOW 2>>"$tmp/ship.log" &
	ship_pid=$!
	sleep "0.$(( RANDOM % 5 + 3 ))"
	case $round in
	2) broker down 1;;
	3) broker up 1; broker down 2;;
	4) broker up 2; broker down 3;;
	5) broker up 3;;
	esac
	sleep "0.$(( RANDOM % 5 + 1 ))"
	kill -9 "$ship_pid" && kills=$((kills+1))
	wait "$ship_pid" 2>/dev/null
	ship_pid=
done
# A producer still waiting for room needs a shipper to finish.
while kill -0 "$prod_pid" 2>/dev/null; do
	timeout 60 "$R" ship "$ring" --to "$URL" --window $WINDOW 2>>"$tmp/ship.log" || die "ship failed"
	sleep 0.1
done
wait "$prod_pid" || die "producer failed"
prod_pid=
timeout 60 "$R" ship "$ring" --to "$URL" --json >"$tmp/last.json" 2>>"$tmp/ship.log" || die "final ship failed"
grep -q '"complete":true' "$tmp/last.json" || die "final ship incomplete: $(cat "$tmp/last.json")"

kcat -C -b "$BOOT" -t rbt -o beginning -e -q -f '%s\n' >"$tmp/got" 2>"$tmp/kcat.err" || die "kcat: $(cat "$tmp/kcat.err")"
# Every record at least once; a record is either the next new one or a
# resend of one already seen (a crash window); nothing skipped.
awk -v n="$N" -v maxdup=$((kills * WINDOW)) '
	{ r = substr($2, 1) + 0 }
	r > max + 1 { print "gap: record " r " after " max; bad = 1; exit }
	r <= max { dup++ }
	r > max { max = r }
	END {
		if (bad) exit 1
		if (max != n) { print "last record " max ", expected " n; exit 1 }
		if (dup > maxdup) { print dup " duplicates, more than " maxdup; exit 1 }
		print n " records at least once, " dup+0 " duplicates (bound " maxdup ")"
	}' "$tmp/got" || die "topic check failed"

# ---- backpressure: every broker down ----
"$R" ship "$ring" --to "$URL" --follow --json --window $WINDOW >"$tmp/bp.json" 2>>"$tmp/ship.log" &
ship_pid=$!
broker down 1; broker down 2; broker down 3
sleep 0.5
start=$(date +%s%N)
seq -f 'late %06g' 1 100000 | "$R" write "$ring" 2>"$tmp/write.err"
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ $rc = 1 ] && grep -q "ring is full" "$tmp/write.err" || die "producer did not get ENOSPC (rc $rc): $(cat "$tmp/write.err")"
[ $ms -lt 5000 ] || die "the producer took $ms ms: it was blocked"
written=$(sed -n 's/.*full after \([0-9]*\) records.*/\1/p' "$tmp/write.err")
"$R" stat --json "$ring" | grep -q '"dropped_records":[1-9]' || die "ENOSPC not counted as dropped"
broker up 1; broker up 2; broker up 3
wait_for 30 sh -c "\"$R\" stat --json \"$ring\" | grep -q '\"available\":0,'" || die "shipping did not resume"
kill -TERM "$ship_pid"
wait "$ship_pid" || die "shipper did not stop cleanly on SIGTERM"
ship_pid=
grep -q "\"acknowledged\":$written," "$tmp/bp.json" || die "expected $written acknowledged: $(cat "$tmp/bp.json")"
grep -q '"dropped":[1-9]' "$tmp/bp.json" || die "--json does not show the drops: $(cat "$tmp/bp.json")"
echo "backpressure: $written records held while the cluster was down, producer refused at once, all shipped after"

# ---- records not held are copied: an overwrite-mode ring (which cannot
# hold) and --no-hold; the topic has exactly what was written ----
oring=rbshipo.$$
"$R" create "$oring" --size 64K --overwrite || die "create overwrite ring"
seq -f 'over %05g' 1 1000 | "$R" write "$oring" || die "write overwrite ring"
timeout 60 "$R" ship "$oring" --to "kafka://$BOOT/rbo" 2>"$tmp/ow.err" || { "$R" rm -f "$oring"; die "ship overwrite ring: $(cat "$tmp/ow.err")"; }
"$R" rm -f "$oring"
grep -q "without holding" "$tmp/ow.err" || die "no warning for the overwrite ring"
seq -f 'norm %05g' 1 1000 | "$R" write "$ring" || die "write"
timeout 60 "$R" ship "$ring" --no-hold --to "kafka://$BOOT/rbn" 2>>"$tmp/ship.log" || die "ship --no-hold"
for t in rbo:over rbn:norm; do
	kcat -C -b "$BOOT" -t "${t%%:*}" -o beginning -e -q -f '%s\n' >"$tmp/got.$t" 2>/dev/null || die "kcat ${t%%:*}"
	seq -f "${t#*:} %05g" 1 1000 | cmp -s - "$tmp/got.$t" || die "topic ${t%%:*} differs from what was written: $(head -3 "$tmp/got.$t" | od -c | head -3)"
done
echo "overwrite-mode ring and --no-hold: payloads copied, topics exact"

# ---- no broker and no --follow: ship gives up after three acknowledgement
# timeouts without an answer, exit 1, the records stay in the ring ----
"$R" ship "$ring" --to "kafka://$BOOT/rbn" >/dev/null 2>>"$tmp/ship.log" || die "drain before the no-broker case"
seq -f 'kept %03g' 1 3 | "$R" write "$ring" || die "write"
t0=$(date +%s)
timeout 60 "$R" ship "$ring" --to "kafka://127.0.0.1:1/rbn" --ack-timeout 1000 >/dev/null 2>"$tmp/nobroker.err"; rc=$?
dt=$(( $(date +%s) - t0 ))
[ $rc = 1 ] || die "ship with no broker exited $rc after ${dt}s (expected 1): $(grep -v '^%' "$tmp/nobroker.err" | tail -2)"
grep -q '^ringbuf ship: no acknowledgement from the broker for [0-9]* s: 3 records not acknowledged (they stay in the ring)$' "$tmp/nobroker.err" ||
	die "no-broker message: $(grep -v '^%' "$tmp/nobroker.err" | tail -2)"
[ "$("$R" cat -n 3 "$ring" | tr '\n' ,)" = "kept 001,kept 002,kept 003," ] || die "the records did not stay in the ring"
echo "no broker without --follow: gave up after ${dt}s, exit 1, records kept"

