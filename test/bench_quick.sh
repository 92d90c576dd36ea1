#!/usr/bin/env bash
# `ringbuf bench --quick` finishes, checks every sequence number (a wrong
# one aborts it with "SEQUENCE ERROR" and exit 1) and prints a row for
# every mode: a measured row or "skipped: <reason>". Correctness, not speed.
# Needs $RINGBUF. Exit 0 pass, 1 fail, 77 skip.
set -u
R=${RINGBUF:?set RINGBUF to the built ringbuf tool}
[ -x "$R" ] || { echo "skip: $R is not built"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# Sanitizer builds are slower: give them a shorter run with the same rows.
case $R in *asan*|*tsan*) extra=(--duration 4);; *) extra=();; esac

"$R" bench --quick "${extra[@]}" --csv >"$tmp/out" 2>"$tmp/err"; rc=$?
cat "$tmp/err"
[ $rc = 0 ] || { echo "FAIL: bench --quick exited $rc"; cat "$tmp/out"; exit 1; }
grep -qi "sequence error" "$tmp/out" "$tmp/err" && { echo "FAIL: sequence error"; exit 1; }

# Every mode bench --help-less listing knows must have printed a row.
modes=("ringbuf busy" "ringbuf busy [A/A repeat]" "ringbuf busy, batch 16" "ringbuf busy, idle policy none" "ringbuf manager consume busy" "ringbuf nowakeup busy"
       "ringbuf output busy" "ringbuf 2-producer busy" "ringbuf 2-producer split-CPU busy"
       "sharded 1-producer busy" "sharded 2-producer busy" "sharded 2-producer split-CPU busy"
       "ringbuf overwrite busy" "ringbuf busy +backoff" "ringbuf poll (manager)" "ringbuf sampled poll" "ringbuf back-to-back" "sharded back-to-back"
       "kernel nowakeup busy [libbpf]" "kernel nowakeup busy +backoff [libbpf]" "kernel nowakeup busy [ringbuf]" "kernel adaptive busy [libbpf]"
       "kernel poll [libbpf]" "kernel poll [ringbuf manager]" "kernel sampled poll [libbpf]"
       "kernel back-to-back" "perfbuf busy [raw mmap]" "perfbuf wakeup-each busy [raw mmap]" "minimal SPSC ring [floor]" "minimal SPSC ring [floor], 2 producers" "minimal SPSC ring [floor], 2 split-CPU" "mutex+condvar queue" "pipe"
       "latency ringbuf poll" "latency ringbuf busy" "latency ringbuf busy, idle none" "latency mutex+condvar"
       "latency pipe")
fails=0
for m in "${modes[@]}"; do
	grep -qF "\"$m\"," "$tmp/out" || { echo "FAIL: no row for '$m'"; fails=$((fails+1)); }
done
# Our core rows must really have run (not skipped) with records moved.
for m in "ringbuf busy" "ringbuf busy, batch 16" "ringbuf nowakeup busy" "ringbuf output busy" "ringbuf back-to-back" "sharded back-to-back"; do
	line=$(grep -F "\"$m\",8," "$tmp/out")
	rate=$(echo "$line" | cut -d, -f3)
	[ -n "$rate" ] && awk "BEGIN{exit !($rate > 0)}" || { echo "FAIL: '$m' did not run: $line"; fails=$((fails+1)); }
done
# Skipped rows say why.
grep -F ',,,,,,,,,' "$tmp/out" | grep -q '""$' && { echo "FAIL: a skipped row without a reason"; fails=$((fails+1)); }
cat "$tmp/out"
[ $fails = 0 ] && echo "bench_quick: $(grep -c . "$tmp/out") rows, all modes present, no sequence error"
[ $fails = 0 ]
