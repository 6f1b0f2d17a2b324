#!/usr/bin/env bash
# The Simformer's training step and score evaluation, amor vs PyTorch, in one run: builds
# bench_simformer (Release, build/bench), runs it, then bench/torch_simformer_compare.py on the
# same shapes and thread count, and prints the ratios (target: training step >= 2x).
#
#   bash bench/run_simformer_compare.sh [--no-build] [--threads N] [--repetitions 3]
#
# OMP_NUM_THREADS = OPENBLAS_NUM_THREADS = N for amor, torch.set_num_threads(N) for PyTorch.
# OPENBLAS_CORETYPE is left as found and recorded. Needs torch (pip install torch --index-url
# https://download.pytorch.org/whl/cpu). Results go to build/bench/results-simformer/<UTC time>/.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build/bench"
threads=1
reps=3
do_build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) do_build=0 ;;
    --threads) threads="$2"; shift ;;
    --repetitions) reps="$2"; shift ;;
    *) echo "run_simformer_compare.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

if [ "$do_build" = 1 ]; then
  # shellcheck source=bench/build_bench.sh
  source "$root/bench/build_bench.sh"
  build_bench bench_simformer
fi

out="$build/results-simformer/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
export OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS="$threads"
{
  echo "date (UTC): $(date -u '+%Y-%m-%d %H:%M:%S'), git $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo ?)"
  echo "CPU: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p') ($(nproc) CPUs), threads $threads"
  echo "OPENBLAS_CORETYPE: ${OPENBLAS_CORETYPE-unset}; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out/summary.txt"
"$build/bench/bench_simformer" --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true \
  --benchmark_out_format=json --benchmark_out="$out/amor.json" >/dev/null
# Run Python from outside the repository: its sbi/ folder would shadow the sbi package.
(cd /tmp && python3 "$root/bench/torch_simformer_compare.py" --threads "$threads" --amor-json "$out/amor.json") |
  tee -a "$out/summary.txt"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/summary.txt"
