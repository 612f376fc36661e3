#!/bin/sh
# Golden CLI test: run pooltrend as described by one testdata case and
# compare stdout, stderr and the exit status with the expected files.
#
#   golden.sh POOLTREND CASEDIR
#
# CASEDIR holds the inputs and:
#   cmd           the arguments, one per line (paths relative to CASEDIR)
#   expected.out  expected standard output
#   expected.rc   expected exit status (a number)
#   expected.err  expected standard error (optional; compared when present)
#   mtimes        optional lines "FILE YYYY-MM-DDTHH:MM:SSZ" applied before
#                 the run, because git does not keep modification times
#   stdin         optional file fed to standard input
#   uses          optional names of sibling testdata folders (one a line)
#                 copied in beside the case, so cases can share inputs
#   needs-drivers optional (empty): the test drivers built from
#                 tests/drivers (directory in PT_TEST_DRIVERS) are copied
#                 into drivers/ beside the case
#
# The case is copied to a temporary directory first, so the source tree is
# never touched.  With PT_GOLDEN_UPDATE=1 the expected files are rewritten
# from the actual output instead.
set -u
# The owner column must not depend on the developer's environment.
unset POOLTAG_FILE
# Absolute paths: the case runs in a temporary directory.
exe=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
case_dir=$(cd "$2" && pwd)
name=$(basename "$case_dir")
work=$(mktemp -d) || exit 99
trap 'rm -rf "$work"' EXIT
trap 'exit 99' INT TERM
cp -R "$case_dir"/. "$work"/ || exit 99
if [ -f "$case_dir/uses" ]; then
	while read -r shared; do
		[ -n "$shared" ] || continue
		cp -R "$case_dir/../$shared" "$work/$shared" || exit 99
	done < "$case_dir/uses"
fi
if [ -f "$case_dir/needs-drivers" ]; then
	if [ -z "${PT_TEST_DRIVERS:-}" ]; then
		echo "$name: needs PT_TEST_DRIVERS (run it through meson test)"
		exit 99
	fi
	mkdir "$work/drivers" && cp "$PT_TEST_DRIVERS"/*.sys "$work/drivers/" ||
		exit 99
fi
cd "$work" || exit 99

# Copies get the time of the copy, a few milliseconds apart on a busy
# machine: enough for a "timestamps disagree" warning.  One fixed time
# for all, unless the case sets its own.
find . -exec touch -h -d @1700000000 {} + || exit 99
if [ -f mtimes ]; then
	while read -r file stamp; do
		[ -n "$file" ] || continue
		TZ=UTC touch -d "$stamp" "$file" || exit 99
	done < mtimes
fi

set --
while IFS= read -r arg || [ -n "$arg" ]; do
	set -- "$@" "$arg"
done < cmd

stdin_file=/dev/null
[ -f stdin ] && stdin_file=stdin
# PT_EXEC_WRAPPER (e.g. valgrind) runs in front of pooltrend; unquoted on
# purpose, it is a command with arguments.
# shellcheck disable=SC2086
LC_ALL=C TZ=UTC NO_COLOR= ${PT_EXEC_WRAPPER:-} "$exe" "$@" < "$stdin_file" > actual.out 2> actual.err
rc=$?

if [ "${PT_GOLDEN_UPDATE:-0}" = 1 ]; then
	cp actual.out "$case_dir/expected.out"
	echo "$rc" > "$case_dir/expected.rc"
	[ -f "$case_dir/expected.err" ] && cp actual.err "$case_dir/expected.err"
	echo "$name: updated"
	exit 0
fi

status=0
expected_rc=$(cat expected.rc)
if [ "$rc" != "$expected_rc" ]; then
	echo "$name: exit status $rc, expected $expected_rc"
	cat actual.err
	status=1
fi
if ! diff -u expected.out actual.out; then
	echo "$name: standard output differs"
	status=1
fi
if [ -f expected.err ] && ! diff -u expected.err actual.err; then
	echo "$name: standard error differs"
	status=1
fi
exit $status
