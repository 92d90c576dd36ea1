#!/usr/bin/env bash
# ringbuf ship from a kernel BPF ring buffer: a BPF program writes sequence
# numbers into a map pinned on a private bpffs (own mount namespace); the
# shipper, SIGKILLed and restarted between batches, sends them to a
# nats-server with JetStream; the stream ends with every number exactly
# once, in order. Skips (77) where the kernel refuses BPF, without
# nats-server/libnats, and in sanitizer builds. Also: a --follow shipper
# started while the server is down ships once it is up.
set -u
R=${RINGBUF:?set RINGBUF to the built ringbuf tool}
[ -x "$R" ] || { echo "skip: $R is not built"; exit 77; }
command -v nats-server >/dev/null || { echo "skip: nats-server is not installed"; exit 77; }
if [ -z "${RB_PRIVATE_MOUNTS:-}" ]; then
	command -v unshare >/dev/null || { echo "skip: no unshare for a private bpffs"; exit 77; }
	RB_PRIVATE_MOUNTS=1 exec unshare -m --propagation private bash "$0" "$@"
	echo "skip: cannot make a mount namespace"; exit 77
fi
tmp=$(mktemp -d)
. "$(dirname "$0")/lib/brokers.bash"
need_sink nats
READ=$(dirname "$R")/helpers/nats_read
PIN=$(dirname "$R")/helpers/bpf_ringbuf_pin
mkdir "$tmp/bpffs"
mount -t bpf bpf "$tmp/bpffs" 2>/dev/null || { echo "skip: cannot mount a bpf filesystem"; exit 77; }
map=$tmp/bpffs/rbship
ship_pid=
cleanup() {
	[ -n "$ship_pid" ] && kill -9 "$ship_pid" 2>/dev/null
	exec 7>&- 2>/dev/null
	brokers_cleanup
	umount "$tmp/bpffs" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap "exit 1" TERM INT   # run.sh's timeout: still clean up
die() { echo "FAIL: $*"; tail -5 "$tmp/ship.log" 2>/dev/null; exit 1; }

# 64 KiB map, 16-byte records: 4095 fit; each batch is 500, so even with
# the shipper dead for two batches the kernel never has to drop one.
mkfifo "$tmp/ctl"
"$PIN" "$map" 65536 <"$tmp/ctl" >"$tmp/pin.out" &
broker_pids+=($!)
pin_pid=$!
exec 7>"$tmp/ctl"
wait_for 10 grep -q . "$tmp/pin.out"
if ! grep -q ready "$tmp/pin.out"; then
	wait "$pin_pid"; rc=$?
	[ $rc = 77 ] && { echo "skip: $(head -1 "$tmp/pin.out")"; exit 77; }
	die "bpf helper: $(cat "$tmp/pin.out")"
fi
runs=0
run() { echo "run $1" >&7; runs=$((runs + $1)); wait_for 10 sh -c "[ \$(grep -c ok '$tmp/pin.out') -ge $2 ]" || die "program run"; }

start_nats_cluster 1
URL="nats://$nats_urls/rb.bpf"
wait_for 20 "$R" ship "$map" --to "$URL" --stream RBBPF || die "no stream"
batches=0
# A shipper started while the server is down waits for it; the records
# wait in the ring meanwhile.
nats_kill_node 0
"$R" ship "$map" --to "$URL" --stream RBBPF --follow 2>>"$tmp/ship.log" &
ship_pid=$!
run 500 $((++batches))
wait_for 20 grep -q "trying again" "$tmp/ship.log" || die "the shipper did not wait for the server"
nats_start_node 0
wait_for 20 sh -c "\"$R\" stat --json \"$map\" | grep -q '\"available\":0[,}]'" || die "the waiting shipper never shipped"
kill -9 "$ship_pid"
wait "$ship_pid" 2>/dev/null
ship_pid=
for round in 1 2 3 4 5 6; do
	"$R" ship "$map" --to "$URL" --stream RBBPF --follow 2>>"$tmp/ship.log" &
	ship_pid=$!
	run 500 $((++batches)); sleep 0.0$((RANDOM % 9))
	run 500 $((++batches)); sleep 0.$((RANDOM % 3))
	kill -9 "$ship_pid"
	wait "$ship_pid" 2>/dev/null
	ship_pid=
done
"$R" ship "$map" --to "$URL" --stream RBBPF --json >"$tmp/last.json" 2>>"$tmp/ship.log" || die "final ship"
grep -q '"complete":true' "$tmp/last.json" || die "incomplete: $(cat "$tmp/last.json")"
"$READ" --u64 "nats://$nats_urls" RBBPF | cut -d' ' -f3 >"$tmp/got" || die "reading back"
seq 0 $((runs - 1)) >"$tmp/want"
cmp -s "$tmp/got" "$tmp/want" || {
	echo "got $(wc -l <"$tmp/got") messages, $(sort -u "$tmp/got" | wc -l) distinct, expected $runs"
	diff "$tmp/want" "$tmp/got" | head; die "not every record exactly once in order"; }
echo "$runs records from a BPF program, exactly once in order across 6 shipper kills"
