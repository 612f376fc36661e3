#!/bin/sh
# Bad-input catalogue: every damaged, hostile or unusual input is generated
# here at test time (nothing large is committed) and pooltrend must
#   - exit with the documented status (0 when a good input is left, 3 when
#     nothing usable is left),
#   - name the file, and the line where one applies, in the exact message,
#   - still analyse the rest of the input (report header and the good
#     file's tags on standard output),
#   - never crash or hang (status < 128, no sanitizer report, timeout 20).
#
#   bad_inputs.sh POOLTREND TESTDATA
#
# One line per check ("ok NAME" or "FAIL NAME: why"), then
# "bad_inputs: N passed, M failed"; exits 1 on any failure.  Checks that
# wait for a feature in progress say so in their name and are skipped,
# with a "skip" line, until the binary has the feature.  See tests/README.md.
set -u
# The owner column must not depend on the developer's environment.
unset POOLTAG_FILE
[ $# -eq 2 ] || { echo "usage: bad_inputs.sh POOLTREND TESTDATA" >&2; exit 99; }
# Absolute paths: the checks run in a temporary directory.
exe=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
data=$(cd "$2" && pwd)
[ -x "$exe" ] || { echo "bad_inputs: $exe is not executable" >&2; exit 99; }
good_src=$data/partial-bad-file/good.log
[ -f "$good_src" ] || { echo "bad_inputs: $good_src missing" >&2; exit 99; }

work=$(mktemp -d) || exit 99
bg_pids=
cleanup() {
	for p in $bg_pids; do kill "$p" 2>/dev/null; done
	chmod -R u+rwx "$work" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 99' INT TERM HUP
cd "$work" || exit 99

export LC_ALL=C TZ=UTC NO_COLOR=
# Under -Db_sanitize: stop at the first UBSan report; keep leak checks.
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1: $2"; }
skip() { echo "skip $1: $2"; }
# A known bug outside this catalogue's reach, reported and not yet fixed:
# the check runs, the expected (correct) outcome is stated, and the line
# reads "xfail".  When the bug is fixed it reads "FAIL ... unexpected
# pass" so that the mark is removed.
known=0
known_bug_rc() { # CASE EXPECTED-RC BUG
	if [ "$rc" -eq "$2" ]; then
		fail "$1: exit status $2 [known bug: $3]" "unexpected pass: the bug is fixed, turn this into expect_rc"
	else
		known=$((known + 1))
		echo "xfail $1: exit status $2 [known bug: $3] (got $rc)"
	fi
}

# pt CASE ARGS...: run pooltrend with stdin from /dev/null (or $PT_STDIN),
# keeping CASE.out, CASE.err and the status in $rc.
pt() {
	name=$1
	shift
	# PT_AS is a command prefix (setpriv ...): split on purpose.
	# shellcheck disable=SC2086
	timeout 20 ${PT_AS:-} "$exe" "$@" < "${PT_STDIN:-/dev/null}" > "$name.out" 2> "$name.err"
	rc=$?
}

# Checks on the last pt run.
no_crash() {
	if [ "$rc" -eq 124 ]; then
		fail "$1: no hang" "timed out after 20 s"
	elif [ "$rc" -ge 128 ]; then
		fail "$1: no crash" "killed by signal $((rc - 128))"
	elif grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer' "$1.err"; then
		fail "$1: no crash" "sanitizer report: $(grep -Em1 'Sanitizer|runtime error' "$1.err")"
	else
		ok "$1: no crash (status $rc)"
	fi
}
expect_rc() {
	if [ "$rc" -eq "$2" ]; then ok "$1: exit status $2"
	else fail "$1: exit status $2" "got $rc; stderr: $(head -c 300 "$1.err")"; fi
}
# expect_err CASE TEXT: TEXT is one whole line of standard error.
expect_err() {
	if grep -Fxq -- "$2" "$1.err"; then ok "$1: says '$2'"
	else fail "$1: says '$2'" "stderr: $(head -c 600 "$1.err")"; fi
}
# expect_err_has CASE TEXT: TEXT appears somewhere in standard error.
expect_err_has() {
	if grep -Fq -- "$2" "$1.err"; then ok "$1: stderr mentions '$2'"
	else fail "$1: stderr mentions '$2'" "stderr: $(head -c 600 "$1.err")"; fi
}
expect_err_lacks() {
	if grep -Fq -- "$2" "$1.err"; then fail "$1: stderr lacks '$2'" "$(grep -Fm1 -- "$2" "$1.err")"
	else ok "$1: stderr lacks '$2'"; fi
}
expect_out_lacks() {
	if grep -Fq -- "$2" "$1.out"; then fail "$1: report lacks '$2'" "$(grep -Fm1 -- "$2" "$1.out")"
	else ok "$1: report lacks '$2'"; fi
}
expect_out_has() {
	if grep -Fq -- "$2" "$1.out"; then ok "$1: report has '$2'"
	else fail "$1: report has '$2'" "stdout: $(head -c 400 "$1.out")"; fi
}
# The good file was analysed: the summary names its 12 snapshots and the
# leaking tag of good.log is ranked first as likely.
expect_good_report() {
	if grep -Eq '^pooltrend: [0-9]+ files?, 12 snapshots over 11\.0 h \(2026-11-02T08:00:00 to 2026-11-02T19:00:00' "$1.out" &&
			grep -Eq '^1  Leak  nonpaged  likely ' "$1.out"; then
		ok "$1: rest of the input analysed (12 snapshots, Leak likely)"
	else
		fail "$1: rest of the input analysed (12 snapshots, Leak likely)" "stdout: $(head -c 400 "$1.out")"
	fi
}
expect_no_report() {
	if [ -s "$1.out" ]; then fail "$1: no report" "stdout: $(head -c 200 "$1.out")"
	else ok "$1: no report"; fi
}

cp "$good_src" good.log || exit 99
# good.log: 12 CRLF x64 -r -g -e snapshots, 2026-11-02T08:00 .. 19:00, 17 lines
# a snapshot; the first Leak row is line 11, the last one line 197, 204 lines.
last_leak=$(grep -n '^ Leak ' good.log | tail -n 1 | cut -d: -f1)
if [ "$last_leak" != 197 ] || [ "$(wc -l < good.log)" -ne 204 ]; then
	echo "bad_inputs: $good_src is not the expected file" >&2
	exit 99
fi

# replace_first_leak FILE ROW: good.log with its first Leak row replaced.
replace_first_leak() {
	awk -v row="$2" '/^ Leak / && !done { print row "\r"; done = 1; next } { print }' good.log > "$1"
}

# --- empty file -----------------------------------------------------------
: > empty.txt
pt empty empty.txt good.log
no_crash empty; expect_rc empty 0
expect_err empty 'pooltrend: empty.txt: no poolmon snapshot found (the file is empty)'
expect_good_report empty
pt empty-alone empty.txt
no_crash empty-alone; expect_rc empty-alone 3
expect_err empty-alone 'pooltrend: empty.txt: no poolmon snapshot found (the file is empty)'
expect_err empty-alone 'pooltrend: no poolmon snapshot with rows in 1 file'
expect_no_report empty-alone

# --- binary garbage (4 KiB of fixed pseudo-random bytes, NULs included) --
printf '%b' "$(awk 'BEGIN { srand(7); for (i = 0; i < 4096; i++) printf "\\0%03o", int(rand() * 256) }')" > garbage.bin
[ "$(wc -c < garbage.bin)" -eq 4096 ] || fail "garbage: generator" "garbage.bin is $(wc -c < garbage.bin) bytes"
pt garbage garbage.bin good.log
no_crash garbage; expect_rc garbage 0
expect_err_has garbage 'pooltrend: garbage.bin: no poolmon snapshot found'
expect_good_report garbage
PT_STDIN=garbage.bin pt garbage-stdin -
no_crash garbage-stdin; expect_rc garbage-stdin 3
expect_err garbage-stdin 'pooltrend: <stdin>: no poolmon snapshot found'
expect_err garbage-stdin 'pooltrend: no poolmon snapshot with rows in 1 file'
# /dev/urandom too: not reproducible, so only "no crash" and the status.
head -c 65536 /dev/urandom > urandom.bin
pt urandom urandom.bin good.log
no_crash urandom; expect_rc urandom 0; expect_good_report urandom

# --- a PNG renamed .txt ---------------------------------------------------
{ printf '\211PNG\r\n\032\n\000\000\000\rIHDR'; head -c 2048 garbage.bin; } > chart.txt
pt png chart.txt good.log
no_crash png; expect_rc png 0
expect_err png 'pooltrend: chart.txt: no poolmon snapshot found (it is a PNG image)'
expect_good_report png

# --- UTF-16LE without a BOM -----------------------------------------------
if iconv -f UTF-8 -t UTF-16LE good.log > utf16-nobom.txt 2>/dev/null; then
	pt utf16-nobom utf16-nobom.txt good.log
	no_crash utf16-nobom; expect_rc utf16-nobom 0
	expect_err utf16-nobom 'pooltrend: utf16-nobom.txt: no poolmon snapshot found (it looks like UTF-16 without a byte-order mark; re-save it as UTF-8 or with a BOM)'
	expect_good_report utf16-nobom
	# the same with a BOM is read (the control case)
	{ printf '\377\376'; cat utf16-nobom.txt; } > utf16-bom.txt
	pt utf16-bom utf16-bom.txt
	no_crash utf16-bom; expect_rc utf16-bom 0
	expect_err utf16-bom 'pooltrend: utf16-bom.txt: note: decoded from utf-16le'
	expect_good_report utf16-bom
else
	skip utf16 "iconv cannot write UTF-16LE here"
fi

# --- a file cut in the middle of a row, of a number, of a UTF-16 unit ----
# cut-row: the last Leak row stops after "5154  " (no newline at the end).
{ head -n $((last_leak - 1)) good.log; sed -n "${last_leak}p" good.log | head -c 30; } > cut-row.txt
pt cut-row cut-row.txt
no_crash cut-row; expect_rc cut-row 0
expect_err cut-row 'pooltrend: cut-row.txt:197: note: 1 line not recognised and skipped (first here)'
expect_good_report cut-row
# cut-number: stops inside Bytes ("2801" of 280128): four numbers, skipped.
{ head -n $((last_leak - 1)) good.log; sed -n "${last_leak}p" good.log | head -c 80; } > cut-number.txt
tail -c 4 cut-number.txt | grep -q '2801$' || fail "cut-number: generator" "$(tail -c 20 cut-number.txt)"
pt cut-number cut-number.txt
no_crash cut-number; expect_rc cut-number 0
expect_err cut-number 'pooltrend: cut-number.txt:197: note: 1 line not recognised and skipped (first here)'
expect_good_report cut-number
# cut-per-alloc: stops inside Per Alloc ("9" of 96), the last number: the
# row is complete enough, and Per Alloc is recomputed, so Leak's last value
# is still exact (280128 B = 274 KB) and nothing is skipped.
{ head -n $((last_leak - 1)) good.log; sed -n "${last_leak}p" good.log | head -c 98; } > cut-per-alloc.txt
tail -c 3 cut-per-alloc.txt | grep -q ' 9$' || fail "cut-per-alloc: generator" "$(tail -c 20 cut-per-alloc.txt)"
pt cut-per-alloc cut-per-alloc.txt
no_crash cut-per-alloc; expect_rc cut-per-alloc 0
expect_err_lacks cut-per-alloc 'not recognised'
expect_out_has cut-per-alloc '46.9 KB ->  274 KB  11.0 h'
expect_good_report cut-per-alloc
if [ -s utf16-bom.txt ]; then
	# cut-utf16: a UTF-16LE file with a BOM, one byte short (half a unit).
	head -c $(($(wc -c < utf16-bom.txt) - 1)) utf16-bom.txt > cut-utf16.txt
	pt cut-utf16 cut-utf16.txt
	no_crash cut-utf16; expect_rc cut-utf16 0
	expect_err cut-utf16 'pooltrend: cut-utf16.txt: warning: UTF-16 text ends in the middle of a character (file cut short?)'
	expect_good_report cut-utf16
	# cut-utf16-row: cut in the middle of a row and of a unit at once.
	{ printf '\377\376'; { head -n $((last_leak - 1)) good.log; sed -n "${last_leak}p" good.log | head -c 30; } |
		iconv -f UTF-8 -t UTF-16LE; printf 'x'; } > cut-utf16-row.txt
	pt cut-utf16-row cut-utf16-row.txt
	no_crash cut-utf16-row; expect_rc cut-utf16-row 0
	expect_err cut-utf16-row 'pooltrend: cut-utf16-row.txt: warning: UTF-16 text ends in the middle of a character (file cut short?)'
	expect_err cut-utf16-row 'pooltrend: cut-utf16-row.txt:197: note: 1 line not recognised and skipped (first here)'
	expect_good_report cut-utf16-row
	# cut-surrogate: ends with half a surrogate pair (U+D83D alone); it
	# becomes a "?" line, skipped at its line.
	{ cat utf16-bom.txt; printf '\075\330'; } > cut-surrogate.txt
	pt cut-surrogate cut-surrogate.txt
	no_crash cut-surrogate; expect_rc cut-surrogate 0
	expect_err cut-surrogate 'pooltrend: cut-surrogate.txt:205: note: 1 line not recognised and skipped (first here)'
	expect_err cut-surrogate "pooltrend: cut-surrogate.txt:205: warning: UTF-16 text holds an unpaired surrogate, shown as '?' (file damaged?)"
	expect_good_report cut-surrogate
	# surrogate-mid: a low surrogate alone in the driver text of line 8;
	# the warning names that line like every other message.
	{ printf '\377\376'; head -n 7 good.log | iconv -f UTF-8 -t UTF-16LE
	  sed -n 8p good.log | sed 's/objects]\r$/objects/' | tr -d '\n' | iconv -f UTF-8 -t UTF-16LE
	  printf '\000\334]\000\r\000\n\000'
	  sed -n '9,$p' good.log | iconv -f UTF-8 -t UTF-16LE; } > surrogate-mid.txt
	pt surrogate-mid surrogate-mid.txt
	no_crash surrogate-mid; expect_rc surrogate-mid 0
	expect_err surrogate-mid "pooltrend: surrogate-mid.txt:8: warning: UTF-16 text holds an unpaired surrogate, shown as '?' (file damaged?)"
	expect_good_report surrogate-mid
fi

# --- UTF-32 (poolmon never writes it): recognised by its BOM, not read ---
if iconv -f UTF-8 -t UTF-32LE good.log > utf32le.body 2>/dev/null &&
		iconv -f UTF-8 -t UTF-32BE good.log > utf32be.body 2>/dev/null; then
	{ printf '\377\376\000\000'; cat utf32le.body; } > utf32le.txt
	{ printf '\000\000\376\377'; cat utf32be.body; } > utf32be.txt
	pt utf32 utf32le.txt utf32be.txt good.log
	no_crash utf32; expect_rc utf32 0
	expect_err utf32 'pooltrend: utf32le.txt: no poolmon snapshot found (it is UTF-32 text, which is not read; re-save it as UTF-8 or UTF-16)'
	expect_err utf32 'pooltrend: utf32be.txt: no poolmon snapshot found (it is UTF-32 text, which is not read; re-save it as UTF-8 or UTF-16)'
	expect_err_lacks utf32 'UTF-16 without'
	expect_err_lacks utf32 'decoded from'
	expect_good_report utf32
	# a UTF-32 pooltag.txt is refused, not read as an empty table
	printf 'Leak - leaky.sys - test leak\r\n' | iconv -f UTF-8 -t UTF-32LE > pooltag32.body
	{ printf '\377\376\000\000'; cat pooltag32.body; } > pooltag32.txt
	pt pooltag-utf32 --pooltag pooltag32.txt good.log
	no_crash pooltag-utf32; expect_rc pooltag-utf32 3
	expect_err pooltag-utf32 'pooltrend: pooltag32.txt: UTF-32 text, which is not read; re-save it as UTF-8 or UTF-16'
else
	skip utf32 "iconv cannot write UTF-32 here"
fi

# --- lone CRs (no LF after them) -----------------------------------------
# They are line ends, as ever; next to LF line ends they are warned about
# (once per file, at the first), since a CR inside a row cuts it in two:
# "Le\rk" is read as a junk line and a row of tag "k".  --strict fails.
awk '/^ Leak / && !done { sub(/Leak/, "Le\rk"); done = 1 } { print }' good.log > lone-cr.txt
pt lone-cr -f json lone-cr.txt
no_crash lone-cr; expect_rc lone-cr 0
expect_err lone-cr 'pooltrend: lone-cr.txt:11: warning: mixed line ends: 1 carriage return without a line feed read as line ends (first here); a row cut by one is read as two lines'
expect_out_has lone-cr '"tag":	"k   "'
pt lone-cr-strict --strict lone-cr.txt
no_crash lone-cr-strict; expect_rc lone-cr-strict 3
# A file with CR line ends only: read, no warning.
tr -d '\n' < good.log > cr-only.txt
pt cr-only cr-only.txt
no_crash cr-only; expect_rc cr-only 0
expect_err_lacks cr-only 'mixed line ends'
expect_good_report cr-only
# LF line ends, then a section with CR line ends (a log appended to on
# another system): every snapshot is read, and the first CR named.
tr -d '\r' < good.log | sed -n '1,100p' > lf-then-cr.txt
sed -n '101,$p' good.log | tr -d '\n' >> lf-then-cr.txt
pt lf-then-cr lf-then-cr.txt
no_crash lf-then-cr; expect_rc lf-then-cr 0
expect_err_has lf-then-cr 'pooltrend: lf-then-cr.txt:101: warning: mixed line ends:'
expect_good_report lf-then-cr
# A CR at the start of a row, and "row\r " before the CR LF: the row is
# read (the CR ends an empty line, or the row), with the warning.
awk '/^ Leak / && !done { sub(/^ Leak/, "\r Leak"); done = 1 } { print }' good.log > lead-cr.txt
awk '/^ Leak / && !done { sub(/\r$/, "\r \r"); done = 1 } { print }' good.log > trail-cr.txt
pt good-json -f json good.log
grep -v '"warnings":' good-json.out > good-json.body
for f in lead-cr trail-cr; do
	pt $f -f json $f.txt
	no_crash $f; expect_rc $f 0
	expect_err_has $f "pooltrend: $f.txt:11: warning: mixed line ends: 1 carriage return without a line feed"
	if grep -v '"warnings":' $f.out | cmp -s - good-json.body; then
		ok "$f: the report of good.log, but for the warning"
	else
		fail "$f: the report of good.log, but for the warning" "$(grep -v '"warnings":' $f.out | diff - good-json.body | head -n 5)"
	fi
done
pt lead-cr-strict --strict lead-cr.txt
no_crash lead-cr-strict; expect_rc lead-cr-strict 3
expect_err_has lead-cr-strict 'mixed line ends; no report'
# CR CR LF line ends (CR LF written through a text-mode stream) read as
# CR LF, with the same line numbers in messages, and no warning
sed 's/\r$/\r\r/' cut-row.txt > crcrlf.txt
pt crcrlf crcrlf.txt
no_crash crcrlf; expect_rc crcrlf 0
expect_err crcrlf 'pooltrend: crcrlf.txt:197: note: 1 line not recognised and skipped (first here)'
expect_err_lacks crcrlf 'mixed line ends'
expect_good_report crcrlf
# A pooltag.txt with CR line ends (after an LF one): every owner is found.
printf 'rem custom\nLeak - leak.sys - first entry\rFile - evil.sys - second\r' > pooltag-cr.txt
pt pooltag-cr -f json --pooltag pooltag-cr.txt good.log
no_crash pooltag-cr; expect_rc pooltag-cr 0
expect_out_has pooltag-cr '"leak.sys"'
expect_out_lacks pooltag-cr 'second'

# --- Avail above Memory in a -r summary -----------------------------------
# poolmon cannot print it: the Avail of the last snapshot's Memory: line
# is not used, said at its line with the file's text, and the
# time-to-exhaustion note says so instead of claiming there were no
# summary lines.
last_mem=$(grep -n ' Memory:' good.log | tail -n 1 | cut -d: -f1)
sed "${last_mem}s/Avail:[ 0-9]*K/Avail:99999999K/" good.log > avail.txt
pt avail -f json avail.txt
no_crash avail; expect_rc avail 0
expect_err avail "pooltrend: avail.txt:${last_mem}: warning: -r summary Avail 99999999K exceeds Memory 33356024K (a damaged line, or a machine past 4 TiB whose counters wrap): Avail not used (no time to exhaustion from this line)"
expect_out_has avail '"tte_note":	"-r summary Avail not used (see its warning), rates only"'
expect_out_lacks avail 'no -r summary lines'
# Memory and PageFlts of that line are still used: a page-fault count
# that falls there is still a reboot.
sed -e '105s/Avail:[ 0-9]*K/Avail:99999999K/' -e '105s/PageFlts:[0-9]*/PageFlts:1000/' good.log > avail-reboot.txt
pt avail-reboot avail-reboot.txt
no_crash avail-reboot; expect_rc avail-reboot 0
expect_err_has avail-reboot 'pooltrend: avail-reboot.txt:105: warning: -r summary Avail 99999999K exceeds Memory'
expect_err_has avail-reboot 'reboot detected before this snapshot (the cumulative page-fault count fell)'
# Memory and Avail printed negative (32-bit prints past 2 TiB): read
# modulo 2^32 as ever, not compared, nothing to warn about.
sed 's/Memory:33356024K Avail:[ 0-9]*K/Memory:-2147483648K Avail:-1073741824K/' good.log > tib.txt
pt tib --strict tib.txt
no_crash tib; expect_rc tib 0
expect_err_lacks tib 'exceeds'
# the same in the text report, for a Commit: line with a number out of
# range (paged pool grows a little in good.log)
last_commit=$(grep -n ' Commit:' good.log | tail -n 1 | cut -d: -f1)
sed "${last_commit}s/Limit:[ 0-9]*K/Limit:99999999999K/" good.log > commit-range.txt
pt commit-range commit-range.txt
no_crash commit-range; expect_rc commit-range 0
expect_err commit-range "pooltrend: commit-range.txt:${last_commit}: warning: summary line with a number out of range ignored"
expect_out_has commit-range '; -r summary not used (see its warning), so no time to exhaustion'
expect_out_lacks commit-range 'no -r summary'

# --- 10 MB on one line ----------------------------------------------------
head -c 10485760 /dev/zero | tr '\0' 'A' > long-line.txt
pt long-line long-line.txt good.log
no_crash long-line; expect_rc long-line 0
expect_err long-line 'pooltrend: long-line.txt: no poolmon snapshot found'
expect_good_report long-line
# after the snapshots, with a line end: skipped and located
{ cat good.log; cat long-line.txt; printf '\r\n'; } > long-tail.txt
pt long-tail long-tail.txt
no_crash long-tail; expect_rc long-tail 0
expect_err long-tail 'pooltrend: long-tail.txt:205: warning: line longer than 65536 bytes skipped'
expect_err long-tail 'pooltrend: long-tail.txt:205: note: 1 line not recognised and skipped (first here)'
expect_good_report long-tail
# a 10 MB line that starts like a row (a 10-million-digit Allocs)
{ printf ' Leak Nonp '; head -c 10485760 /dev/zero | tr '\0' '1'; printf ' 1 1 1 1\n'; } > long-row.txt
pt long-row long-row.txt good.log
no_crash long-row; expect_rc long-row 0
expect_err long-row 'pooltrend: long-row.txt: no poolmon snapshot found'
expect_good_report long-row

# --- numbers with 30 digits; negative and overflowing values --------------
replace_first_leak digits30.txt ' Leak Nonp    123456789012345678901234567890               1058               500          48000               96        Unknown Driver'
pt digits30 digits30.txt
no_crash digits30; expect_rc digits30 0
expect_err digits30 'pooltrend: digits30.txt:11: warning: row with a number out of range ignored'
expect_err digits30 'pooltrend: digits30.txt:11: note: 1 line not recognised and skipped (first here)'
expect_good_report digits30
# x64 row with Allocs -5: x64 poolmon never prints a negative count (it was
# read as 4294967291 and then "unwrapped" as a fake 32-bit wrap).
replace_first_leak x64-negative.txt ' Leak Nonp                  -5               1058               500          48000               96        Unknown Driver'
pt x64-negative x64-negative.txt
no_crash x64-negative; expect_rc x64-negative 0
expect_err x64-negative 'pooltrend: x64-negative.txt:11: warning: x64 row with a negative Allocs, Frees or Bytes ignored (only x86 poolmon prints negative counts)'
expect_err_lacks x64-negative 'counter wrap'
expect_err_lacks x64-negative 'read as unsigned 32-bit'
expect_good_report x64-negative
# Bytes 2^63: one past int64
replace_first_leak bytes-2p63.txt ' Leak Nonp                1558               1058               500 9223372036854775808               96        Unknown Driver'
pt bytes-2p63 bytes-2p63.txt
no_crash bytes-2p63; expect_rc bytes-2p63 0
expect_err bytes-2p63 'pooltrend: bytes-2p63.txt:11: warning: row with a number out of range ignored'
expect_good_report bytes-2p63
# Bytes just under 2^53-1 with the snapshot's other nonpaged rows (2^53-1
# is the most one pool's rows may add up to): accepted and shown exactly
replace_first_leak bytes-max.txt ' Leak Nonp                1558               1058               500 9007199000000000               96        Unknown Driver'
pt bytes-max -f json bytes-max.txt
no_crash bytes-max; expect_rc bytes-max 0
expect_err_lacks bytes-max 'ignored'
expect_out_has bytes-max '"bytes_first":	9007199000000000'
# Bytes 2^63-1 fits an int64 but no pool: refused with a warning naming
# the line, never clamped in the pool totals (which once said 2^63-1)
replace_first_leak bytes-2p63m1.txt ' Leak Nonp                1558               1058               500 9223372036854775807               96        Unknown Driver'
pt bytes-2p63m1 -f json bytes-2p63m1.txt
no_crash bytes-2p63m1; expect_rc bytes-2p63m1 0
expect_err bytes-2p63m1 'pooltrend: bytes-2p63m1.txt:11: warning: row with Bytes above 2^53-1 (8 PiB, more than any pool holds) ignored'
expect_err_lacks bytes-2p63m1 'more lines'
expect_out_lacks bytes-2p63m1 '9223372036854775807'
# Rows each in range whose sum in one snapshot's pool passes 2^53-1: all
# kept, the snapshot named once at its header
awk '/^ Leak /{ print " Leak Nonp                1558               1058               500 4503599627370496               96        Unknown Driver\r"; print " Lea2 Nonp                1558               1058               500 4503599627370496               96        Unknown Driver\r"; next } { print }' good.log > bytes-sum.txt
pt bytes-sum -f json bytes-sum.txt
no_crash bytes-sum; expect_rc bytes-sum 0
expect_err bytes-sum "pooltrend: bytes-sum.txt:6: warning: snapshot's nonpaged total is past 2^53-1 bytes (8 PiB, more than any pool holds): not exact for JSON readers that use doubles, and held at 2^63-1 past that"
expect_out_has bytes-sum '"tag":	"Lea2"'
expect_out_lacks bytes-sum '9223372036854775807'
# Each kind of content warning has its own cap of 20 a file: 12 pool
# totals and 12 Avail lines, then a row left out (Bytes 2^53) in the last
# snapshot is still named with its line (one shared cap left it a count)
sed 's/Avail:[ 0-9]*K/Avail:99999999K/' bytes-sum.txt |
	awk '/^ Lea2 /{ n++ } /^ Lea2 / && n == 12 { sub(/4503599627370496/, "9007199254740992") } { print }' > caps.txt
caps_row=$(grep -n '9007199254740992' caps.txt | cut -d: -f1)
pt caps caps.txt
no_crash caps; expect_rc caps 0
expect_err caps "pooltrend: caps.txt:${caps_row}: warning: row with Bytes above 2^53-1 (8 PiB, more than any pool holds) ignored"
expect_err_lacks caps 'more lines with numbers out of range'

# --- a header with no rows; rows with no header ---------------------------
sed -n 1,7p good.log > header-only.txt
pt header-only header-only.txt good.log
no_crash header-only; expect_rc header-only 0
expect_err header-only 'pooltrend: header-only.txt:6: warning: snapshot has a header but no rows; ignored'
expect_good_report header-only
pt header-only-alone header-only.txt
no_crash header-only-alone; expect_rc header-only-alone 3
expect_err header-only-alone 'pooltrend: header-only.txt:6: warning: snapshot has a header but no rows; ignored'
expect_err header-only-alone 'pooltrend: no poolmon snapshot with rows in 1 file'
grep -v '^ Tag ' good.log > no-header.txt
pt no-header no-header.txt good.log
no_crash no-header; expect_rc no-header 0
expect_err no-header 'pooltrend: no-header.txt:7: warning: pool rows before any column header ignored'
expect_err no-header 'pooltrend: no-header.txt: no poolmon snapshot found'
expect_good_report no-header

# --- duplicated (tag, pool) rows in one snapshot --------------------------
# A second Leak row with absurd Bytes after each one: the first is kept.
awk '{ print } /^ Leak / { print " Leak Nonp                   1                  0                 1      999999999                1        Unknown Driver\r" }' good.log > duplicate.txt
pt duplicate duplicate.txt
no_crash duplicate; expect_rc duplicate 0
expect_err duplicate "pooltrend: duplicate.txt:12: warning: repeated row for tag 'Leak' (nonpaged) in one snapshot; the first is kept"
expect_err duplicate "pooltrend: duplicate.txt:209: warning: repeated row for tag 'Leak' (nonpaged) in one snapshot; the first is kept"
expect_out_has duplicate '46.9 KB ->  274 KB  11.0 h'
expect_good_report duplicate

# --- snapshots of two machines in one folder -----------------------------
# b.log: another machine (Memory: 16 GB instead of 32 GB), half an hour later.
mkdir machines
cp good.log machines/a.log
sed -e 's/Memory:33356024K/Memory:16669884K/' -e 's/T\(..\):00:00/T\1:30:00/' good.log > machines/b.log
pt machines machines
no_crash machines; expect_rc machines 0
expect_out_has machines ' 24 snapshots over 11.5 h'
# PENDING: the different-machines warning is being added by another
# engineer.  Enforced as soon as the binary contains the text.
if grep -aqF 'different machines' "$exe"; then
	expect_err_has machines 'different machines'
	if grep -Eq '^pooltrend: machines/b\.log:6: warning: .*different machines' machines.err; then
		ok "machines: the warning names machines/b.log:6"
	else
		fail "machines: the warning names machines/b.log:6" "stderr: $(head -c 600 machines.err)"
	fi
else
	skip "machines: warning mentions 'different machines' [PENDING feature]" "this pooltrend has no such warning yet"
fi

# --- a directory with unrelated files ------------------------------------
mkdir -p mixed/sub
cp good.log mixed/poolmon.log
echo 'notes from the incident call' > mixed/notes.md
cp chart.txt mixed/chart.png
: > mixed/.hidden
pt unrelated mixed
no_crash unrelated; expect_rc unrelated 0
expect_err unrelated 'pooltrend: mixed/notes.md: no poolmon snapshot found'
expect_err unrelated 'pooltrend: mixed/chart.png: no poolmon snapshot found (it is a PNG image)'
expect_err unrelated 'pooltrend: mixed/sub: note: skipping directory (not recursive)'
expect_err_lacks unrelated '.hidden'
expect_good_report unrelated

# --- unreadable files ----------------------------------------------------
# chmod 000 stops only non-root users; as root, run pooltrend as nobody.
mkdir locked
cp good.log locked/good.log
echo secret > locked/secret.txt
chmod 000 locked/secret.txt
as=
if [ "$(id -u)" -ne 0 ]; then
	as=none
elif command -v setpriv >/dev/null 2>&1 &&
		chmod 755 "$work" && chmod -R go+rX "$work/locked" 2>/dev/null && chmod 000 locked/secret.txt &&
		setpriv --reuid=65534 --regid=65534 --clear-groups "$exe" --version >/dev/null 2>&1; then
	as="setpriv --reuid=65534 --regid=65534 --clear-groups"
fi
if [ -n "$as" ]; then
	[ "$as" = none ] && as=
	PT_AS=$as pt unreadable locked/secret.txt locked/good.log
	no_crash unreadable; expect_rc unreadable 0
	expect_err unreadable 'pooltrend: locked/secret.txt: cannot open: Permission denied'
	expect_good_report unreadable
	PT_AS=$as pt unreadable-in-dir locked
	no_crash unreadable-in-dir; expect_rc unreadable-in-dir 0
	expect_err unreadable-in-dir 'pooltrend: locked/secret.txt: cannot open: Permission denied'
	expect_good_report unreadable-in-dir
	mkdir closed
	chmod 000 closed
	PT_AS=$as pt unreadable-dir closed good.log
	no_crash unreadable-dir; expect_rc unreadable-dir 0
	expect_err unreadable-dir 'pooltrend: closed: cannot open: Permission denied'
	expect_good_report unreadable-dir
else
	skip "unreadable (chmod 000)" "running as root and cannot switch to uid 65534 (no setpriv, or pooltrend not reachable); the entries below still test unreadable inputs"
fi
# Unreadable in other ways, whoever runs: a dangling symlink (operand and
# directory entry), and a file whose read fails (/proc/self/mem: EIO).
mkdir dangling
cp good.log dangling/good.log
ln -s "$work/no/such/file" dangling/gone.log
ln -s "$work/no/such/file" gone.log
pt dangling gone.log good.log
no_crash dangling; expect_rc dangling 0
expect_err dangling 'pooltrend: gone.log: cannot open: No such file or directory'
expect_good_report dangling
pt dangling-in-dir dangling
no_crash dangling-in-dir; expect_rc dangling-in-dir 0
expect_err dangling-in-dir 'pooltrend: dangling/gone.log: warning: skipping: No such file or directory'
expect_good_report dangling-in-dir
if [ -r /proc/self/mem ]; then
	pt read-error /proc/self/mem good.log
	no_crash read-error; expect_rc read-error 0
	expect_err read-error 'pooltrend: /proc/self/mem: cannot read: Input/output error'
	expect_good_report read-error
else
	skip read-error "no /proc/self/mem"
fi

# --- a symlink loop ------------------------------------------------------
mkdir loop
ln -s a loop/b
ln -s b loop/a
pt loop loop/a good.log
no_crash loop; expect_rc loop 0
expect_err loop 'pooltrend: loop/a: cannot open: Too many levels of symbolic links'
expect_good_report loop
pt loop-alone loop/a
no_crash loop-alone; expect_rc loop-alone 3
expect_err loop-alone 'pooltrend: no input file to read'
cp good.log loop/good.log
pt loop-in-dir loop
no_crash loop-in-dir; expect_rc loop-in-dir 0
expect_err loop-in-dir 'pooltrend: loop/a: warning: skipping: Too many levels of symbolic links'
expect_err loop-in-dir 'pooltrend: loop/b: warning: skipping: Too many levels of symbolic links'
expect_good_report loop-in-dir

# --- a FIFO --------------------------------------------------------------
if mkfifo pipe 2>/dev/null; then
	# As an operand it is read as a stream.  The writer gives up after
	# 20 s, so neither side can hang the test.
	timeout 20 sh -c 'cat good.log > pipe' &
	writer=$!
	bg_pids="$bg_pids $writer"
	pt fifo pipe
	no_crash fifo; expect_rc fifo 0
	expect_good_report fifo
	wait "$writer"
	wrc=$?
	if [ "$wrc" -eq 0 ]; then ok "fifo: writer finished"
	else fail "fifo: writer finished" "writer status $wrc"; fi
	# Inside a directory it is skipped: opening it could block forever.
	mkdir fifodir
	cp good.log fifodir/good.log
	mkfifo fifodir/pipe
	pt fifo-in-dir fifodir
	no_crash fifo-in-dir; expect_rc fifo-in-dir 0
	expect_err fifo-in-dir 'pooltrend: fifodir/pipe: warning: skipping: not a regular file'
	expect_good_report fifo-in-dir
else
	skip fifo "mkfifo failed here"
fi

# --- a device given by name ---------------------------------------------
# /dev/zero never ends: it is reported and not read, never a hang.
if [ -c /dev/zero ]; then
	pt device /dev/zero good.log
	no_crash device; expect_rc device 0
	expect_err device 'pooltrend: /dev/zero: a device, not a file: not read'
	expect_good_report device
	pt device-alone /dev/zero
	no_crash device-alone; expect_rc device-alone 3
else
	skip device "no /dev/zero here"
fi

# --- --strict (PENDING: being added by another engineer) -----------------
# Any skipped input (unreadable file, file without snapshots, skipped
# lines) makes the run exit 3.  Enforced once --help lists --strict.
if timeout 20 "$exe" --help 2>/dev/null | grep -q -- --strict; then
	pt strict-unrelated --strict mixed
	no_crash strict-unrelated; expect_rc strict-unrelated 3
	expect_err strict-unrelated 'pooltrend: mixed/notes.md: no poolmon snapshot found'
	expect_err_has strict-unrelated 'pooltrend: --strict: '
	expect_no_report strict-unrelated
	pt strict-cut-row --strict cut-row.txt
	no_crash strict-cut-row; expect_rc strict-cut-row 3
	expect_err strict-cut-row 'pooltrend: --strict: 0 inputs left out, 1 line not understood; no report'
	# Directory entries skipped by the source scan (FIFO, dangling or
	# looping symlink) are warnings that --strict does not count yet.
	pt strict-fifo-in-dir --strict fifodir
	no_crash strict-fifo-in-dir
	expect_rc strict-fifo-in-dir 3
	pt strict-dangling-in-dir --strict dangling
	no_crash strict-dangling-in-dir
	expect_rc strict-dangling-in-dir 3
	pt strict-loop-in-dir --strict loop
	no_crash strict-loop-in-dir
	expect_rc strict-loop-in-dir 3
	pt strict-machines --strict machines
	no_crash strict-machines; expect_rc strict-machines 3
	expect_err_has strict-machines 'snapshots of different machines; no report'
	pt strict-missing --strict gone.log good.log
	no_crash strict-missing; expect_rc strict-missing 3
	pt strict-good --strict good.log
	no_crash strict-good; expect_rc strict-good 0
	expect_good_report strict-good
	# Past 1,000 stored messages an input left out still counts: 1,001
	# UTF-16 files (a note each, which --strict accepts), then an empty
	# one.  The notes beyond 1,000 are only counted; the error is kept.
	if head -n 17 good.log | iconv -f UTF-8 -t UTF-16 > u16.txt 2>/dev/null; then
		mkdir many
		# shellcheck disable=SC2046
		tee $(seq -f 'many/n%04g.txt' 0 1000) < u16.txt > /dev/null
		: > many/zz-empty.txt
		pt strict-past-cap --strict many
		no_crash strict-past-cap; expect_rc strict-past-cap 3
		expect_err strict-past-cap 'pooltrend: many/zz-empty.txt: no poolmon snapshot found (the file is empty)'
		expect_err_has strict-past-cap 'more messages not shown'
		expect_no_report strict-past-cap
	else
		skip strict-past-cap "iconv cannot write UTF-16 here"
	fi
else
	skip "strict-* [PENDING --strict]" "pooltrend --help does not list --strict yet"
fi

[ "$known" -eq 0 ] || echo "bad_inputs: $known known bugs (xfail lines), reported, not counted"
echo "bad_inputs: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
