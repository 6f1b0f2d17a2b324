#!/usr/bin/env bash
# The GPU checks of issue #8, for a machine that has a CUDA device (the `device` tool's lent
# machine), in one command: the `gpu` CTest suite, then the CUDA tests under compute-sanitizer's
# memcheck, racecheck (shared-memory races), synccheck (barrier misuse) and initcheck
# (uninitialised device memory) when compute-sanitizer is installed, then the GPU benchmarks
# (bench/run_gpu_compare.sh: fused attention vs cuBLAS + softmax vs PyTorch SDPA, Simformer
# training steps/s). Build first (scripts/build.sh werror, nvcc present), then:
#
#   bash scripts/gpu_check.sh [build dir]          (default build/werror)
#
# Writes a results file in Markdown, ready to paste into bench/RESULTS.md: the machine, each
# step's outcome, the gpu suite's pass/skip/fail counts and the benchmarks' tables.
#
# Environment: AMOR_GPU_FILTER, a gtest filter for the sanitizer runs (default: every test;
# racecheck is slow, so e.g. 'CudaKernels/0.*' keeps it to float32); AMOR_GPU_BENCH=0 skips the
# benchmarks; AMOR_GPU_RESULTS, the results file (default <build dir>/gpu_check_results.md).
# The benchmarks use <build dir> when it was configured with AMOR_BUILD_BENCH=ON, else
# run_gpu_compare.sh builds build/bench-gpu.
# Exits non-zero when any step fails; prints a one-line summary per step.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build/werror}"
exe="$build/tests/amor_tests_gpu"
filter="${AMOR_GPU_FILTER:-*}"
results="${AMOR_GPU_RESULTS:-$build/gpu_check_results.md}"
logs="$(mktemp -d)"
summary=()
failed=0
have_device=1
step() {  # step <name> <command...>
  local name="$1"; shift
  echo "==== $name"
  if "$@"; then summary+=("$name: OK"); else summary+=("$name: FAILED"); failed=1; fi
}

if [ ! -x "$exe" ]; then
  echo "gpu_check.sh: $exe not built (configure with nvcc present, AMOR_CUDA=ON)" >&2
  exit 2
fi
command -v nvidia-smi >/dev/null && nvidia-smi -L
step "gpu suite (ctest -L gpu)" bash -c "ctest --test-dir '$build' -L gpu --output-on-failure | tee '$logs/ctest.txt'; exit \${PIPESTATUS[0]}"
# A suite that only skipped proves nothing: require the device to be seen.
# (Output captured first: with pipefail, `| grep -q` would see the test binary die of SIGPIPE.)
smoke="$("$exe" --gtest_filter='CudaDevice.NamesAndSmokeKernel' 2>&1 || true)"
if printf '%s\n' "$smoke" | grep -q "SKIPPED"; then
  echo "gpu_check.sh: no usable CUDA device: the gpu tests skipped" >&2
  summary+=("device: NOT FOUND (tests skipped)")
  failed=1
  have_device=0
fi

cs="$(command -v compute-sanitizer || true)"
[ -z "$cs" ] && [ -x /usr/local/cuda/bin/compute-sanitizer ] && cs=/usr/local/cuda/bin/compute-sanitizer
if [ -z "$cs" ]; then
  summary+=("compute-sanitizer: not installed, skipped")
else
  for tool in memcheck racecheck synccheck initcheck; do
    step "compute-sanitizer $tool" "$cs" --tool "$tool" --error-exitcode 1 "$exe" --gtest_filter="$filter"
  done
fi

if [ "${AMOR_GPU_BENCH:-1}" = 0 ]; then
  summary+=("benchmarks: skipped (AMOR_GPU_BENCH=0)")
elif [ "$have_device" = 0 ]; then
  summary+=("benchmarks: skipped (no CUDA device)")
else
  bench_args=(--out "$logs/bench")
  [ -x "$build/bench/bench_attention_cuda" ] && bench_args+=(--build-dir "$build")
  step "benchmarks (bench/run_gpu_compare.sh)" bash "$root/bench/run_gpu_compare.sh" "${bench_args[@]}"
fi

echo "==== summary"
for s in "${summary[@]}"; do echo "  $s"; done

# The results file: what bench/RESULTS.md records for a GPU run.
{
  echo "## GPU check ($(date -u '+%Y-%m-%d'), git $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo ?))"
  echo
  echo "- GPU: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo 'nvidia-smi not available')"
  echo "- CUDA: $(nvcc --version 2>/dev/null | sed -n 's/.*release \([0-9.]*\).*/\1/p' || true); CPU: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p') ($(nproc) CPUs)"
  echo "- OPENBLAS_CORETYPE: ${OPENBLAS_CORETYPE-unset}; load: $(cut -d' ' -f1-3 /proc/loadavg)"
  for s in "${summary[@]}"; do echo "- $s"; done
  if [ -f "$logs/ctest.txt" ]; then
    echo "- gpu suite: $(grep -E 'tests passed|tests failed' "$logs/ctest.txt" | tail -1)"
    echo "  ($(grep -c '(Skipped)$' "$logs/ctest.txt" || true) of them skipped)"
  fi
  if [ -f "$logs/bench/summary.txt" ]; then
    echo
    echo '```'
    cat "$logs/bench/summary.txt"
    echo '```'
  fi
} > "$results"
echo "gpu_check.sh: results written to $results (paste into bench/RESULTS.md)"
exit "$failed"
