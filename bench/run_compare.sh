#!/usr/bin/env bash
# Builds the benchmarks (Release, build/bench), runs them and bench/torch_compare.py back to back
# on this machine, and prints the amor / PyTorch comparison, for 2 threads and for 1.
#
#   bash bench/run_compare.sh [--no-build] [--threads "2 1"] [--min-time 0.5] [--repetitions 5]
#                             [--coretype NAME]
#
# Per thread count T: OMP_NUM_THREADS = OPENBLAS_NUM_THREADS = T for the C++ binaries and the
# Python script (which also calls torch.set_num_threads(T)). OPENBLAS_CORETYPE is left as found
# unless --coretype sets it, and recorded with the core OpenBLAS actually chose. Beware: unset,
# Debian's OpenBLAS 0.3.21 does not know recent Xeons (CPU model 207 here) and falls back to its
# SSE3 "Prescott" kernels, about 8x slower than SkylakeX on the same core.
# Raw JSON and the printed tables go to build/bench/results/<UTC timestamp>/.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build/bench"
threads_list="2 1"
min_time="0.5"
reps="5"
do_build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) do_build=0 ;;
    --threads) threads_list="$2"; shift ;;
    --min-time) min_time="$2"; shift ;;
    --repetitions) reps="$2"; shift ;;
    --coretype) export OPENBLAS_CORETYPE="$2"; shift ;;
    *) echo "run_compare.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

if [ "$do_build" = 1 ]; then
  # shellcheck source=bench/build_bench.sh
  source "$root/bench/build_bench.sh"
  build_bench bench_gemm bench_ops
fi

out="$build/results/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
summary="$out/summary.txt"

{
  echo "date (UTC): $(date -u '+%Y-%m-%d %H:%M:%S')"
  echo "CPU: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p') ($(nproc) CPUs)"
  echo "OPENBLAS_CORETYPE: ${OPENBLAS_CORETYPE-unset (OpenBLAS autodetects the core)}"
  echo "git: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$summary"

gbench_args=(--benchmark_min_time="$min_time" --benchmark_repetitions="$reps"
             --benchmark_report_aggregates_only=true --benchmark_enable_random_interleaving=true
             --benchmark_out_format=json)

for t in $threads_list; do
  export OMP_NUM_THREADS="$t" OPENBLAS_NUM_THREADS="$t"
  echo "== threads $t (load $(cut -d' ' -f1-3 /proc/loadavg)) ==" | tee -a "$summary"
  "$build/bench/bench_gemm" "${gbench_args[@]}" --benchmark_out="$out/gemm_t$t.json" \
    >"$out/gemm_t$t.txt" 2>&1
  echo "OpenBLAS core in use: $(sed -n 's/^openblas_core: //p' "$out/gemm_t$t.txt")" | tee -a "$summary"
  "$build/bench/bench_ops" "${gbench_args[@]}" --benchmark_out="$out/ops_t$t.json" \
    >"$out/ops_t$t.txt" 2>&1
  python3 "$root/bench/torch_compare.py" --threads "$t" --json "$out/torch_t$t.json" \
    --amor-ops "$out/ops_t$t.json" --amor-gemm "$out/gemm_t$t.json" | tee -a "$summary"
  echo | tee -a "$summary"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$summary"
echo "results in $out"
