#!/usr/bin/env bash
# Prints the Debian/Ubuntu packages that own the shared libraries BINARY... load (ldd +
# dpkg -S), one a line, sorted: what a runtime image must install for them, and no more.
# Libraries under a directory in $PTUNE_UNPACKAGED_LIBS (colon-separated, e.g. an
# unpacked LibTorch in /opt/libtorch) are skipped: the image copies those itself.
# Libraries named in $PTUNE_HOST_LIBS (space-separated sonames, e.g. libcuda.so.1) may be
# missing here: the host provides them at run time (the NVIDIA container toolkit).
# Fails naming the library when a dependency is missing or owned by no package.
#
#   scripts/docker-runtime-packages.sh BINARY...
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: $0 BINARY..." >&2; exit 2; }
IFS=: read -r -a unpackaged <<<"${PTUNE_UNPACKAGED_LIBS:-}"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for binary in "$@"; do
  ldd "$binary" >>"$scratch/ldd" ||
    { echo "docker-runtime-packages: $binary: not a dynamic executable (or ldd failed)" >&2; exit 1; }
done
host_libs=" ${PTUNE_HOST_LIBS:-} "
if awk '/not found/ {print $1}' "$scratch/ldd" | sort -u |
  while read -r missing; do [[ $host_libs == *" $missing "* ]] || echo "$missing"; done |
  grep .; then
  echo "docker-runtime-packages: unresolved libraries (above)" >&2
  exit 1
fi
# lib, its real file, and that file without /usr (dpkg may know a merged-/usr file under
# /lib or /usr/lib; alternatives such as libblas.so.3 -> OpenBLAS resolve to the file a
# package owns): the first of the three that a package lists is the answer.
candidates=$scratch/candidates
awk '/=> \// {print $3}' "$scratch/ldd" | sort -u | while read -r lib; do
  real=$(realpath "$lib")
  for dir in "${unpackaged[@]}"; do
    [ -n "$dir" ] && [[ $real == "$dir"/* || $lib == "$dir"/* ]] && continue 2
  done
  echo "$lib $real ${real#/usr}"
done >"$candidates"
# One pass over dpkg's file lists instead of a dpkg -S per library (seconds, not minutes).
owners=$(tr ' ' '\n' <"$candidates" | sort -u |
  grep -F -x -H -f - /var/lib/dpkg/info/*.list 2>/dev/null |
  sed -E 's|^/var/lib/dpkg/info/([^:]+)(:[a-z0-9]+)?\.list:|\1 |') || true
while read -r lib real stripped; do
  owner=""
  for candidate in "$lib" "$real" "$stripped"; do
    owner=$(awk -v f="$candidate" '$2 == f {print $1; exit}' <<<"$owners")
    [ -n "$owner" ] && break
  done
  if [ -z "$owner" ]; then
    echo "docker-runtime-packages: no package owns $lib ($real)" >&2
    exit 1
  fi
  echo "$owner"
done <"$candidates" | sort -u
