#!/bin/sh
# Build one driver-like PE file for the owner tests (called by meson).
#   build.sh OUTPUT.sys SOURCE.c RESOURCE.rc
# A kernel-mode image: no C library, native subsystem, linked against
# MinGW-w64's libntoskrnl.a.  When the cross compiler is missing it is
# installed the way scripts/setup.sh does (Debian, as root); a machine
# where that fails stops the build here with the reason.
set -eu
out=$1 src=$2 rc=$3
root=$(cd "$(dirname "$0")/../.." && pwd)
if ! command -v x86_64-w64-mingw32-gcc >/dev/null ||
		! command -v x86_64-w64-mingw32-windres >/dev/null; then
	echo "build.sh: MinGW-w64 missing; installing it (scripts/need.sh)" >&2
	sh "$root/scripts/need.sh" gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
x86_64-w64-mingw32-windres "$rc" -O coff -o "$tmp/res.o"
x86_64-w64-mingw32-gcc -O2 -Wall -Wno-multichar -ffreestanding -nostdlib \
	-Wl,--subsystem,native -Wl,--entry,DriverEntry \
	-o "$out" "$src" "$tmp/res.o" -lntoskrnl
