#!/bin/sh
# pooltrend owner and --drivers exit status on operands that fail or are
# empty, and the tag cap (see tests/README.md).
#   owner_cli.sh POOLTREND TESTDATA
set -u
unset POOLTAG_FILE
exe=$1 data=$2
work=$(mktemp -d) || exit 99
trap 'rm -rf "$work"' EXIT
trap 'exit 99' INT TERM
status=0
fail() { echo "FAIL: $*"; status=1; }

# expect RC ERR-PATTERN ARGS...: exit status and a line of standard error.
expect() {
	want=$1 pattern=$2
	shift 2
	"$exe" "$@" > "$work/out" 2> "$work/err"
	rc=$?
	[ "$rc" -eq "$want" ] || fail "$* exited $rc, not $want: $(cat "$work/err")"
	[ -z "$pattern" ] || grep -q -- "$pattern" "$work/err" ||
		fail "$*: no '$pattern' in: $(cat "$work/err")"
}

mkdir "$work/empty"
# An empty directory was read: not "no path could be read".
expect 1 "/nonexistent/pt: warning" owner Leak -- "$work/empty" /nonexistent/pt
expect 3 "no path could be read" owner Leak -- /nonexistent/pt /nonexistent/pt2

# More tags than one scan looks for: a usage error, not a silent cut.
tags=$(awk 'BEGIN { for (i = 0; i < 4097; i++) printf "%c%c%c ", 65 + i % 26, 65 + int(i / 26) % 26, 65 + int(i / 676) % 26 }')
# shellcheck disable=SC2086
expect 2 "at most 4096 tags" owner $tags -- "$work/empty"
# shellcheck disable=SC2086
expect 1 "" owner $(echo "$tags" | cut -d' ' -f1-4096) -- "$work/empty"

# A mistyped --drivers directory fails, with or without series to look for.
expect 3 "--drivers /nonexistent/pt" -q --drivers /nonexistent/pt "$data/demo"
expect 3 "--drivers /nonexistent/pt" -q --drivers /nonexistent/pt \
	"$data/demo/poolmonlog1.txt"
expect 0 "" -q --drivers "$work/empty" "$data/demo/poolmonlog1.txt"
exit $status
