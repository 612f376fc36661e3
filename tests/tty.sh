#!/bin/sh
# Colour and sparklines on a real terminal: pooltrend runs under a
# pseudo-terminal made by script(1), as a user at a terminal would.
#   tty.sh POOLTREND TESTDATA
# PT_GOLDEN_UPDATE=1 rewrites testdata/tty-demo/expected.out.
set -u
exe=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
data=$(cd "$2" && pwd)
golden=$data/tty-demo/expected.out
status=0
esc=$(printf '\033')

# Checks other than the progress ones pass --progress never: on a busy
# machine a run can pass the quarter second after which auto shows it.
# Run pooltrend under a pty with the given environment (NAME=VALUE ...),
# then "--", then pooltrend's arguments.  Output with CRs removed.
on_tty() {
	envs=""
	while [ "$1" != "--" ]; do envs="$envs $1"; shift; done
	shift
	cmd="'$exe'"
	for a in "$@"; do cmd="$cmd '$a'"; done
	# shellcheck disable=SC2086
	env -u NO_COLOR -u POOLTAG_FILE TZ=UTC $envs \
		script -qfec "$cmd" /dev/null < /dev/null | tr -d '\r'
}

fail() {
	echo "FAIL: $1"
	status=1
}

has_escape() { grep -q "$esc\[" ; }
# Every run must have printed a report: a crash prints nothing, and
# "no escape in the output" would then pass.
is_report() { grep -q 'snapshots over' ; }
has_blocks() { grep -q '▁\|▂\|▃\|▄\|▅\|▆\|▇\|█' ; }

cd "$data" || exit 99
out=$(on_tty LC_ALL=C.UTF-8 TERM=xterm -- --progress never -n 3 demo)
if [ "${PT_GOLDEN_UPDATE:-0}" = 1 ]; then
	printf '%s\n' "$out" > "$golden"
	echo "tty-demo: updated"
elif ! printf '%s\n' "$out" | diff -u "$golden" -; then
	fail "colour report on a UTF-8 terminal differs from $golden"
fi
printf '%s\n' "$out" | has_escape || fail "no colour on a terminal"
printf '%s\n' "$out" | has_blocks || fail "no block sparklines in a UTF-8 locale"

out=$(on_tty LC_ALL=C.UTF-8 TERM=xterm NO_COLOR=1 -- --progress never -n 3 demo)
printf '%s\n' "$out" | is_report || fail "no report with NO_COLOR"
printf '%s\n' "$out" | has_escape && fail "colour although NO_COLOR is set"
printf '%s\n' "$out" | has_blocks || fail "NO_COLOR dropped the sparklines"

out=$(on_tty LC_ALL=C.UTF-8 TERM=xterm -- --progress never --color never -n 3 demo)
printf '%s\n' "$out" | is_report || fail "no report with --color never"
printf '%s\n' "$out" | has_escape && fail "colour with --color never"

out=$(on_tty LC_ALL=C.UTF-8 TERM=dumb -- --progress never -n 3 demo)
printf '%s\n' "$out" | is_report || fail "no report on TERM=dumb"
printf '%s\n' "$out" | has_escape && fail "colour on TERM=dumb"

out=$(on_tty LC_ALL=C TERM=xterm -- --progress never -n 3 demo)
printf '%s\n' "$out" | is_report || fail "no report in the C locale"
printf '%s\n' "$out" | has_escape || fail "no colour in the C locale"
printf '%s\n' "$out" | LC_ALL=C grep -q "$(printf '[\200-\377]')" &&
	fail "bytes above ASCII in the C locale (sparklines must fall back)"

out=$(on_tty LC_ALL=C.UTF-8 TERM=xterm -- --progress never -f json -n 1 demo)
printf '%s\n' "$out" | grep -q '"schema_version"' || fail "no JSON on a terminal"
printf '%s\n' "$out" | has_escape && fail "colour in JSON on a terminal"

out=$(on_tty LC_ALL=C.UTF-8 TERM=xterm -- diff --progress never -n 3 demo)
printf '%s\n' "$out" | grep -q 'TAG' || fail "no diff report on a terminal"
printf '%s\n' "$out" | has_escape || fail "no colour in diff on a terminal"

out=$(on_tty LC_ALL=C.UTF-8 TERM=xterm -- show --progress never Drsd demo)
printf '%s\n' "$out" | has_blocks || fail "show drew no block chart on a terminal"
printf '%s\n' "$out" | has_escape || fail "show has no colour on a terminal"

# Progress: on a terminal with "always" a line that is cleared before the
# report; never with "never"; into a pipe only with "always".
# -j 1: updates come from the calling thread, which then reads every file.
out=$(on_tty LC_ALL=C.UTF-8 TERM=xterm -- --progress always -j 1 -n 1 demo)
printf '%s\n' "$out" | grep -q 'reading files: [0-9]*/48' ||
	fail "no progress line on a terminal with --progress always"
printf '%s\n' "$out" | grep -q "$esc\[Kpooltrend: 48 files" ||
	fail "progress line not cleared before the report"
out=$(on_tty LC_ALL=C.UTF-8 TERM=xterm -- --progress never -n 1 demo)
printf '%s\n' "$out" | grep -q 'reading files' &&
	fail "progress line with --progress never"
err=$("$exe" --progress always -j 1 -n 1 demo 2>&1 >/dev/null)
[ "$(printf '%s\n' "$err" | grep -c '^pooltrend: reading files: 48/48 (100%)$')" = 1 ] ||
	fail "not one final progress line into a pipe with --progress always"
err=$("$exe" -n 1 demo 2>&1 >/dev/null)
printf '%s\n' "$err" | grep -q 'reading files' &&
	fail "progress into a pipe without --progress always"

# Not a terminal: no colour even with a colour-capable TERM.
out=$(env -u NO_COLOR LC_ALL=C.UTF-8 TERM=xterm "$exe" -n 3 demo)
printf '%s\n' "$out" | is_report || fail "no report into a pipe"
printf '%s\n' "$out" | has_escape && fail "colour when stdout is a pipe"
exit $status
