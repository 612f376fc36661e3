#!/bin/sh
# The report, the messages and the exit status must not depend on the
# number of worker threads: files are parsed and series scored in
# parallel, and the results merged in input order.
#
#   threads.sh POOLTREND PTGEN TESTDATA
#
# Input: a ptgen series with wraps, a reboot and -g text, plus damaged,
# empty, missing and UTF-16 files among them, so messages from many files
# have to come out in order.  Then one appended log of 18 MB, which is
# parsed in parts with 2 and 8 threads (analysis.c: from 2 MB a worker),
# with a damaged snapshot in the middle and a bad row at the end.
set -u
exe=$1
ptgen=$2
testdata=$3
work=$(mktemp -d) || exit 99
trap 'rm -rf "$work"' EXIT
trap 'exit 99' INT TERM

"$ptgen" --out "$work/in" --files 60 --tags 80 --seed 7 --summary \
	--mapped --wrap --reboot-at 30 --stamp iso >/dev/null || exit 99
cp "$testdata/partial-bad-file/good.log" "$work/in/zz-good.log" || exit 99
cp "$testdata/partial-bad-file/empty.txt" "$work/in/empty.txt" || exit 99
cp "$testdata/utf16-tss-two/tss_Poolmon_Start_.txt" "$work/in/u16.txt" ||
	exit 99
printf 'not poolmon\n' > "$work/in/junk.txt"
printf ' Tag  Type  Allocs Frees\n Ab   Nonp  x\n' > "$work/in/cut.txt"
"$ptgen" --append "$work/a.log" --files 200 --tags 300 --seed 3 --summary \
	--mapped --wrap --stamp iso >/dev/null || exit 99
printf 'not poolmon\r\n Tag  Type  Allocs Frees\r\n Ab   Nonp  x\r\n' \
	>>"$work/a.log" || exit 99
"$ptgen" --append "$work/b.log" --files 200 --tags 300 --seed 4 --summary \
	--mapped --start 2026-11-05T08:00:00 --stamp iso >/dev/null || exit 99
cat "$work/b.log" >>"$work/a.log" || exit 99
printf ' Bad1 Nonp  99999999999999999999999 1 1 1 1\r\n' >>"$work/a.log" ||
	exit 99
[ "$(wc -c <"$work/a.log")" -gt 16777216 ] || exit 99

fail=0
run() {
	# $1: label; the rest: pooltrend arguments
	label=$1
	shift
	for j in 1 2 8; do
		"$exe" -j "$j" "$@" >"$work/out.$j" 2>"$work/err.$j"
		echo $? >"$work/rc.$j"
	done
	for j in 2 8; do
		for f in out err rc; do
			if ! cmp -s "$work/$f.1" "$work/$f.$j"; then
				echo "FAIL $label: $f differs between -j 1 and -j $j"
				diff "$work/$f.1" "$work/$f.$j" | head -20
				fail=1
			fi
		done
	done
	echo "ok $label"
}

run json -f json -n 0 "$work/in" "$work/missing.txt"
run text --color never -n 0 "$work/in"
run csv -f csv "$work/in"
run strict --strict -f json "$work/in"
run show show MmSt "$work/in"
run appended-json -f json -n 0 "$work/a.log"
run appended-text --color never -n 0 "$work/a.log"
exit $fail
