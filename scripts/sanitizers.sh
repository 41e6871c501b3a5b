#!/usr/bin/env bash
# The sanitizer stage of CI (docs/reliability.md, "Sanitizers"):
#   asan  build-asan: the torch-free tree (PTUNE_WITHOUT_TORCH) with AddressSanitizer +
#         UndefinedBehaviorSanitizer (+ LeakSanitizer), and every one of its CTest suites.
#   tsan  build-tsan: the scheduler with ThreadSanitizer and its suites that run threads.
#
#   scripts/sanitizers.sh [asan] [tsan]      (no argument: both, in that order)
#
# Every finding aborts its process (the sanitizers write their report to a file under
# build-<name>/sanitizer-reports/, printed at the end), so the suite fails and so does
# this script. Environment: PTUNE_SANITIZER_JOBS (compile jobs, default nproc),
# PTUNE_SANITIZER_NICE (niceness of the builds, default 0), CC/CXX (default gcc/g++).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
supp=$root/scripts/sanitizers
jobs=${PTUNE_SANITIZER_JOBS:-$(nproc)}
niceness=${PTUNE_SANITIZER_NICE:-0}

# The scheduler suites TSan runs: the job manager (leases, cancels, retries; its sweep
# thread), the fair-share queue, the store's concurrent commits, and the gRPC suites whose
# clients run on several threads (concurrent submits, watchers, the worker protocol).
tsan_targets=(server_job_manager_test server_job_queue_test server_store_test
  server_job_api_test server_watch_test server_worker_protocol_test)
tsan_regex='^(server_job_manager_test|server_job_queue_test|server_store_test|server_job_api_test|server_watch_test|server_worker_protocol_test)\.'

summary=()

# configure NAME FLAGS: a Ninja tree in build-NAME, compiled and linked with FLAGS. -O1
# keeps the runs quick and the stacks exact; -g1 gives line tables at a fraction of the
# compile time of full debug info; no NDEBUG, so assertions run too.
configure() {
  local name=$1 flags=$2
  cmake -S . -B "build-$name" -G Ninja \
    -DCMAKE_C_COMPILER="${CC:-gcc}" -DCMAKE_CXX_COMPILER="${CXX:-g++}" \
    -DCMAKE_BUILD_TYPE=Sanitize \
    -DCMAKE_C_FLAGS_SANITIZE="-O1 -g1 $flags" -DCMAKE_CXX_FLAGS_SANITIZE="-O1 -g1 $flags" \
    -DCMAKE_EXE_LINKER_FLAGS="$flags" -DCMAKE_SHARED_LINKER_FLAGS="$flags" \
    -DPTUNE_WITHOUT_TORCH=ON -DPTUNE_BUILD_BENCHMARKS=OFF >/dev/null
}

build() {
  local name=$1
  shift
  nice -n "$niceness" cmake --build "build-$name" -j "$jobs" "$@"
}

# run_suites NAME [ctest args...]: runs CTest in build-NAME, then reports every sanitizer
# report file; records one summary line. Returns non-zero on a failed suite or a report.
run_suites() {
  local name=$1
  shift
  local dir=$root/build-$name reports=$root/build-$name/sanitizer-reports
  rm -rf "$reports"
  mkdir -p "$reports"
  local status=0 log=$dir/ctest-$name.log
  (cd "$dir" && ctest --output-on-failure -j "$(nproc)" --timeout 600 "$@") 2>&1 |
    tee "$log" || status=$?
  local findings
  findings=$(find "$reports" -type f | wc -l)
  if [ "$findings" -gt 0 ]; then
    status=1
    for f in "$reports"/*; do
      echo "===== $name report $f"
      cat "$f"
    done
  fi
  local passed total
  passed=$(sed -n 's/^[0-9]*% tests passed, \([0-9]*\) tests failed out of \([0-9]*\)$/\2 \1/p' "$log" |
    awk '{print $1 - $2}')
  total=$(sed -n 's/^[0-9]*% tests passed, [0-9]* tests failed out of \([0-9]*\)$/\1/p' "$log")
  summary+=("$name: ${total:-0} suites run, ${passed:-0} passed, $findings sanitizer reports")
  return "$status"
}

run_asan() {
  local t0=$SECONDS
  if ! configure asan "-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" ||
    ! build asan; then
    summary+=("asan: build failed")
    return 1
  fi
  local reports=$root/build-asan/sanitizer-reports
  ASAN_OPTIONS="halt_on_error=1:abort_on_error=0:detect_leaks=1:detect_stack_use_after_return=1:strict_init_order=1:check_initialization_order=1:log_path=$reports/asan" \
    LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0" \
    UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan" \
    run_suites asan "$@"
  local rc=$?
  summary[-1]+=" ($((SECONDS - t0)) s)"
  return "$rc"
}

run_tsan() {
  local t0=$SECONDS
  if ! configure tsan "-fsanitize=thread -fno-omit-frame-pointer" ||
    ! build tsan --target "${tsan_targets[@]}"; then
    summary+=("tsan: build failed")
    return 1
  fi
  local reports=$root/build-tsan/sanitizer-reports
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$supp/tsan.supp:log_path=$reports/tsan" \
    run_suites tsan -R "$tsan_regex"
  local rc=$?
  summary[-1]+=" ($((SECONDS - t0)) s)"
  return "$rc"
}

stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(asan tsan)
failed=0
for stage in "${stages[@]}"; do
  case $stage in
    asan) run_asan || failed=1 ;;
    tsan) run_tsan || failed=1 ;;
    *)
      echo "sanitizers.sh: unknown stage '$stage' (want asan or tsan)" >&2
      exit 2
      ;;
  esac
done
echo "sanitizers.sh summary:"
printf '  %s\n' "${summary[@]}"
exit "$failed"
