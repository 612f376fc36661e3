#!/bin/sh
# Build the libFuzzer targets and fuzz each one for a while.
#   sh scripts/fuzz.sh [SECONDS_PER_TARGET]      (default 60)
# Environment:
#   FUZZ_TARGETS   targets to run (default "parse pipeline pooltag pe")
#   FUZZ_BUILDDIR  build directory (default build-fuzz)
#   FUZZ_ARGS      extra libFuzzer flags, e.g. "-jobs=2 -workers=2"
#
# The corpus in testdata/fuzz/TARGET is copied into BUILDDIR/fuzz-run
# first, so entries libFuzzer adds do not land in the repository; all of
# testdata/ is passed as a read-only seed directory.  Per target the script
# prints the seconds run, executions and the final cov:/ft: numbers.  It
# exits 1 when any target crashed (or leaked, timed out, ran out of
# memory), after printing the path of each crash file.
set -eu
cd "$(dirname "$0")/.."
secs=${1:-60}
builddir=${FUZZ_BUILDDIR:-build-fuzz}
targets=${FUZZ_TARGETS:-"parse pipeline pooltag pe"}
extra=${FUZZ_ARGS:-}

case $secs in
''|*[!0-9]*) echo "usage: sh scripts/fuzz.sh [SECONDS_PER_TARGET]" >&2; exit 2 ;;
esac

# Everything the build needs, plus clang with its sanitizer/libFuzzer
# runtime (need.sh installs only what dpkg does not list as installed).
sh scripts/need.sh meson ninja-build pkgconf libpcre2-dev libcjson-dev \
	clang libclang-rt-14-dev

# The library is instrumented too (fuzzer-no-link); without it libFuzzer
# sees only the harness and reports cov: 1.  werror is off because clang
# warns about things gcc does not, and a fuzz run should not depend on it;
# only the fuzz targets (and the library) are built.
if [ ! -f "$builddir/build.ninja" ]; then
	CC=clang CFLAGS=-fsanitize=fuzzer-no-link meson setup "$builddir" \
		-Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false \
		-Dwerror=false >"$builddir.setup.log" 2>&1 ||
		{ cat "$builddir.setup.log" >&2; exit 1; }
	rm -f "$builddir.setup.log"
fi
fuzz_exes=""
for t in $targets; do
	fuzz_exes="$fuzz_exes tests/fuzz/fuzz-$t"
done
# shellcheck disable=SC2086
if ! ninja -C "$builddir" $fuzz_exes >"$builddir/fuzz-build.log" 2>&1; then
	cat "$builddir/fuzz-build.log" >&2
	exit 1
fi
echo "fuzz: built $builddir/tests/fuzz/fuzz-*" >&2

# Sanitizer reports must stop the run so libFuzzer saves the input.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

status=0
for t in $targets; do
	exe=$builddir/tests/fuzz/fuzz-$t
	run=$builddir/fuzz-run/$t
	rm -rf "$run"
	mkdir -p "$run/corpus" "$run/artifacts"
	cp -R "testdata/fuzz/$t/." "$run/corpus/"
	start=$(date +%s)
	rc=0
	# shellcheck disable=SC2086
	"$exe" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
		-max_total_time="$secs" -print_final_stats=1 \
		-artifact_prefix="$run/artifacts/" $extra \
		"$run/corpus" testdata >"$run/log" 2>&1 || rc=$?
	end=$(date +%s)
	# With -jobs, each worker logs to fuzz-N.log in the current directory.
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$run/log" |
		awk '{ s += $1 } END { print s + 0 }')
	last=$(grep -E '^#[0-9]+.*cov: ' "$run/log" | tail -1)
	cov=$(printf '%s\n' "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft=$(printf '%s\n' "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
	crashes=$(find "$run/artifacts" -type f | sort)
	echo "fuzz-$t: $((end - start)) s, $execs execs, cov: ${cov:-?} ft: ${ft:-?}, corpus $(ls "$run/corpus" | wc -l) files, rc $rc"
	if [ "$rc" -ne 0 ] || [ -n "$crashes" ]; then
		status=1
		echo "fuzz-$t: FAILED; log: $run/log" >&2
		grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz_[a-z]+: invariant)|runtime error' \
			"$run/log" | head -5 >&2 || true
		for f in $crashes; do
			echo "fuzz-$t: crash file: $f" >&2
			echo "  reproduce: $exe $f" >&2
		done
	fi
done
exit $status
