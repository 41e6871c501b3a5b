#!/usr/bin/env bash
# Load run of issue 14 on loopback: builds ptune-scheduler and ptune-loadgen, starts the
# scheduler on a fresh SQLite file in a temp dir (its PID recorded, killed by that PID at
# the end), runs the generator and prints its table. Sizes are flags of ptune-loadgen;
# the defaults are the issue's: 10,000 jobs, 16 submitters, 100 watchers, 32 workers.
#   bash scripts/load-test.sh [--json out.json] [ptune-loadgen flags...]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${PTUNE_BUILD_DIR:-$root/build}"
cmake --build "$build" --target ptune-scheduler ptune-loadgen >/dev/null
dir="$(mktemp -d /tmp/ptune-load-XXXXXX)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
# The 10,000 jobs may all be queued at once: lift the per-tenant queue limit (10,000).
"$build/server/ptune-scheduler" --listen "127.0.0.1:$port" --store "$dir/ptune.db" \
  --max-queued-per-tenant 20000 --shutdown-grace 1s >"$dir/scheduler.log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
for _ in $(seq 100); do
  grep -q "listening\|serving" "$dir/scheduler.log" 2>/dev/null && break
  sleep 0.1
done
echo "scheduler pid $pid on 127.0.0.1:$port, store $dir/ptune.db"
"$build/tests/reliability/load/ptune-loadgen" --address "127.0.0.1:$port" --scheduler-pid "$pid" \
  --jobs 10000 --submitters 16 --watchers 100 --workers 32 "$@"
