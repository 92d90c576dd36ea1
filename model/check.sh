#!/bin/sh
# check.sh SPIN CC OUTDIR pass|fail "DEFINES": verify model/wakeup.pml with
# the defines, in OUTDIR/<variant>, and compare with the expected outcome.
set -u
spin=$1 cc=$2 out=$3 expect=$4 defs=$5
here=$(cd "$(dirname "$0")" && pwd)
name=$(echo "$defs" | tr -c 'A-Za-z0-9_=\n' _)
dir=$out/$name
mkdir -p "$dir" && cd "$dir" || exit 2
cp "$here/wakeup.pml" . || exit 2
"$spin" $defs -a wakeup.pml >spin.log 2>&1 || { cat spin.log; exit 2; }
"$cc" -O2 -DSAFETY -o pan pan.c >cc.log 2>&1 || { cat cc.log; exit 2; }
./pan -m100000 >pan.log 2>&1
errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' pan.log | head -n 1)
states=$(sed -n 's/^ *\([0-9e.+]*\) states, stored.*/\1/p' pan.log | head -n 1)
[ -n "$errors" ] || { cat pan.log; exit 2; }
if [ "$expect" = pass ] && [ "$errors" = 0 ]; then
	echo "model: no lost wakeup ($defs): $states states, 0 errors"
elif [ "$expect" = fail ] && [ "$errors" != 0 ]; then
	echo "model: lost wakeup found as expected ($defs): $(grep -m1 -E 'assertion violated|invalid end state' pan.log)"
else
	echo "model: UNEXPECTED result for ($defs), expected $expect:"
	cat pan.log
	[ -f wakeup.pml.trail ] && "$spin" $defs -t -p wakeup.pml | tail -n 40
	exit 1
fi
