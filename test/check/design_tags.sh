#!/usr/bin/env bash
# Every ordering tag used in src/ ("[P1]", "[O3a]", …) has a row in one of
# docs/DESIGN.md's tables ("| P1 |" or "| [P1] |"), and every row names a
# tag that src/ uses: the protocol document and the code cannot drift apart.
# Also: no document of the tree points outside the repository.
set -u
cd "$(dirname "$0")/../.."
tag='[A-Z][0-9]+[a-z]?'
used=$(grep -ohE "\[$tag\]" src/*.c src/*.h | tr -d '[]' | sort -u)
rows=$(grep -oE "^\| \[?$tag\]? \|" docs/DESIGN.md | grep -oE "$tag" | sort -u)
bad=0
for t in $(comm -23 <(echo "$used") <(echo "$rows")); do
	echo "tag [$t] is used in $(grep -lF "[$t]" src/*.c src/*.h | tr '\n' ' ')but has no row in a table of docs/DESIGN.md: add '| $t | where | access | pairs with | what it orders |'"
	bad=1
done
for t in $(comm -13 <(echo "$used") <(echo "$rows")); do
	echo "docs/DESIGN.md has a row for $t, which nothing in src/ uses: remove the row or tag the access"
	bad=1
done
# Links and references that leave the repository.
if out=$(grep -nE '\]\(\.\./|\.\./shared|\bBRIEF\b|seeds/' README.md docs/*.md man/* 2>/dev/null); then
	echo "documents refer to files outside the repository:"; echo "$out"; bad=1
fi
[ $bad = 0 ] && echo "design tags: $(echo "$used" | wc -w) tags, each with its row"
exit $bad
