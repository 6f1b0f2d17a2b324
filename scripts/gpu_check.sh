#!/usr/bin/env bash
# The GPU checks of issue #8, for a machine that has a CUDA device (the `device` tool's lent
# machine): the `gpu` CTest suite, then the CUDA kernel tests under compute-sanitizer's memcheck,
# racecheck (shared-memory races), synccheck (barrier misuse) and initcheck (uninitialised device
# memory), when compute-sanitizer is installed. Build first (scripts/build.sh werror, nvcc
# present), then:
#
#   bash scripts/gpu_check.sh [build dir]          (default build/werror)
#
# Environment: AMOR_GPU_FILTER, a gtest filter for the sanitizer runs (default: every test;
# racecheck is slow, so e.g. 'CudaKernels/0.*' keeps it to float32).
# Exits non-zero when any step fails; prints a one-line summary per step.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build/werror}"
exe="$build/tests/amor_tests_gpu"
filter="${AMOR_GPU_FILTER:-*}"
summary=()
failed=0
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
step "gpu suite (ctest -L gpu)" ctest --test-dir "$build" -L gpu --output-on-failure
# A suite that only skipped proves nothing: require the device to be seen.
if "$exe" --gtest_filter='CudaDevice.NamesAndSmokeKernel' 2>&1 | grep -q "SKIPPED"; then
  echo "gpu_check.sh: no usable CUDA device: the gpu tests skipped" >&2
  summary+=("device: NOT FOUND (tests skipped)")
  failed=1
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

echo "==== summary"
for s in "${summary[@]}"; do echo "  $s"; done
exit "$failed"
