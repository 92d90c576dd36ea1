#!/usr/bin/env bash
# `ringbuf trace` as trace-cmd users expect it: lines start with the common
# fields in trace-cmd report's format (COMM-PID [CPU] SECS.USEC: EVENT:),
# the COMM and PID agreeing with what the kernel recorded in the event
# (sched_switch's prev_comm/prev_pid), and the kernel's own trace file has
# the same shape once its flags column is dropped; prev_state reads as the
# kernel prints it (R, S, D, R+, ...); an event without its system is found;
# --list-events lists; -c 99 says "no CPU 99"; --reset removes the instance
# of a trace killed with SIGKILL, and of a pid reused by another process,
# and keeps live ones. Skips (77) without root, tracefs or kernel support.
set -u
R=$(realpath "${RINGBUF:?set RINGBUF to the built ringbuf tool}")
[ -x "$R" ] || { echo "skip: $R is not built"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "skip: needs root"; exit 77; }
T=/sys/kernel/tracing
[ -d $T/instances ] || mount -t tracefs nodev $T 2>/dev/null
[ -d $T/instances ] || { echo "skip: no tracefs"; exit 77; }
tmp=$(mktemp -d)
mine=$T/instances/rbtest-fmt-$$
cleanup() { kill -9 ${tpid:-} ${sp1:-} ${sp2:-} 2>/dev/null; rmdir "$mine" "$T/instances/ringbuf-"*"-999999-1" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails+1)); }
common='^ *(.+)-([0-9]+) +\[([0-9]{3})\] +([0-9]+\.[0-9]{6}): '

# Two tasks of names we set (builtins only: no exec can rename them) take
# turns on CPU 0, so its sched_switch events name them for sure.
spin() { taskset -c 0 bash -c 'echo -n "$0" >/proc/self/comm && while :; do :; done' "$1" & }
spin rbfmt-a.$$; sp1=$!
spin rbfmt-b.$$; sp2=$!
sleep 0.3

# sched_switch without its system.
cp $T/saved_cmdlines "$tmp/cmdlines.before"
timeout 20 "$R" trace -e sched_switch -c 0 -n 60 -i 0 >"$tmp/out" 2>"$tmp/err"; rc=$?
cp $T/saved_cmdlines "$tmp/cmdlines.after"
kill -9 $sp1 $sp2 2>/dev/null
grep -q "cannot map" "$tmp/err" && { echo "skip: $(cat "$tmp/err")"; exit 77; }
[ $rc = 0 ] || { echo "FAIL: trace -e sched_switch exited $rc: $(cat "$tmp/err")"; exit 1; }
head -3 "$tmp/out"
[ "$(grep -cE "${common}sched_switch: " "$tmp/out")" = 60 ] || fail "lines not in trace-cmd's format: $(head -3 "$tmp/out")"
# The prefix's COMM-PID is the task that switched out: prev_comm/prev_pid,
# on every line. Its comm is the kernel's saved_cmdlines entry for the pid
# when the line is printed (as trace-cmd and the kernel's trace file show
# it), prev_comm is task->comm when the event was recorded: they differ for
# a task that exec'd in between, and the kernel's table can still hold the
# name of a task that had the pid before (seen: troff). So on our two tasks,
# which never exec, the prefix must be their name or the table's entry for
# the pid, read before and after the trace: never another name.
python3 - "$tmp/out" "$tmp/cmdlines.before" "$tmp/cmdlines.after" "rbfmt-a.$$" "rbfmt-b.$$" <<'PY' || fail "prefix disagrees with the event"
import re, sys
pat = re.compile(r'^ *(.+)-(\d+) +\[(\d{3})\] +(\d+\.\d{6}): sched_switch: prev_comm=(.*) prev_pid=(\d+) prev_prio=\d+ prev_state=(\S+) ')
table = {}
for f in sys.argv[2:4]:
    for l in open(f):
        p, _, c = l.rstrip("\n").partition(" ")
        table.setdefault(p, set()).add(c[:15])
ours = {c[:15] for c in sys.argv[4:]}
seen = 0
for line in open(sys.argv[1]):
    m = pat.match(line)
    assert m, line
    comm, pid, cpu, prev_comm, prev_pid, state = m[1], m[2], m[3], m[5], m[6], m[7]
    assert pid == prev_pid, line
    assert cpu == "000", line
    assert re.fullmatch(r'(R|[SDTtXZPI](\|[SDTtXZPI])*)\+?', state), "prev_state " + state
    if pid == "0":
        assert comm == "<idle>", line
    if prev_comm in ours:
        assert comm == prev_comm or comm in table.get(pid, ()), line
        seen += 1
assert seen >= 2, "our tasks switched out in %d lines" % seen
print("prefix is the task's name or the kernel's entry on all", seen, "lines of our tasks")
PY
# The kernel's own text output of the same event has the same common
# fields once its irq-flags column is dropped.
mkdir "$mine" && echo 1 > "$mine/events/sched/sched_switch/enable" && sleep 0.3 && echo 0 > "$mine/tracing_on"
grep -v '^#' "$mine/trace" | head -20 | sed -E 's/\] [^ ]{4,5} +/] /' >"$tmp/kernel"
[ -s "$tmp/kernel" ] || fail "the kernel recorded nothing"
grep -vE "${common}sched_switch: " "$tmp/kernel" && fail "kernel lines the same pattern does not match"
# prev_state as the kernel spells it, e.g. "prev_state=S ==>".
grep -qE 'prev_state=(R|[SDTtXZPI])\+? ==>' "$tmp/kernel" || fail "kernel prev_state spelling: $(head -1 "$tmp/kernel")"

# --list-events, -c 99.
"$R" trace --list-events sched_sw | grep -qx "sched:sched_switch" || fail "--list-events"
"$R" trace -c 99 >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q "^ringbuf trace: no CPU 99$" "$tmp/err" || fail "-c 99: exit $rc: $(cat "$tmp/err")"

# --reset after kill -9: the stale instance goes, a live one stays.
"$R" trace -e ftrace:print >/dev/null 2>&1 & tpid=$!
for _ in $(seq 100); do ls -d "$T/instances/ringbuf-$tpid-"* >/dev/null 2>&1 && break; sleep 0.05; done
dead=$(ls -d "$T/instances/ringbuf-$tpid-"* 2>/dev/null | head -1)
[ -n "$dead" ] || fail "no instance for trace $tpid"
kill -9 $tpid; wait $tpid 2>/dev/null
"$R" trace -e ftrace:print >/dev/null 2>&1 & live=$!
for _ in $(seq 100); do ls -d "$T/instances/ringbuf-$live-"* >/dev/null 2>&1 && break; sleep 0.05; done
ns=$(stat -L -c %i /proc/self/ns/pid)
reused="$T/instances/ringbuf-$$-999999-$ns"   # our pid, not our start time
mkdir "$reused"
"$R" trace --reset >"$tmp/out" 2>&1 || fail "--reset exited $?"
cat "$tmp/out"
[ -e "$dead" ] && fail "--reset left $dead"
[ -e "$reused" ] && fail "--reset kept an instance whose pid was reused"
grep -q "removed ringbuf-$$-999999-$ns (pid reused by another process)" "$tmp/out" || fail "reuse not reported"
ls -d "$T/instances/ringbuf-$live-"* >/dev/null 2>&1 || fail "--reset removed a live trace's instance"
kill $live; wait $live
tpid=
[ $fails = 0 ] && echo "ok: trace-cmd line format, prev_state, events, --reset" || exit 1
