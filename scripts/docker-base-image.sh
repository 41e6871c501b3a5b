#!/usr/bin/env bash
# The base image every ptune Dockerfile starts FROM (debian:bookworm), made offline from
# Debian's own packages: no image registry is needed. debootstrap --variant=minbase
# builds the root file system once (about a minute); the tarball is cached in
# $PTUNE_CACHE/docker/ and imported into the daemon that DOCKER_HOST names.
#
#   DOCKER_HOST=unix://... scripts/docker-base-image.sh [--refresh]
#
# --refresh rebuilds the tarball (e.g. for Debian point releases). Needs root and
# debootstrap; the mirror is $PTUNE_DEBIAN_MIRROR (default http://deb.debian.org/debian).
set -euo pipefail

docker=${PTUNE_DOCKER:-/usr/bin/docker}
cache=${PTUNE_CACHE:-$HOME/.cache/ptune}
mirror=${PTUNE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
tarball=$cache/docker/debian-bookworm-minbase.tar
image=debian:bookworm

if [ "${1:-}" = "--refresh" ]; then
  rm -f "$tarball"
fi

if [ ! -s "$tarball" ]; then
  command -v debootstrap >/dev/null ||
    { echo "docker-base-image: debootstrap not found (apt-get install debootstrap)" >&2; exit 1; }
  mkdir -p "$cache/docker"
  rootfs=$(mktemp -d "${TMPDIR:-/tmp}/ptune-rootfs.XXXXXX")
  trap 'rm -rf "$rootfs"' EXIT
  echo "docker-base-image: debootstrap bookworm from $mirror"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1 ||
    { tail -n 20 "$rootfs.log" >&2; rm -f "$rootfs.log"; exit 1; }
  rm -f "$rootfs.log"
  # What an image needs and a root file system for chroot does not: no apt lists or
  # package cache, and the security suite next to the main one.
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb
  printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb http://deb.debian.org/debian-security bookworm-security main\n' \
    "$mirror" "$mirror" >"$rootfs/etc/apt/sources.list"
  tar -C "$rootfs" --numeric-owner -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
  echo "docker-base-image: cached $tarball ($(du -h "$tarball" | cut -f1))"
fi

"$docker" import --change 'CMD ["/bin/bash"]' "$tarball" "$image" >/dev/null
echo "docker-base-image: $image imported from $tarball"
