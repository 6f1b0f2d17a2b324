#!/usr/bin/env bash
# nn training steps, amor vs PyTorch: builds bench_nn (Release, build/bench), then for each thread
# count runs each workload as a back-to-back pair (amor's bench_nn, then bench/torch_nn_compare.py
# on the same workload) and prints the ratios torch time / amor time against the targets
# (MLP step >= 3x, transformer step >= 1.5x) and the transformer step's share of the sgemm peak.
#
#   bash bench/run_nn_compare.sh [--no-build] [--threads "2 1"] [--workloads "mlp tf4 tf20"]
#                                [--repetitions 5] [--min-time 0.5] [--tf-repeat 7] [--no-gemm]
#                                [--coretype NAME] [--bench-nn PATH]
#
# After the pairs, bench_nn's BM_Gemm times every Linear GEMM shape of the transformer step on its
# own (kernels::cpu::gemm); the report sums them per step next to the step time (skip: --no-gemm).
#
# --bench-nn PATH times another bench_nn binary (e.g. one built from an older commit) instead of
# build/bench's; it implies --no-build.
#
# Per thread count T: OMP_NUM_THREADS = OPENBLAS_NUM_THREADS = T for both, and the Python
# script calls torch.set_num_threads(T). OPENBLAS_CORETYPE is left as found (or set by
# --coretype, e.g. SkylakeX) and recorded with the core OpenBLAS chose (Debian's 0.3.21 falls
# back to "Prescott" on CPUs it does not know). The steps' GEMMs all have a side <= 256 and run
# on amor's own kernel whatever the core (kernels/cpu/gemm.h). PyTorch uses its bundled MKL.
# The machine is shared: the load average is printed before every pair; compare ratios, not
# absolute times. Raw JSON and the summary go to build/bench/results-nn/<UTC timestamp>/.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build/bench"
threads_list="2 1"
workloads="mlp tf4 tf20"
reps=5
min_time=0.5
tf_repeat=7
do_build=1
do_gemm=1
bench_nn="$build/bench/bench_nn"
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) do_build=0 ;;
    --threads) threads_list="$2"; shift ;;
    --workloads) workloads="$2"; shift ;;
    --repetitions) reps="$2"; shift ;;
    --min-time) min_time="$2"; shift ;;
    --tf-repeat) tf_repeat="$2"; shift ;;
    --no-gemm) do_gemm=0 ;;
    --coretype) export OPENBLAS_CORETYPE="$2"; shift ;;
    --bench-nn) bench_nn="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"; do_build=0; shift ;;
    *) echo "run_nn_compare.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

if [ "$do_build" = 1 ]; then
  # shellcheck source=bench/build_bench.sh
  source "$root/bench/build_bench.sh"
  build_bench bench_nn
fi

out="$build/results-nn/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
summary="$out/summary.txt"
load() { cut -d' ' -f1-3 /proc/loadavg; }

{
  echo "date (UTC): $(date -u '+%Y-%m-%d %H:%M:%S')"
  echo "CPU: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p') ($(nproc) CPUs)"
  echo "OPENBLAS_CORETYPE: ${OPENBLAS_CORETYPE-unset}"
  echo "git: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "bench_nn: $bench_nn"
  echo "load before: $(load)"
} | tee "$summary"

for t in $threads_list; do
  export OMP_NUM_THREADS="$t" OPENBLAS_NUM_THREADS="$t"
  amor_files=()
  torch_files=()
  for w in $workloads; do
    case "$w" in
      mlp) filter='BM_MLPStep' ;;
      tf4) filter='BM_TransformerStep/T:4/' ;;
      tf20) filter='BM_TransformerStep/T:20/' ;;
      *) echo "run_nn_compare.sh: unknown workload $w" >&2; exit 2 ;;
    esac
    echo "threads $t, $w: load $(load)" | tee -a "$summary"
    "$bench_nn" --benchmark_filter="$filter" --benchmark_min_time="$min_time" \
      --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true \
      --benchmark_out_format=json --benchmark_out="$out/amor_${w}_t$t.json" \
      >"$out/amor_${w}_t$t.txt" 2>&1
    python3 "$root/bench/torch_nn_compare.py" --threads "$t" --workloads "$w" \
      --tf-repeat "$tf_repeat" --json "$out/torch_${w}_t$t.json" --no-report \
      2>>"$out/torch_t$t.log"
    amor_files+=("$out/amor_${w}_t$t.json")
    torch_files+=("$out/torch_${w}_t$t.json")
  done
  gemm_args=()
  if [ "$do_gemm" = 1 ]; then
    echo "threads $t, GEMM shapes: load $(load)" | tee -a "$summary"
    "$bench_nn" --benchmark_filter='BM_Gemm/' --benchmark_min_time=0.2 \
      --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
      --benchmark_out_format=json --benchmark_out="$out/amor_gemm_t$t.json" \
      >"$out/amor_gemm_t$t.txt" 2>&1
    gemm_args=(--amor-gemm-json "$out/amor_gemm_t$t.json")
  fi
  echo "OpenBLAS core in use: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["context"].get("openblas_core", "?"))' "${amor_files[0]}")" | tee -a "$summary"
  python3 "$root/bench/torch_nn_compare.py" --threads "$t" --torch-json "${torch_files[@]}" \
    --amor-json "${amor_files[@]}" "${gemm_args[@]}" | tee -a "$summary"
  echo | tee -a "$summary"
done
echo "load after: $(load)" | tee -a "$summary"
echo "results in $out"
