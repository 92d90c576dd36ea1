#!/usr/bin/env bash
# End to end: `ringbuf trace` enables events in its own tracefs instance,
# prints markers and scheduler events read through the mmap'ed buffers,
# stops on --count, --duration, SIGINT and a closed pipe, and removes its
# instance every time. Skips (77) without root, tracefs or the tool.
set -u
R=${RINGBUF:-build/ringbuf}
[ -x "$R" ] || { echo "skip: no tool at $R"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "skip: needs root"; exit 77; }
"$R" trace --help 2>&1 | grep -q -- '--event' || { echo "skip: this tool has no trace command"; exit 77; }
T=/sys/kernel/tracing
[ -d $T/instances ] || T=/sys/kernel/debug/tracing
[ -d $T/instances ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null && T=/sys/kernel/tracing
[ -d $T/instances ] || { echo "skip: no tracefs"; exit 77; }
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
fail() { echo "FAIL: $*"; echo "--- stdout"; head -n 20 "$out"; echo "--- stderr"; cat "$err"; exit 1; }
inst() { # pid: its instance directory (ringbuf-PID-STARTTIME-PIDNS), if any
	ls -d "$T/instances/ringbuf-$1-"* 2>/dev/null | head -n 1
}
gone() { # pid: its instance must not be left behind
	for _ in $(seq 50); do [ -n "$(inst $1)" ] || return 0; sleep 0.1; done
	fail "instance $(inst $1) left behind"
}

# Usage errors: exit 2, message on stderr.
"$R" trace --no-such-option >/dev/null 2>"$err"; [ $? = 2 ] || fail "bad option: want exit 2"
"$R" trace --event nocolon >/dev/null 2>"$err"; [ $? = 2 ] || fail "bad --event: want exit 2"
"$R" trace --event nosuchsys:nosuchevent >/dev/null 2>"$err"; [ $? = 2 ] || fail "unknown event: want exit 2"
"$R" trace --help >"$out" 2>"$err"; [ $? = 0 ] || fail "--help: want exit 0"

# Markers only (a busy machine's scheduler events could overrun the buffer
# of a slow sanitizer build), stopped by SIGINT.
"$R" trace -e ftrace:print --interval 0 >"$out" 2>"$err" &
pid=$!
# A loaded machine can take seconds to start it: wait while it lives.
# tracefs shows the instance directory before it has filled it: wait for
# the file itself.
for _ in $(seq 600); do [ -w "$(inst $pid)/trace_marker" ] && break; kill -0 $pid 2>/dev/null || break; sleep 0.05; done
[ -w "$(inst $pid)/trace_marker" ] || { kill $pid; wait $pid
	grep -q "cannot map" "$err" && { echo "skip: $(cat "$err")"; exit 77; }; fail "no instance"; }
sleep 0.3
for i in $(seq 1 20); do echo "e2e-marker-$i" > "$(inst $pid)/trace_marker"; done
for _ in $(seq 50); do grep -q "e2e-marker-20" "$out" && break; sleep 0.1; done
kill -INT $pid; wait $pid; rc=$?
[ $rc = 0 ] || fail "SIGINT: exit $rc"
gone $pid
for i in $(seq 1 20); do grep -q "print: .*buf=e2e-marker-$i\$" "$out" || fail "marker $i missing"; done
[ "$(grep -c 'e2e-marker-' "$out")" = 20 ] || fail "markers not exactly once"

# Scheduler events decoded by their format file; --count stops by itself.
timeout 20 "$R" trace -e sched:sched_switch --count 5 --interval 0 >"$out" 2>"$err" & pid=$!
wait $pid; rc=$?
[ $rc = 0 ] || fail "--count: exit $rc"; gone $pid
[ "$(wc -l < "$out")" = 5 ] || fail "--count 5 printed $(wc -l < "$out") lines"
[ "$(grep -c 'sched_switch: prev_comm=.* prev_pid=[0-9]* .* next_pid=[0-9]* ' "$out")" = 5 ] ||
	fail "sched_switch not decoded"
timeout 20 "$R" trace --duration 0.5 >"$out" 2>"$err" & pid=$!; wait $pid; rc=$?
[ $rc = 0 ] || fail "--duration: exit $rc"; gone $pid

# A reader that goes away: EPIPE ends it cleanly.
( sh -c 'echo $$ > "$1.pid"; exec "$2" trace --interval 0' sh "$out" "$R" 2>"$err"; echo $? > "$out.rc" ) |
	head -n 2 > /dev/null
rc=$(cat "$out.rc") pid=$(cat "$out.pid"); rm -f "$out.rc" "$out.pid"
[ "$rc" = 0 ] || fail "closed pipe: exit $rc"
gone $pid
echo "ringbuf trace: events, markers, count, duration, SIGINT, EPIPE ok"
exit 0
