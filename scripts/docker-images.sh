#!/usr/bin/env bash
# Builds the ptune images into the daemon DOCKER_HOST names (default: the system one):
#   ptune-scheduler:TAG, ptune-worker:TAG   docker/runtime.Dockerfile, from built binaries
#   ptune-prometheus:TAG                    deploy/prometheus/Dockerfile (Debian's package)
# on the base image debian:bookworm (imported offline by scripts/docker-base-image.sh if
# the daemon lacks it). Builds use host networking (apt inside the build).
#
#   scripts/docker-images.sh [--tag TAG] [--build-dir DIR] [--from-source]
#     --build-dir DIR   binaries from DIR (default build/, what scripts/build.sh made)
#     --from-source     compile them in docker/Dockerfile first (all of ptune: ~40 min);
#                       npm inside trusts $PTUNE_CA_BUNDLE (default: the host's bundle)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
docker=${PTUNE_DOCKER:-/usr/bin/docker}
tag=latest
build_dir=$root/build
from_source=false
while [ $# -gt 0 ]; do
  case $1 in
    --tag) tag=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --from-source) from_source=true; shift ;;
    *) echo "usage: $0 [--tag TAG] [--build-dir DIR] [--from-source]" >&2; exit 2 ;;
  esac
done
export DOCKER_BUILDKIT=1

if ! "$docker" image inspect debian:bookworm >/dev/null 2>&1; then
  "$root/scripts/docker-base-image.sh"
fi

context=$(mktemp -d "${TMPDIR:-/tmp}/ptune-docker-context.XXXXXX")
trap 'rm -rf "$context"' EXIT
timed() {
  local what=$1 start=$SECONDS
  shift
  "$@"
  echo "docker-images: $what in $((SECONDS - start)) s"
}
if $from_source; then
  # The host's CA bundle, for npm behind a TLS-inspecting proxy (docker/Dockerfile).
  ca_bundle=${PTUNE_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
  secret=()
  [ -s "$ca_bundle" ] && secret=(--secret "id=cacerts,src=$ca_bundle")
  timed "compiled from source (docker/Dockerfile)" "$docker" build --network host \
    "${secret[@]}" -f "$root/docker/Dockerfile" --output "type=local,dest=$context" "$root"
else
  timed "context from $build_dir" "$root/scripts/docker-context.sh" "$build_dir" "$context"
fi
for target in scheduler worker; do
  timed "ptune-$target:$tag" "$docker" build --quiet --network host \
    -f "$root/docker/runtime.Dockerfile" --target "$target" -t "ptune-$target:$tag" "$context"
done
timed "ptune-prometheus:$tag" "$docker" build --quiet --network host \
  -f "$root/deploy/prometheus/Dockerfile" -t "ptune-prometheus:$tag" "$root/deploy/prometheus"
"$docker" images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep "^ptune-.*:$tag " |
  sed 's/^/docker-images: /'
