#!/bin/sh
# Every case directory under testdata/ (one with a cmd file) must be run:
# meson does not glob, so a case that is added but not listed in
# tests/meson.build would silently never be checked.
#   golden_registered.sh TESTDATA_DIR CASE...
set -u
dir=$1
shift
status=0
for d in "$dir"/*/; do
	[ -f "$d/cmd" ] || continue
	name=$(basename "$d")
	found=0
	for c in "$@"; do
		[ "$c" = "$name" ] && found=1 && break
	done
	if [ $found = 0 ]; then
		echo "testdata/$name is not listed in tests/meson.build" >&2
		status=1
	fi
done
exit $status
