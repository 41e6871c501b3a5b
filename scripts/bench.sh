#!/usr/bin/env bash
# The benchmark suite (docs/benchmarks.md): every benchmark with its peer in the same run,
# alternating, with repetitions; writes docs/benchmarks.md, docs/results/benchmarks.json and
# the scaling plots docs/results/{topology,training,service}-*.svg.
#
#   scripts/bench.sh [--smoke] [--only AREA]... [--reps N] [--build-dir DIR] [--out DIR]
#                    [--threads N] [--device cpu|cuda] [--hf-oracle DIR] [--lock FILE]
#
# Without --build-dir it builds the benchmark targets in Release in build-bench/ (ccache
# when installed; under $LOCK_CMD when set, e.g. LOCK_CMD="flock /tmp/ptune-build.lock").
# --build-dir DIR uses DIR's binaries as they are (the CTest entry bench_smoke passes its
# own build directory). --smoke: tiny sizes, one repetition, seconds; writes to a temp dir
# (or --out) and never to docs/. AREA: topology, training, methods, service. --lock FILE:
# hold an exclusive flock on FILE during each area (a machine shared with builds).
set -euo pipefail
cd "$(dirname "$0")/.."

smoke=0 build_dir="" out="" args=()
while (($#)); do
  case $1 in
    --smoke) smoke=1 && args+=(--smoke) ;;
    --build-dir) build_dir=${2:?--build-dir needs a directory} && shift ;;
    --out) out=${2:?--out needs a directory} && shift ;;
    --only | --reps | --threads | --device | --hf-oracle | --lock)
      [[ $# -ge 2 ]] || { echo "error: $1 needs a value" >&2 && exit 2; }
      args+=("$1" "$2") && shift ;;
    -h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' && exit 0 ;;
    *) echo "error: unknown option $1 (see --help)" >&2 && exit 2 ;;
  esac
  shift
done

targets=(ptune_topology_bench ptune-ph lm_step_bench use_lite_step_bench methods_bench
  ptune_scheduler_bench ptune-scheduler)
if [[ -z $build_dir ]]; then
  build_dir=build-bench
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPTUNE_BUILD_TESTS=OFF >/dev/null
  ${LOCK_CMD:-} cmake --build "$build_dir" -j "$(nproc)" --target "${targets[@]}"
elif [[ ! -d $build_dir ]]; then
  echo "error: --build-dir $build_dir: no such directory" >&2 && exit 2
fi

cleanup=""
if [[ -z $out ]]; then
  if ((smoke)); then
    out=$(mktemp -d) && cleanup=$out
  else
    out=docs
  fi
fi
trap '[[ -z $cleanup ]] || rm -rf "$cleanup"' EXIT
mkdir -p "$out/results"
command="scripts/bench.sh"
((${#args[@]})) && command+=" ${args[*]}"
[[ $build_dir == build-bench ]] || command+=" --build-dir $build_dir"
python3 bench/suite/run.py --build-dir "$build_dir" --out-md "$out/benchmarks.md" \
  --out-dir "$out/results" --command "$command" "${args[@]}"
