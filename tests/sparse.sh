#!/usr/bin/env bash
# sparse (make C=2) over the module against KDIR; any sparse output fails.
# Usage: sparse.sh KDIR OUTDIR
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kdir=${1:?KDIR}; out=${2:?OUTDIR}
rm -rf "$out" && mkdir -p "$out"
cp -a "$top/Kbuild" "$top/module" "$top/uapi" "$out/"
make -C "$kdir" M="$out" C=2 CHECK=sparse modules >"$out/sparse.log" 2>&1 || { cat "$out/sparse.log"; exit 1; }
checked=$(grep -c '^  CHECK ' "$out/sparse.log" || true)
echo "sparse checked $checked files"
[ "$checked" -gt 0 ] || { echo "sparse did not run"; exit 1; }
! grep -E 'warning:|error:' "$out/sparse.log"
