#!/bin/sh
# Install what is missing (Debian, as root), then configure and build.
#   sh scripts/setup.sh [BUILDDIR [MESON-SETUP-OPTIONS...]]
set -eu
cd "$(dirname "$0")/.."
builddir=${1:-build}
[ $# -gt 0 ] && shift

sh scripts/need.sh gcc libc6-dev meson ninja-build pkgconf libpcre2-dev \
	libcjson-dev check mandoc jq python3-jsonschema \
	gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64

if [ -f "$builddir/build.ninja" ]; then
	meson setup --reconfigure "$builddir" "$@" >/dev/null
else
	meson setup "$builddir" "$@" >/dev/null
fi
ninja -C "$builddir" >/dev/null
echo "setup: built $builddir/src/pooltrend" >&2
