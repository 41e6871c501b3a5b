#!/usr/bin/env bash
# The SDK's test run (a CTest entry, see tests/CMakeLists.txt): installs the package the
# documented offline way into a fresh venv, then runs pytest against the given binaries.
#
#   python/run_tests.sh --scheduler BIN --worker BIN --venv DIR [pytest args...]
#
# Uses Debian's /usr/bin/python3 (python3-grpcio, python3-protobuf, python3-pytest), not
# whatever python3 is first on PATH. Any pytest exit status but 0 fails, including 5
# (no tests collected); skipped tests are listed (-rs) and counted as failures.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3
scheduler="" worker="" venv=""
while [ $# -gt 0 ]; do
  case $1 in
    --scheduler) scheduler=$2; shift 2 ;;
    --worker) worker=$2; shift 2 ;;
    --venv) venv=$2; shift 2 ;;
    *) break ;;
  esac
done
if [ -z "$scheduler" ] || [ -z "$worker" ] || [ -z "$venv" ]; then
  echo "usage: $0 --scheduler BIN --worker BIN --venv DIR [pytest args...]" >&2
  exit 2
fi

# Absolute, since pytest runs from inside the venv.
scheduler=$(realpath "$scheduler") worker=$(realpath "$worker") venv=$(realpath -m "$venv")
rm -rf "$venv"
"$python" -m venv --system-site-packages "$venv"
"$venv/bin/pip" install --quiet --no-index --no-build-isolation --no-deps "$here"

# Run from outside the source tree so `import ptune` is the installed package.
cd "$venv"
status=0
report=$(mktemp)
PTUNE_SCHEDULER_BIN=$scheduler PTUNE_WORKER_BIN=$worker PTUNE_TOKEN= PTUNE_SERVER= \
  "$venv/bin/python" -m pytest -p no:cacheprovider -rs -q --junitxml="$report" \
  "$here/tests" "$@" || status=$?
if [ "$status" -eq 0 ] && grep -q '<skipped' "$report"; then
  echo "run_tests.sh: tests were skipped (listed above); the SDK suite skips nothing" >&2
  status=1
fi
rm -f "$report"
if [ "$status" -eq 5 ]; then echo "run_tests.sh: pytest collected no tests" >&2; fi
exit "$status"
