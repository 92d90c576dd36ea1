#!/usr/bin/env bash
# Run the suite: every test program of each build dir given, the tool's
# end-to-end scripts (test/*.sh), the fuzz targets for a bounded time and
# the wakeup model. Exit status 0 pass, 77 skip, anything else fail.
# Last line: "N passed, N failed" (the skips counted on the line before).
#   TEST_TIMEOUT  seconds per test (default 300)
#   TEST_FILTER   run only tests whose name contains this
#   FUZZ_SECONDS  seconds per fuzz target (default 20)
set -u
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- build
timeout_s=${TEST_TIMEOUT:-300}
pass=0 fail=0 skip=0 failed=()

run_one() { # label, command...
	local label=$1; shift
	local t0=$(date +%s%N) out rc
	out=$(timeout -k 5 "$timeout_s" "$@" 2>&1); rc=$?
	local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	local dt=$((ms / 1000)).$(( (ms % 1000) / 100 ))
	case $rc in
	0)  pass=$((pass+1)); echo "PASS $label (${dt}s)";;
	77) skip=$((skip+1)); echo "SKIP $label: $(echo "$out" | tail -n 1)";;
	*)  fail=$((fail+1)); failed+=("$label")
	    [ $rc = 124 ] && echo "FAIL $label: timed out after ${timeout_s}s" || echo "FAIL $label (exit $rc)"
	    echo "$out" | tail -n 30 | sed 's/^/    /';;
	esac
}

for b in "$@"; do
	for t in "$b"/test/*; do
		[ -x "$t" ] || continue
		case $t in *"${TEST_FILTER:-}"*) ;; *) continue;; esac
		case $b in *asan*|*tsan*) export TEST_SCALE=${TEST_SCALE_SAN:-0.2};; *) export TEST_SCALE=${TEST_SCALE:-1};; esac
		run_one "$t" "$t"
	done
	# End-to-end scripts drive the built tool of this build.
	for s in test/*.sh; do
		[ -f "$s" ] && [ "$s" != test/run.sh ] || continue
		case $s in *"${TEST_FILTER:-}"*) ;; *) continue;; esac
		run_one "$b/$s" env RINGBUF="$b/ringbuf" bash "$s"
	done
done

# Fuzz targets: bounded time each, corpus kept in the repository.
for f in "$1"/fuzz/*; do
	[ -x "$f" ] || continue
	name=$(basename "$f")
	case $name in *"${TEST_FILTER:-}"*) ;; *) continue;; esac
	work=$(mktemp -d)
	cp -r "fuzz/corpus/$name/." "$work/" 2>/dev/null || true
	run_one "$f" "$f" -max_total_time="${FUZZ_SECONDS:-20}" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=0 "$work"
	rm -rf "$work"
done

# The wakeup protocol's model.
if [ -f model/Makefile ] && [ -z "${TEST_FILTER:-}" -o "${TEST_FILTER:-}" = model ]; then
	if command -v spin >/dev/null; then run_one "model" make -s -C model check
	else skip=$((skip+1)); echo "SKIP model: spin is not installed"; fi
fi

# Checks of the tree itself (documents against code), once.
for s in test/check/*.sh; do
	[ -f "$s" ] || continue
	case $s in *"${TEST_FILTER:-}"*) ;; *) continue;; esac
	run_one "$s" bash "$s"
done

[ $fail -gt 0 ] && printf 'failed: %s\n' "${failed[@]}"
echo "$skip skipped (each with its reason above)"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
