#!/bin/sh
# Static analysis of the library and the CLI (src/*.c, src/cli/*.c; not
# tests/ or bench/) with cppcheck and clang-tidy (checks in .clang-tidy).
# Installs the tools if missing (Debian, as root), configures BUILDDIR for
# its compile_commands.json if needed, and exits non-zero on any finding.
#   sh scripts/static-analysis.sh [BUILDDIR]        (default: build-sa)
# SA_JOBS sets the number of parallel clang-tidy runs (default 2).
set -eu
cd "$(dirname "$0")/.."
builddir=${1:-build-sa}
jobs=${SA_JOBS:-2}

sh scripts/need.sh cppcheck clang-tidy

# The compile database (and the generated pt_config.h) come from meson;
# setup.sh also installs the build dependencies whose headers are parsed.
if [ ! -f "$builddir/compile_commands.json" ]; then
	sh scripts/setup.sh "$builddir"
else
	# Regenerates build.ninja and compile_commands.json if meson.build changed.
	ninja -C "$builddir" build.ninja >/dev/null
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
status=0
start=$(date +%s)

# --- cppcheck ---------------------------------------------------------
supp=""
[ -f .cppcheck-suppressions ] &&
	supp="--suppressions-list=.cppcheck-suppressions"
# shellcheck disable=SC2086
if cppcheck --enable=warning,portability,performance --error-exitcode=1 \
	--inline-suppr --std=c11 -I include -I "$builddir" $supp --quiet \
	--template='{file}:{line}:{column}: {severity}: {message} [{id}]' \
	src >"$tmp/cppcheck.log" 2>&1; then
	:
else
	status=1
fi
cat "$tmp/cppcheck.log"
cpp_n=$(grep -c ': \(error\|warning\|portability\|performance\|style\|information\): ' \
	"$tmp/cppcheck.log" || true)

# --- clang-tidy -------------------------------------------------------
# gcc-only -W options in the compile commands must not read as errors.
extra=-Wno-unknown-warning-option
files="src/*.c src/cli/*.c"
if command -v run-clang-tidy >/dev/null 2>&1; then
	# Its file arguments are regexes over the database's absolute paths.
	run-clang-tidy -quiet -j "$jobs" -p "$builddir" -extra-arg="$extra" \
		'/src/[^/]+\.c$' '/src/cli/[^/]+\.c$' >"$tmp/tidy.log" 2>&1 ||
		status=1
else
	# shellcheck disable=SC2086
	printf '%s\n' $files | xargs -P "$jobs" -n 1 \
		clang-tidy --quiet -p "$builddir" --extra-arg="$extra" \
		>"$tmp/tidy.log" 2>&1 || status=1
fi
# Drop colour codes, shorten ".../build-sa/../src/x.c" to "src/x.c", and
# leave out the command lines and the "N warnings generated." chatter.
esc=$(printf '\033')
sed -e "s/$esc\[[0-9;]*m//g" -e 's#^[^ :]*\.\./src/#src/#' "$tmp/tidy.log" |
	grep -v -e '^clang-tidy' -e 'warnings\{0,1\} generated\.$' \
		-e 'warnings\{0,1\} treated as errors$' \
		-e '^Suppressed [0-9]* warnings' \
		-e '^Use -header-filter=' >"$tmp/tidy.out" || true
cat "$tmp/tidy.out"
tidy_n=$(grep -c ': \(warning\|error\): .*\]$' "$tmp/tidy.out" || true)

echo "static-analysis: cppcheck $cpp_n finding(s), clang-tidy $tidy_n" \
	"finding(s) in $(($(date +%s) - start)) s" >&2
exit $status
