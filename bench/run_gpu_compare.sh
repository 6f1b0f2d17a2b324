#!/usr/bin/env bash
# The GPU benchmarks of issue #8 in one go, for a machine with a CUDA device:
#   1. bench_attention_cuda: amor's fused attention fwd+bwd vs an unfused cuBLAS + softmax
#      composition (B = 1000, H = 4, D = 10, T in {4, 20, 64, 256});
#   2. bench/torch_attention_compare.py: PyTorch's scaled_dot_product_attention on the same shapes
#      and GPU, and the ratio table (torch / fused, unfused / fused);
#   3. bench_simformer_gpu: Simformer training steps/s on two_moons and gaussian_linear against
#      the reference's ~60-110 steps/s on an RTX 2080-class GPU.
#
#   bash bench/run_gpu_compare.sh [--no-build] [--build-dir DIR] [--repetitions N] [--out DIR]
#
# Builds build/bench-gpu (Release, AMOR_CUDA=ON, benchmarks only) unless --no-build or
# --build-dir names an existing build with AMOR_BUILD_BENCH=ON. Needs torch with CUDA for step 2
# (skipped with a message otherwise). Results: DIR (default build/bench-gpu/results-gpu/<UTC
# time>/): summary.txt (paste into bench/RESULTS.md), attention.json, torch_attention.json,
# simformer.json. Without a CUDA device every step says so and the script exits 0.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build/bench-gpu"
reps=3
do_build=1
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) do_build=0 ;;
    --build-dir) build="$2"; do_build=0; shift ;;
    --repetitions) reps="$2"; shift ;;
    --out) out="$2"; shift ;;
    *) echo "run_gpu_compare.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

if [ "$do_build" = 1 ]; then
  if ! command -v nvcc >/dev/null 2>&1 && [ -z "${CUDACXX:-}" ] && [ -x /usr/local/cuda/bin/nvcc ]; then
    export CUDACXX=/usr/local/cuda/bin/nvcc
  fi
  cmake -S "$root" -B "$build" -DAMOR_CUDA=ON -DAMOR_BUILD_BENCH=ON -DAMOR_BUILD_TESTS=OFF \
    -DAMOR_BUILD_APPS=OFF -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j "${AMOR_JOBS:-$(nproc)}" --target bench_attention_cuda bench_simformer_gpu
fi
bin="$build/bench"
for exe in bench_attention_cuda bench_simformer_gpu; do
  if [ ! -x "$bin/$exe" ]; then
    echo "run_gpu_compare.sh: $bin/$exe not built (needs AMOR_CUDA=ON and AMOR_BUILD_BENCH=ON)" >&2
    exit 2
  fi
done

[ -n "$out" ] || out="$build/results-gpu/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
summary="$out/summary.txt"
{
  echo "date (UTC): $(date -u '+%Y-%m-%d %H:%M:%S'), git $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo ?)"
  echo "GPU: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo 'nvidia-smi not available')"
  echo "CPU: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p') ($(nproc) CPUs)"
  echo "OPENBLAS_CORETYPE: ${OPENBLAS_CORETYPE-unset}; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$summary"

probe="$("$bin/bench_attention_cuda" --benchmark_filter=NONE 2>&1 || true)"
if printf '%s\n' "$probe" | grep -q "no CUDA device"; then
  printf '%s\n' "$probe" | head -1 | tee -a "$summary"
  echo "run_gpu_compare.sh: no CUDA device; nothing timed" | tee -a "$summary"
  exit 0
fi

echo "==== attention fwd+bwd: amor fused vs cuBLAS + softmax vs PyTorch SDPA" | tee -a "$summary"
"$bin/bench_attention_cuda" --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true \
  --benchmark_out_format=json --benchmark_out="$out/attention.json" | tee -a "$summary"
# Run Python from outside the repository: its sbi/ folder would shadow the sbi package.
(cd /tmp && python3 "$root/bench/torch_attention_compare.py" --amor-json "$out/attention.json" \
  --json-out "$out/torch_attention.json") | tee -a "$summary"

echo "==== Simformer training steps/s (reference: ~60-110 steps/s on an RTX 2080-class GPU)" | tee -a "$summary"
"$bin/bench_simformer_gpu" --benchmark_out_format=json --benchmark_out="$out/simformer.json" | tee -a "$summary"

echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$summary"
echo "run_gpu_compare.sh: results in $out"
