#!/bin/sh
# Output and input safety of the CLI:
#   -o writes the whole report or nothing, failed writes exit 3,
#   inputs are never modified.
#   cli_io.sh POOLTREND TESTDATA
set -u
# The owner column must not depend on the developer's environment.
unset POOLTAG_FILE
exe=$1 data=$2
case $exe in /*) ;; *) exe=$PWD/$exe ;; esac
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
[ -z "$(find "$work" -name '.pooltrend-*')" ] || fail "temporary file left"

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

# -o and --svg never write over what pooltrend reads: an input given by
# name, by another name (a link), as a file of an input directory, the
# baseline, the pooltag file; exit 2, naming it, nothing written.
cp -R "$data/demo" "$work/set"
first="$work/set/poolmonlog1.txt"
sum_first=$(cksum < "$first")
ln -s "$first" "$work/link-to-input"
printf 'Leak - leak.sys - a driver\n' > "$work/tags.txt"
"$exe" -q -f json -o "$work/base.json" "$work/set" || fail "baseline not written"
sum_base=$(cksum < "$work/base.json")
sum_tags=$(cksum < "$work/tags.txt")
refused() {
	# refused WHAT ARGS...: exit 2 with a message naming what is read
	what=$1; shift
	"$exe" "$@" > /dev/null 2> "$work/err"
	rc=$?
	[ $rc -eq 2 ] || fail "$what: exited $rc, not 2"
	grep -q 'never writes over what it reads' "$work/err" ||
		fail "$what: no message"
}
refused "-o over the input" -o "$first" "$first"
refused "-o over a file of an input directory" -o "$first" "$work/set"
refused "-o over a link to an input" -o "$work/link-to-input" "$work/set"
mkdir "$work/set2"
cp "$first" "$work/elsewhere.txt"
ln -s "$work/elsewhere.txt" "$work/set2/linked.txt"
sum_elsewhere=$(cksum < "$work/elsewhere.txt")
refused "-o over a link of an input directory" -o "$work/set2/linked.txt" "$work/set2"
[ "$(cksum < "$work/elsewhere.txt")" = "$sum_elsewhere" ] || fail "a linked input was written over"
refused "-o over the baseline" --baseline "$work/base.json" -o "$work/base.json" "$work/set"
refused "-o over the pooltag file" --pooltag "$work/tags.txt" -o "$work/tags.txt" "$work/set"
refused "--svg over an input" show Drsd --svg "$first" "$work/set"
refused "diff -o over an input" diff -o "$first" "$work/set"
[ "$(cksum < "$first")" = "$sum_first" ] || fail "an input was written over"
[ "$(cksum < "$work/base.json")" = "$sum_base" ] || fail "the baseline was written over"
[ "$(cksum < "$work/tags.txt")" = "$sum_tags" ] || fail "the pooltag file was written over"
[ -L "$work/link-to-input" ] || fail "the link was replaced"
"$exe" -q show Drsd -o - --svg - "$work/set" > /dev/null 2> "$work/err"
[ $? -eq 2 ] || fail "-o - and --svg - together were not refused"

# An empty name is a usage error before any work, not a late I/O error.
"$exe" -q -o '' "$work/set" > /dev/null 2> "$work/err"
[ $? -eq 2 ] || fail "-o '' was not a usage error"
grep -q -- '-o needs a file name' "$work/err" || fail "-o '': no message"

# -o - is standard output, as --svg - is.
(cd "$work" && "$exe" -q -o - set > dash.txt) || fail "-o - failed"
grep -q '^pooltrend: 48 files' "$work/dash.txt" || fail "-o - did not write to stdout"
[ -e "$work/-" ] && fail "-o - created a file named -"

# -o through a symbolic link replaces the file it points to; the link stays.
echo old > "$work/real.txt"
ln -s "$work/real.txt" "$work/via-link"
"$exe" -q -o "$work/via-link" "$work/set" || fail "-o through a link failed"
[ -L "$work/via-link" ] || fail "-o replaced the symbolic link"
grep -q '^pooltrend: 48 files' "$work/real.txt" || fail "-o did not write the link's file"

# A FIFO is written into, not replaced by a file.
mkfifo "$work/fifo"
cat "$work/fifo" > "$work/from-fifo" &
reader=$!
"$exe" -q -o "$work/fifo" "$work/set" || fail "-o into a FIFO failed"
if [ -p "$work/fifo" ]; then
	wait $reader
else
	fail "the FIFO was replaced"
	kill $reader 2>/dev/null
fi
grep -q '^pooltrend: 48 files' "$work/from-fifo" || fail "nothing came out of the FIFO"

# A name near NAME_MAX works: the temporary name is short.
long=$(printf 'r%.0s' $(seq 1 250))
"$exe" -q -o "$work/$long" "$work/set" || fail "-o with a 250-byte name failed"

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
