#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang, ASan + UBSan) in their own build dir and
# runs each one for a while over a corpus seeded from the project's real files.
#
#   scripts/fuzz.sh [--seconds N] [--smoke] [--jobs-dir DIR] [TARGET...]
#     --seconds N   seconds per target (default 60)
#     --smoke       CI: 10 s per target
#     TARGET        fuzz_job_spec fuzz_ph_input fuzz_safetensors_header fuzz_hf_config
#                   fuzz_tokenizer_json (default: all)
#
# Build dir: $PTUNE_FUZZ_BUILD_DIR (default build-fuzz/), configured on first use; only
# the fuzz targets and their torch-free libraries are compiled. The corpus of each target
# persists in <build>/corpus/<target> (seeds are re-added every run); crash, timeout and
# out-of-memory inputs go to <build>/fuzz-artifacts/<target>/. Prints executions, corpus
# size and findings per target; exits non-zero when any target found something.
# Every finding gets fixed at its source and becomes a GoogleTest regression case
# (docs/reliability.md, "Fuzzing").
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

seconds=60
targets=()
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --smoke) seconds=10; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    fuzz_*) targets+=("$1"); shift ;;
    *) echo "fuzz.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_job_spec fuzz_ph_input fuzz_safetensors_header
                                     fuzz_hf_config fuzz_tokenizer_json)

build=${PTUNE_FUZZ_BUILD_DIR:-$root/build-fuzz}
if [ ! -f "$build/CMakeCache.txt" ]; then
  # Engine-only and without tests/benchmarks: the configure needs no gRPC, and nothing
  # but the fuzz targets is built below.
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPTUNE_FUZZ=ON -DPTUNE_ENGINE_ONLY=ON \
    -DPTUNE_BUILD_TESTS=OFF -DPTUNE_BUILD_BENCHMARKS=OFF >/dev/null
fi
cmake --build "$build" --target "${targets[@]}"

# seed TARGET FILE...: copies real files into the target's seed dir.
seeds=$build/seeds
rm -rf "$seeds"
seed() {
  local dir=$seeds/$1
  shift
  mkdir -p "$dir"
  local f
  for f in "$@"; do
    [ -f "$f" ] && cp "$f" "$dir/$(echo "${f#"$root"/}" | tr / _)"
  done
  return 0
}
seed fuzz_job_spec examples/*.yaml fuzz/seeds/job_spec/*
seed fuzz_hf_config tests/engine/hf/fixtures/*/config.json examples/models/stories260k/config.json
seed fuzz_tokenizer_json tests/engine/tokenizers/fixtures/*.json \
  examples/models/stories260k/tokenizer.json
# ptune-ph: the first byte picks the format (0 lower, 1 upper, 2 full, 3 points, 4 sparse).
mkdir -p "$seeds/fuzz_ph_input"
printf '\x00 1\n2 3\n4 5 6\n' >"$seeds/fuzz_ph_input/lower"
printf '\x01 1,2,4\n3,5\n6\n' >"$seeds/fuzz_ph_input/upper"
printf '\x02 0 1 2\n1 0 3\n2 3 0\n' >"$seeds/fuzz_ph_input/full"
printf '\x03 0.5 1e-3 -2\n1 2 3\n+4 5 6.25\n7 8 9\n' >"$seeds/fuzz_ph_input/points"
printf '\x04 0 1 1.5\n2 1 0.25\n3 0 2\n' >"$seeds/fuzz_ph_input/sparse"
# safetensors: each fixture's header without its data, behind the 8-byte data size the
# target adds back (fuzz/fuzz_safetensors_header.cc), so big files make small seeds.
mkdir -p "$seeds/fuzz_safetensors_header"
python3 - "$seeds/fuzz_safetensors_header" tests/engine/hf/fixtures/*/*.safetensors \
  examples/models/stories260k/model.safetensors <<'PY'
import os, struct, sys
out = sys.argv[1]
for path in sys.argv[2:]:
    with open(path, "rb") as f:
        blob = f.read()
    n = struct.unpack("<Q", blob[:8])[0]
    name = path.replace("/", "_")
    with open(os.path.join(out, name), "wb") as f:
        f.write(struct.pack("<Q", len(blob) - 8 - n) + blob[:8 + n])
    small = blob if len(blob) <= 16384 else None  # whole small files exercise the data too
    if small:
        with open(os.path.join(out, name + ".whole"), "wb") as f:
            f.write(struct.pack("<Q", 0) + small)
PY

dict_of() {
  case $1 in
    fuzz_job_spec) echo fuzz/job_spec.dict ;;
    fuzz_ph_input) echo fuzz/ph_input.dict ;;
    *) echo fuzz/json.dict ;;
  esac
}

artifacts=$build/fuzz-artifacts
found=0
report=()
for t in "${targets[@]}"; do
  corpus=$build/corpus/$t
  mkdir -p "$corpus" "$artifacts/$t"
  log=$build/fuzz-$t.log
  rc=0
  # 10 s per input and 2 GB of RSS: more from a small input is a finding (a hang or
  # memory that a hostile file can make unbounded). Leak checks are off: the parsers
  # own their memory through RAII and protobuf/ICU keep process-lifetime caches.
  ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=0 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build/fuzz/$t" "$corpus" "$seeds/$t" -dict="$(dict_of "$t")" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$artifacts/$t/" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  size=$(find "$corpus" -type f | wc -l)
  bytes=$(du -sb "$corpus" | cut -f1)
  if [ "$rc" -ne 0 ]; then
    found=1
    report+=("$t: FINDING (rc $rc) after ${execs:-?} executions; see $log")
    grep -E "ERROR: |SUMMARY: |runtime error|Test unit written" "$log" | head -5 | sed 's/^/    /' >&2 || true
  else
    report+=("$t: ${execs:-?} executions in ${seconds} s, corpus $size inputs ($bytes bytes), 0 crashes")
  fi
done

echo "fuzz.sh: ${seconds} s per target; artifacts in $artifacts"
printf '  %s\n' "${report[@]}"
exit "$found"
