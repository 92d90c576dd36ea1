#!/usr/bin/env bash
# The bash completion loads in bash and completes what a user types:
# commands, a subcommand's options, format names after -o, ring names from
# /dev/shm (a ring we create) and nothing but files after --svg.
# Needs $RINGBUF (to create the ring). Exit 0/1/77.
set -u
R=${RINGBUF:?set RINGBUF to the built ringbuf tool}
[ -x "$R" ] || { echo "skip: $R is not built"; exit 77; }
cd "$(dirname "$0")/.."
ring=rbcomp.$$
trap '"$R" rm -f "$ring" >/dev/null 2>&1' EXIT
"$R" create -s 4K "$ring" || { echo "FAIL: create"; exit 1; }
fails=0
fail() { echo "FAIL: $*"; fails=$((fails+1)); }

# complete WORDS...: what the completion offers for the last word.
complete_line() {
	bash --norc --noprofile -c '
		. completion/ringbuf || exit 3
		complete -p ringbuf >/dev/null || exit 4
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_ringbuf
		printf "%s\n" "${COMPREPLY[@]}" | sort' bash "$@"
}
[ "$(complete_line ringbuf c | tr '\n' ' ')" = "cat create " ] || fail "commands: $(complete_line ringbuf c)"
complete_line ringbuf "" | grep -qx top || fail "top not offered"
[ "$(complete_line ringbuf cat --f | tr '\n' ' ')" = "--follow --format " ] || fail "cat --f: $(complete_line ringbuf cat --f)"
[ "$(complete_line ringbuf dump -o "" | tr '\n' ' ')" = "binary hex json text " ] || fail "formats: $(complete_line ringbuf dump -o '')"
[ "$(complete_line ringbuf stat rbcomp.$$)" = "$ring" ] || fail "ring names: $(complete_line ringbuf stat rbcomp.$$)"
complete_line ringbuf --json stat rbcomp.$$ | grep -qx "$ring" || fail "after the global --json"
complete_line ringbuf trace --l | grep -qx -- --list-events || fail "trace --l"
[ -z "$(complete_line ringbuf cat -n "")" ] || fail "a count is not completed with names"
[ $fails = 0 ] && echo "ok: completion loads and completes commands, options, formats, rings" || exit 1
