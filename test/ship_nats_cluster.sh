#!/usr/bin/env bash
# ringbuf ship to a real 3-node nats-server cluster (JetStream, an R3
# stream created by the shipper): while a producer writes, the shipper is
# SIGKILLed at random moments and restarted, and one cluster node is
# SIGKILLed mid-way and started again two rounds later (it rejoins and
# catches up from the others); in the end the stream holds every record exactly once,
# in ring order (read back with test/helpers/nats_read). Skips (77) without
# nats-server or libnats, and in sanitizer builds.
set -u
R=${RINGBUF:?set RINGBUF to the built ringbuf tool}
[ -x "$R" ] || { echo "skip: $R is not built"; exit 77; }
command -v nats-server >/dev/null || { echo "skip: nats-server is not installed"; exit 77; }
tmp=$(mktemp -d)
. "$(dirname "$0")/lib/brokers.bash"
need_sink nats
READ=$(dirname "$R")/helpers/nats_read
ring=rbship.$$
N=${SHIP_RECORDS:-30000}
ship_pid= prod_pid=
cleanup() {
	[ -n "$ship_pid" ] && kill -9 "$ship_pid" 2>/dev/null
	[ -n "$prod_pid" ] && kill -9 "$prod_pid" 2>/dev/null
	brokers_cleanup
	"$R" rm -f "$ring" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap "exit 1" TERM INT   # run.sh's timeout: still clean up
die() { echo "FAIL: $*"; for i in 0 1 2; do echo "--- node $i"; tail -5 "$tmp/nats$i/log"; done; exit 1; }

start_nats_cluster 3
URL="nats://$nats_urls/rb.events"
"$R" create "$ring" --size 256K || die "create"
# The stream can be created once the cluster has a JetStream leader.
wait_for 30 "$R" ship "$ring" --to "$URL" --stream RBTEST || die "cluster never accepted the stream"

paced_producer "$ring" "$N" 3 &
prod_pid=$!
kills=0
for round in 1 2 3 4 5 6; do
	"$R" ship "$ring" --to "$URL" --stream RBTEST --follow --ack-timeout 2000 2>>"$tmp/ship.log" &
	ship_pid=$!
	sleep "0.$(( RANDOM % 6 + 2 ))"
	[ $round = 3 ] && nats_kill_node 2     # a node dies while shipping
	[ $round = 5 ] && nats_start_node 2    # and comes back
	sleep "0.$(( RANDOM % 4 + 1 ))"
	kill -9 "$ship_pid" && kills=$((kills+1))
	wait "$ship_pid" 2>/dev/null
	ship_pid=
done
# A producer still waiting for room needs a shipper to finish.
while kill -0 "$prod_pid" 2>/dev/null; do
	"$R" ship "$ring" --to "$URL" --stream RBTEST --ack-timeout 2000 2>>"$tmp/ship.log" || die "ship failed"
	sleep 0.1
done
wait "$prod_pid" || die "producer failed"
prod_pid=
# The rest, then exit: everything acknowledged.
"$R" ship "$ring" --to "$URL" --stream RBTEST --json --ack-timeout 2000 >"$tmp/last.json" 2>>"$tmp/ship.log" ||
	die "final ship failed: $(cat "$tmp/ship.log")"
grep -q '"complete":true' "$tmp/last.json" || die "final ship incomplete: $(cat "$tmp/last.json")"
[ "$("$R" stat --json "$ring" | grep -o '"available":[0-9]*')" = '"available":0' ] || die "ring not empty"

"$READ" "nats://${nats_client[0]},${nats_client[1]}" RBTEST >"$tmp/stream" || die "reading the stream back"
cut -d' ' -f3- "$tmp/stream" >"$tmp/got"
seq -f 'record %06g' 1 "$N" >"$tmp/want"
if ! cmp -s "$tmp/got" "$tmp/want"; then
	echo "stream has $(wc -l <"$tmp/got") messages, $(sort -u "$tmp/got" | wc -l) distinct, expected $N"
	diff "$tmp/want" "$tmp/got" | head -10
	die "the stream is not every record exactly once in ring order"
fi
echo "$N records exactly once, in order, across $kills shipper kills and one node killed and restarted"
