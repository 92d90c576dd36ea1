#!/usr/bin/env bash
# The documentation matches the tool and stands on its own: every man page
# renders from the top of the tree without a warning (its .so links
# resolve), every page but a link has an EXAMPLES section, ringbuf(1) and
# the bash completion know every subcommand of `ringbuf --help` and every
# long option of each subcommand's --help, create's --size is optional in
# both, and README.md links nothing outside the repository. Needs $RINGBUF.
set -u
R=${RINGBUF:?set RINGBUF to the built ringbuf tool}
[ -x "$R" ] || { echo "skip: $R is not built"; exit 77; }
cd "$(dirname "$0")/.."
fails=0
fail() { echo "FAIL: $*"; fails=$((fails+1)); }

for p in man/*.1 man/*.3; do
	out=$(man -l "$p" 2>&1 >/dev/null)
	[ -z "$out" ] || fail "$p: $out"
	grep -q '^\.so ' "$p" && continue
	grep -q '^\.SH EXAMPLES' "$p" || fail "$p has no EXAMPLES section"
done

page=$(man -l man/ringbuf.1 2>/dev/null | col -b)
cmds=$("$R" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF>1 {print $1}')
for c in $cmds; do
	echo "$page" | grep -qE "^ *ringbuf[[:space:]]+$c\b" || fail "ringbuf(1) SYNOPSIS lacks 'ringbuf $c'"
	grep -q "^	$c) " completion/ringbuf || grep -q "cmds=.*\b$c\b" completion/ringbuf ||
		fail "completion does not know $c"
	for o in $("$R" $c --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
		echo "$page" | grep -q -- "$o" || fail "ringbuf(1) does not mention $c $o"
	done
done
"$R" create --help | head -1 | grep -q '\[--size SIZE\]' || fail "create --help: --size not optional"
echo "$page" | grep -qE 'ringbuf[[:space:]]+create[[:space:]]+\[--size[[:space:]]+SIZE\]' || fail "ringbuf(1): create --size not optional"

# README: relative links exist inside the repository; nothing above it.
grep -oE '\]\([^)#]+' README.md bench/README.md | while IFS= read -r l; do
	f=${l%%:*} target=${l#*](}
	case $target in
	http*://*) ;;
	/*|../*|*/../*) echo "FAIL: $f links outside the repository: $target";;
	*) [ -e "$(dirname "$f")/$target" ] || echo "FAIL: $f links a missing file: $target";;
	esac
done | grep FAIL && fails=$((fails+1))
[ $fails = 0 ] && echo "ok: man pages, ringbuf(1) and completion agree with the tool" || exit 1
