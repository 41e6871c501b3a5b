#!/usr/bin/env bash
# Checks the Kubernetes deployment the way a cluster would see it, with no cluster:
#  1. `kubectl kustomize` renders every overlay in deploy/k8s/overlays/;
#  2. every rendered object is validated against its API schema (deploy/check/validate.js:
#     Kubernetes core/apps/policy/networking/autoscaling and the Prometheus Operator and
#     KEDA CRDs; the validator first proves it refuses broken objects);
#  3. the PrometheusRule's rules pass `promtool check rules` and the unit tests in
#     tests/deploy/alerts_test.yml (`promtool test rules`).
# Exits 77 (CTest: skipped) when kubectl, node or promtool is missing, naming it.
#
#   scripts/deploy-check.sh [OUT_DIR]   (rendered overlays are kept in OUT_DIR if given)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${PTUNE_CACHE:-$HOME/.cache/ptune}
for tool in kubectl node promtool; do
  command -v "$tool" >/dev/null 2>&1 ||
    { echo "deploy-check: $tool not found; skipping (see docs/deploy.md)"; exit 77; }
done
"$root/scripts/setup-deploy-check.sh" "$cache" >/dev/null
export NODE_PATH=$cache/deploy-check/node_modules

out=${1:-}
if [ -z "$out" ]; then
  out=$(mktemp -d "${TMPDIR:-/tmp}/ptune-deploy-check.XXXXXX")
  trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"

echo "deploy-check: the validator refuses broken objects"
node "$root/deploy/check/validate.js" --self-test | sed 's/^/  /'

rendered=()
for overlay in "$root"/deploy/k8s/overlays/*/; do
  name=$(basename "$overlay")
  kubectl kustomize "$overlay" >"$out/$name.yaml"
  rendered+=("$out/$name.yaml")
done
echo "deploy-check: rendered ${#rendered[@]} overlays; validating every object"
node "$root/deploy/check/validate.js" "${rendered[@]}" | sed "s|$out/||; s/^/  /"

echo "deploy-check: alert rules (promtool check rules, promtool test rules)"
python3 - "$out" "${rendered[@]}" <<'PY'
import sys, yaml
out, paths = sys.argv[1], sys.argv[2:]
specs = []
for path in paths:
    rules = [d for d in yaml.safe_load_all(open(path)) if d and d["kind"] == "PrometheusRule"]
    if len(rules) != 1:
        sys.exit(f"{path}: expected one PrometheusRule, found {len(rules)}")
    specs.append(rules[0]["spec"])
if any(s != specs[0] for s in specs):
    sys.exit("the overlays render different PrometheusRules; the unit tests cover one")
with open(f"{out}/ptune-alerts.rules.yml", "w") as f:
    yaml.safe_dump(specs[0], f, sort_keys=False)
PY
cp "$root/tests/deploy/alerts_test.yml" "$out/"
(cd "$out" && promtool check rules ptune-alerts.rules.yml && promtool test rules alerts_test.yml) |
  sed 's/^/  /'
echo "deploy-check: ok"
