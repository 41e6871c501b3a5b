#!/usr/bin/env bash
# Installs the Kubernetes schema validator that scripts/deploy-check.sh runs:
# kubernetes-models@4.5.1 (Kubernetes API schemas), @kubernetes-models/prometheus-operator
# and @kubernetes-models/keda (CRD schemas), js-yaml@4 — exactly the tree that
# deploy/check/package-lock.json pins: `npm ci` refuses any tarball whose sha512
# differs from the lock file's integrity field. Into CACHE_DIR/deploy-check, never git.
# Idempotent; no install scripts run. (5.x of kubernetes-models needs node 22.)
#
#   scripts/setup-deploy-check.sh [CACHE_DIR]     (default ${PTUNE_CACHE:-~/.cache/ptune})
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
source_dir=$here/../deploy/check
cache=${1:-${PTUNE_CACHE:-$HOME/.cache/ptune}}
dest=$cache/deploy-check

if ! command -v npm >/dev/null 2>&1; then
  echo "setup-deploy-check: npm not found; skipping (deploy_k8s_check needs it)" >&2
  exit 0
fi
stamp=$(cat "$source_dir/package.json" "$source_dir/package-lock.json" | sha256sum | cut -d' ' -f1)
if [ -f "$dest/.ptune-lock-sha256" ] && [ "$(cat "$dest/.ptune-lock-sha256")" = "$stamp" ] &&
  [ -d "$dest/node_modules/kubernetes-models" ]; then
  echo "setup-deploy-check: validator already in $dest"
  exit 0
fi
rm -rf "$dest"
mkdir -p "$dest"
cp "$source_dir/package.json" "$source_dir/package-lock.json" "$dest/"
(cd "$dest" && npm ci --silent --ignore-scripts --no-audit --no-fund)
echo "$stamp" >"$dest/.ptune-lock-sha256"
echo "setup-deploy-check: $(cd "$dest" && npm ls --depth=0 --parseable 2>/dev/null | wc -l) packages -> $dest"
