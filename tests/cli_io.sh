#!/bin/sh
# Output and input safety of the CLI:
#   -o writes the whole report or nothing, failed writes exit 3,
#   inputs are never modified.
#   cli_io.sh POOLTREND TESTDATA
set -u
# The owner column must not depend on the developer's environment.
unset POOLTAG_FILE
exe=$1 data=$2
work=$(mktemp -d) || exit 99
full=""
cleanup() {
	[ -n "$full" ] && umount "$full" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 99' INT TERM
status=0
fail() { echo "FAIL: $*"; status=1; }

cp -R "$data/x64-append-crlf" "$work/in"
input="$work/in/poolmon.log"
before=$(cksum < "$input")
mtime_before=$(stat -c %Y "$input")

# -o: the report lands whole, and no temporary file is left behind.
"$exe" -q -f json -o "$work/report.json" "$input"
rc=$?
[ $rc -eq 0 ] || fail "-o exited $rc"
grep -q '"schema_version":	1' "$work/report.json" || fail "-o report incomplete"
[ -z "$(find "$work" -name 'report.json.tmp.*')" ] || fail "temporary file left"

# A new report gets the mode the umask allows, not mkstemp's 0600.
[ "$(umask 022; "$exe" -q -o "$work/mode.txt" "$input"; stat -c %a "$work/mode.txt")" = 644 ] ||
	fail "-o report mode is not 644 under umask 022"

# -o over an existing file replaces it.
echo old > "$work/old.txt"
"$exe" -q -o "$work/old.txt" "$input" || fail "-o over an existing file"
grep -q '^pooltrend: 1 file' "$work/old.txt" || fail "-o did not replace the file"

# -o into a missing directory: exit 3, a message, nothing created.
"$exe" -q -o "$work/nodir/r.txt" "$input" 2> "$work/err"
rc=$?
[ $rc -eq 3 ] || fail "-o into a missing directory exited $rc"
grep -q 'nodir/r.txt' "$work/err" || fail "no message naming the output"

# A full disk on standard output: exit 3 with a message.
if [ -w /dev/full ]; then
	"$exe" -q "$input" > /dev/full 2> "$work/err"
	rc=$?
	[ $rc -eq 3 ] || fail "stdout on /dev/full exited $rc"
	grep -q 'standard output' "$work/err" || fail "no message for /dev/full"
fi

# diff writes the same way: -o whole, a failed stdout exits 3.
"$exe" diff -q -f json -o "$work/diff.json" "$input" || fail "diff -o failed"
grep -q '"schema_version":	1' "$work/diff.json" || fail "diff -o report incomplete"
if [ -w /dev/full ]; then
	"$exe" diff -q "$input" > /dev/full 2> /dev/null
	rc=$?
	[ $rc -eq 3 ] || fail "diff to /dev/full exited $rc"
fi

# A full disk under -o: exit 3, the previous report intact, no temporary
# file left.  Needs root to mount a small tmpfs, inside our own
# temporary directory and nowhere else.
if [ "$(id -u)" = 0 ] && mkdir "$work/full" &&
		mount -t tmpfs -o size=8k tmpfs "$work/full" 2>/dev/null; then
	full="$work/full"
	echo previous > "$full/report.json"
	"$exe" -q -f json -o "$full/report.json" "$data/demo" 2> "$work/err"
	rc=$?
	[ $rc -eq 3 ] || fail "-o on a full disk exited $rc"
	grep -q 'report.json' "$work/err" || fail "no message for the full disk"
	[ "$(cat "$full/report.json")" = previous ] || fail "previous report damaged"
	[ "$(ls "$full")" = report.json ] || fail "temporary file left on the full disk"
	umount "$full" && full=""
else
	echo "cli_io: skipped the full-disk check (needs root and tmpfs)"
fi

# show --svg writes a whole SVG document beside the text view.
"$exe" show -q Leak:nonpaged --svg "$work/leak.svg" "$input" > "$work/show.txt"
rc=$?
[ $rc -eq 0 ] || fail "show --svg exited $rc"
head -c 4 "$work/leak.svg" | grep -q '<svg' || fail "--svg file does not start with <svg"
[ "$(tail -c 7 "$work/leak.svg")" = "</svg>" ] || fail "--svg file is not complete"
grep -q '^Leak  nonpaged  likely' "$work/show.txt" || fail "show text view missing"

# POOLTAG_FILE names owners when --pooltag is not given; --pooltag wins.
tags="$data/pooltag-owners/pooltag.txt"
POOLTAG_FILE="$tags" "$exe" -q "$data/x86-names/snaps" > "$work/env.txt"
grep -q 'nt!ps - Thread objects' "$work/env.txt" || fail "POOLTAG_FILE not used"
printf 'Thre - other.sys - from the option\n' > "$work/opt.txt"
POOLTAG_FILE="$tags" "$exe" -q --pooltag "$work/opt.txt" "$data/x86-names/snaps" > "$work/env.txt"
grep -q 'other.sys - from the option' "$work/env.txt" || fail "--pooltag did not win over POOLTAG_FILE"

# The input is untouched.
[ "$(cksum < "$input")" = "$before" ] || fail "input content changed"
[ "$(stat -c %Y "$input")" = "$mtime_before" ] || fail "input mtime changed"

# No input and a terminal on stdin would hang: usage error instead.
if command -v script >/dev/null 2>&1; then
	script -qec "$exe" /dev/null > "$work/tty" 2>&1
	grep -q 'no input given' "$work/tty" || fail "terminal stdin without input"
fi

# Colour only on a terminal, never with NO_COLOR, always with --color always.
if command -v script >/dev/null 2>&1; then
	esc=$(printf '\033')
	script -qec "\"$exe\" -q \"$input\"" /dev/null > "$work/tty" 2>&1
	grep -q "$esc\[1;31mlikely" "$work/tty" || fail "no colour on a terminal"
	NO_COLOR=1 script -qec "\"$exe\" -q \"$input\"" /dev/null > "$work/tty" 2>&1
	grep -q "$esc" "$work/tty" && fail "colour despite NO_COLOR"
	NO_COLOR=1 script -qec "\"$exe\" -q --color always \"$input\"" /dev/null > "$work/tty" 2>&1
	grep -q "$esc" "$work/tty" || fail "--color always did not override NO_COLOR"
fi
"$exe" -q "$input" | grep -q "$(printf '\033')" && fail "colour into a pipe"
"$exe" -q --color always -f json "$input" | grep -q "$(printf '\033')" && fail "colour in JSON"

[ $status -eq 0 ] && echo "cli_io: all checks passed"
exit $status
