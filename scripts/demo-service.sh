# Sourced by the demos (scripts/demo.sh, scripts/demo-stories260k.sh): the part of a demo
# that runs the service. The caller sets bin (build dir), work (output dir), port, spec.
#
#   demo_start_service WORKER_ID [ptune-worker flags...]
#       a scheduler on a fresh SQLite store in $work and one worker; returns once the
#       worker registered (bounded); both are stopped by PID on exit and on Ctrl-C.
#   demo_run_job
#       submits $spec with ptunectl, watches it live, downloads its artifacts into
#       $work/$job; sets job.

demo_start_service() {
  local worker_id=$1
  shift
  mkdir -p "$work"
  rm -f "$work/ptune.db" "$work/ptune.db-wal" "$work/ptune.db-shm"
  pids=()
  trap demo_stop_service EXIT
  trap 'echo "demo: interrupted" >&2; exit 130' INT TERM

  "$bin/server/ptune-scheduler" --listen "127.0.0.1:$port" --store "$work/ptune.db" \
    --metrics-listen 127.0.0.1:0 >"$work/scheduler.log" 2>&1 &
  pids+=($!)
  "$bin/worker/agent/ptune-worker" --scheduler "127.0.0.1:$port" --id "$worker_id" "$@" \
    --work-dir "$work/worker" --shutdown-timeout 5 >"$work/worker.log" 2>&1 &
  pids+=($!)

  ctl=("$bin/client/ptunectl" --server "127.0.0.1:$port")
  # Wait until the scheduler answers and the worker registered (bounded).
  for _ in $(seq 1 100); do
    if "${ctl[@]}" workers 2>/dev/null | grep -q "$worker_id"; then return; fi
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null || { echo "demo: a process died; see $work/*.log" >&2; exit 1; }
    done
    sleep 0.2
  done
}

demo_stop_service() {
  # SIGTERM lets the worker checkpoint and report its job; it exits within 5 s.
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}

demo_run_job() {
  job=$("${ctl[@]}" submit "$spec" -o id)
  echo "demo: submitted job $job (logs in $work)"
  "${ctl[@]}" watch "$job"
  "${ctl[@]}" download "$job" --out "$work/$job"
}
