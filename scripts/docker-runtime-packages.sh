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

host_libs=" ${PTUNE_HOST_LIBS:-} "
if ldd "$@" | awk '/not found/ {print $1}' | sort -u |
  while read -r missing; do [[ $host_libs == *" $missing "* ]] || echo "$missing"; done |
  grep .; then
  echo "docker-runtime-packages: unresolved libraries (above)" >&2
  exit 1
fi
ldd "$@" | awk '/=> \// {print $3}' | sort -u | while read -r lib; do
  real=$(realpath "$lib")
  for dir in "${unpackaged[@]}"; do
    [ -n "$dir" ] && [[ $real == "$dir"/* || $lib == "$dir"/* ]] && continue 2
  done
  # Alternatives (libblas.so.3 -> OpenBLAS) resolve to the file a package owns; with
  # merged /usr, dpkg may know that file under /lib or under /usr/lib.
  owner=""
  for candidate in "$lib" "$real" "${real#/usr}"; do
    owner=$(dpkg -S "$candidate" 2>/dev/null | head -n 1 | cut -d: -f1) || true
    [ -n "$owner" ] && break
  done
  if [ -z "$owner" ]; then
    echo "docker-runtime-packages: no package owns $lib ($real)" >&2
    exit 1
  fi
  echo "$owner"
done | sort -u
