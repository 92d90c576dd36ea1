#!/usr/bin/env bash
# Figures for `ringbuf ship`: records of 64 B and 1 KiB, rounds interleaved
# in one run, each row draining the same pre-filled ring:
#   ship nats R1      ringbuf ship -> local JetStream, 1 node, R1 stream
#   ship nats R3      ringbuf ship -> local 3-node cluster, R3 stream
#   ship kafka        ringbuf ship -> librdkafka mock cluster (3 brokers)
#   no-hold nats R1   the same publish loop without holding (records freed
#                     as sent; a crash loses what is in flight)
#   cat|kcat kafka    ringbuf cat | kcat -P (what a user does today)
# Prints records/s per row (median of the rounds; each row timed from the
# command's start to its exit, connection setup included, the same for
# every row) and each ship row's ratio to its baseline. Usage: bench/ship.sh [BUILD_DIR] (default build);
# ROUNDS=3 N64=200000 N1K=20000 to change the work.
set -u
cd "$(dirname "$0")/.."
B=${1:-build}
R=$B/ringbuf
[ -x "$R" ] || { echo "build the tool first: make tool" >&2; exit 1; }
for c in nats-server kcat python3; do command -v $c >/dev/null || { echo "needs $c" >&2; exit 1; }; done
tmp=$(mktemp -d)
. test/lib/brokers.bash
ring=rbbench.$$
ROUNDS=${ROUNDS:-3} N64=${N64:-200000} N1K=${N1K:-20000}
cleanup() { exec 7>&- 2>/dev/null; brokers_cleanup; "$R" rm -f "$ring" >/dev/null 2>&1; rm -rf "$tmp"; }
trap cleanup EXIT

# Brokers: one JetStream node, a 3-node cluster, the mock Kafka cluster.
mkdir "$tmp/one" "$tmp/three"
tmp_base=$tmp
tmp=$tmp_base/one; start_nats_cluster 1; R1=$nats_urls
tmp=$tmp_base/three; start_nats_cluster 3; R3=$nats_urls
tmp=$tmp_base
mkfifo "$tmp/ctl"
"$B/helpers/kafka_mock" 3 rbbench 1 <"$tmp/ctl" >"$tmp/mock.out" 2>/dev/null &
broker_pids+=($!)
exec 7>"$tmp/ctl"
wait_for 10 test -s "$tmp/mock.out" || { echo "no mock cluster" >&2; exit 1; }
K=$(head -1 "$tmp/mock.out")
"$R" create "$ring" --size 32M >/dev/null
wait_for 30 "$R" ship "$ring" --to "nats://$R1/b.one" --stream ONE || { echo "no R1 stream" >&2; exit 1; }
wait_for 30 "$R" ship "$ring" --to "nats://$R3/b.three" --stream THREE || { echo "no R3 stream" >&2; exit 1; }

fill() { # size count
	[ -f "$tmp/in.$1" ] || python3 -c "import sys; sys.stdout.write(('%0${1}d\n' % 0) * $2)" >"$tmp/in.$1"
	"$R" write "$ring" <"$tmp/in.$1" || exit 1
}
now_ns() { date +%s%N; }

declare -A res
rows=("ship nats R1" "ship nats R3" "ship kafka" "no-hold nats R1" "cat|kcat kafka")
for size in 64 1024; do
	n=$N64; [ $size = 1024 ] && n=$N1K
	for ((r = 1; r <= ROUNDS; r++)); do
		for row in "${rows[@]}"; do
			fill $size $n
			t0=$(now_ns)
			case $row in
			"ship nats R1") "$R" ship "$ring" --to "nats://$R1/b.one" --stream ONE;;
			"ship nats R3") "$R" ship "$ring" --to "nats://$R3/b.three" --stream THREE;;
			"ship kafka") "$R" ship "$ring" --to "kafka://$K/rbbench";;
			"no-hold nats R1") "$R" ship "$ring" --no-hold --to "nats://$R1/b.one" --stream ONE;;
			"cat|kcat kafka") "$R" cat "$ring" | kcat -P -b "$K" -t rbbench -X linger.ms=5 2>/dev/null;;
			esac || { echo "$row failed" >&2; exit 1; }
			v=$(( n * 1000000000 / ($(now_ns) - t0) ))
			[ "$("$R" stat --json "$ring" | grep -o '"available":[0-9]*')" = '"available":0' ] ||
				{ echo "$row left records in the ring" >&2; exit 1; }
			res["$size/$row"]+="$v "
			printf '  %5s B round %d %-16s %9s records/s\n' $size $r "$row" "$v" >&2
		done
	done
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
printf '\n%-18s %14s %14s\n' "row" "64 B rec/s" "1 KiB rec/s"
for row in "${rows[@]}"; do
	printf '%-18s %14s %14s\n' "$row" "$(echo ${res["64/$row"]} | median)" "$(echo ${res["1024/$row"]} | median)"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo
for size in 64 1024; do
	k=$(echo ${res["$size/ship kafka"]} | median); p=$(echo ${res["$size/cat|kcat kafka"]} | median)
	n1=$(echo ${res["$size/ship nats R1"]} | median); nh=$(echo ${res["$size/no-hold nats R1"]} | median)
	echo "$size B: ship kafka / cat|kcat = $(ratio $k $p); ship nats R1 / no-hold = $(ratio $n1 $nh)"
done
