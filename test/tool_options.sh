#!/usr/bin/env bash
# One option vocabulary and one error format across the tool's subcommands:
# every subcommand answers a bad option with one line naming it plus a hint
# to --help (no stray text, exit 2), takes -j/--json and then reports errors
# as a JSON object {"error":...} on stdout; -o/--format, -n/--count,
# -f/--follow mean the same wherever they exist; errors read
# "ringbuf SUBCMD: RING: cause" with the cause said once; sizes are echoed
# as typed. Needs $RINGBUF. Exit 0 pass, 1 fail, 77 skip.
set -u
R=${RINGBUF:?set RINGBUF to the built ringbuf tool}
[ -x "$R" ] || { echo "skip: $R is not built"; exit 77; }
tmp=$(mktemp -d)
ring=rbopt.$$
trap '"$R" rm -f "$ring" >/dev/null 2>&1; rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails+1)); }
run() { "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; out=$(cat "$tmp/out"); err=$(cat "$tmp/err"); }

cmds=$("$R" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF>1 {print $1}')
[ -n "$cmds" ] || { echo "FAIL: no commands in --help"; exit 1; }
for c in $cmds; do
	run "$R" $c --no-such-option
	[ $rc = 2 ] || fail "$c: bad option exited $rc"
	[ "$(echo "$err" | head -1)" = "ringbuf $c: unknown option '--no-such-option'" ] ||
		fail "$c: first line: $(echo "$err" | head -1)"
	[ "$(echo "$err" | wc -l)" = 2 ] || fail "$c: $(echo "$err" | wc -l) lines for a bad option: $err"
	case $err in *"Try 'ringbuf $c --help'"*) ;; *) fail "$c: no --help hint: $err";; esac
	case $err in *"bad option"*) fail "$c: stray 'bad option': $err";; esac
	# --json: the error is a JSON object on stdout, nothing on stderr.
	run "$R" $c --json --no-such-option
	[ $rc = 2 ] || fail "$c --json: bad option exited $rc"
	[ "$out" = "{\"error\":\"unknown option '--no-such-option'\",\"command\":\"$c\"}" ] ||
		fail "$c --json: not the JSON error object: $out"
	[ -z "$err" ] || fail "$c --json: stderr: $err"
	"$R" $c --help | grep -q -- '-j, --json' || fail "$c --help does not list --json"
done

# Missing option value.
run "$R" cat -n
[ "$(echo "$err" | head -1)" = "ringbuf cat: option '-n' needs a value" ] || fail "missing value: $err"

# Errors name the ring once and the cause once (no errno repeated).
run "$R" stat rbopt.missing.$$
[ "$err" = "ringbuf stat: rbopt.missing.$$: No such file or directory" ] || fail "stat missing: $err"
run "$R" --json stat rbopt.missing.$$
echo "$out" | python3 -c 'import json,sys; o=json.loads(sys.stdin.read()); assert o=={"error":"No such file or directory","command":"stat","ring":"rbopt.missing.'$$'"}, o' ||
	fail "global --json error: $out"

# Sizes echoed as typed.
run "$R" create --size 3G "$ring"
[ $rc = 2 ] && case $err in *"'3G'"*) ;; *) false;; esac || fail "size not echoed as typed: $err"
run "$R" create --size 3000 "$ring"
case $err in *"'3000'"*) ;; *) fail "size 3000: $err";; esac

# The vocabulary: -o/--format, -n/--count, -f/--follow (cat), -O (create).
"$R" create -O -s 4K "$ring" || fail "create -O"
"$R" stat -j "$ring" | grep -q '"overwrite":true' || fail "create -O did not make an overwrite ring"
seq 1 5 | "$R" write "$ring" || fail write
[ "$("$R" dump -o json -n 1 "$ring")" = '{"n":0,"len":1,"text":"5"}' ] || fail "dump -o json -n 1"
[ "$("$R" dump --format text --count 2 "$ring")" = "$(printf '4\n5')" ] || fail "dump --format --count"
[ "$("$R" cat -o json -n 1 "$ring")" = '{"n":0,"len":1,"text":"1"}' ] || fail "cat -o json -n 1"
[ "$("$R" cat --json -n 1 "$ring")" = '{"n":0,"len":1,"text":"2"}' ] || fail "cat --json"
# Old spellings still work (hidden aliases).
[ "$("$R" cat -F text -n 1 "$ring")" = 3 ] || fail "old cat -F FMT"
[ "$("$R" dump -f text --max-records 1 "$ring")" = 5 ] || fail "old dump -f / --max-records"
# write --help advertises only what write accepts.
for o in $("$R" write --help | grep -E '^ +(-[a-z], )?--' | grep -o -- '--[a-z-]*' | sort -u); do
	[ "$o" = --help ] && continue
	echo | "$R" write $o "$ring" >/dev/null 2>"$tmp/err"
	grep -q "unknown option" "$tmp/err" && fail "write --help advertises $o, which is refused"
done
# create --help and the man page agree that --size is optional.
"$R" create --help | head -1 | grep -q '\[--size SIZE\]' || fail "create --help: --size shown as required"

[ $fails = 0 ] && echo "ok: $(echo $cmds | wc -w) subcommands, one vocabulary and error format" || exit 1
