#!/usr/bin/env bash
# Build uscheme.ko against KDIR in a private copy of the sources (so builds
# for several kernels never share object files), with W=1; any compiler
# warning fails the build. Usage: build-module.sh KDIR OUTDIR [make args...]
# Prints the path of the built module.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kdir=${1:?KDIR}; out=${2:?OUTDIR}; shift 2
mkdir -p "$out/src"
# Copy only what changed, so rebuilds stay incremental.
for f in Kbuild module uapi; do
	cp -a -u "$top/$f" "$out/src/"
done
log=$out/build.log
if ! make -C "$kdir" M="$out/src" W=1 "$@" modules >"$log" 2>&1; then
	cat "$log" >&2
	exit 1
fi
if grep -E 'warning:|error:' "$log" >&2; then
	echo "build-module: compiler warnings (see above)" >&2
	exit 1
fi
echo "$out/src/uscheme.ko"
