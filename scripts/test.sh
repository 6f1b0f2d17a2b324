#!/usr/bin/env bash
# THE test command:  bash scripts/test.sh
#
#   1. setup (Debian packages)
#   2. build/werror: Release with warnings as errors; unit tests (ctest -LE "slow|gpu")
#   3. build/asan:   ASan + UBSan (CUDA off, library + tests only); the unit tests again
#   4. fuzz: the safetensors reader under libFuzzer + ASan + UBSan for AMOR_FUZZ_SECONDS (default
#      60) seconds (tests/fuzz/run_fuzz.sh: a clang build in build/fuzz of only the sources the
#      reader needs, through ccache). A crash, sanitizer report, leak or timeout fails; so does a
#      missing clang (scripts/setup.sh installs it)
#   5. install build/werror into a temporary prefix; build and run examples/consumer against it
#      with find_package(amor)
#   6. when nvcc is present: the CUDA sources compiled for sm_80/sm_90 and the `gpu` tests run
#      (they skip when the machine has no GPU)
#
# Every stage runs even when an earlier one failed: a build that fails on one file still builds
# everything else, and its tests run (a test executable that could not be built shows up as a
# failing `<name>_NOT_BUILT` test). The exit status is non-zero when any stage failed.
# Environment: AMOR_JOBS (default 2), AMOR_FUZZ_SECONDS (default 60).
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export AMOR_KEEP_GOING=1
jobs="${AMOR_JOBS:-2}"
start=$(date +%s)
results=()   # "stage: OK|FAILED|skipped ..."
summaries=() # ctest summary lines
failed=0

tmp="$(mktemp -d "${TMPDIR:-/tmp}/amor-test.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

banner() { printf '\n==== %s ====\n' "$*"; }
record() {  # record <stage> <rc> [detail]
  if [ "$2" -eq 0 ]; then results+=("$1: OK${3:+ ($3)}"); else results+=("$1: FAILED${3:+ ($3)}"); failed=1; fi
}
elapsed() { echo "$(( $(date +%s) - $1 ))s"; }

# run_ctest <stage> <build dir> [ctest args...]: runs ctest, keeps its summary lines.
run_ctest() {
  local stage="$1" dir="$2"; shift 2
  local log="$tmp/ctest-$stage.log" t0 rc
  t0=$(date +%s)
  ctest --test-dir "$dir" --output-on-failure -j "$jobs" "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  while IFS= read -r line; do summaries+=("[$stage] $line"); done < <(
    grep -E "tests passed|tests failed out of|No tests were found|Total Test time" "$log")
  record "$stage tests" "$rc" "$(elapsed "$t0")"
  return "$rc"
}

if [ -z "$(command -v nvcc || true)" ] && [ -z "${CUDACXX:-}" ] && [ -x /usr/local/cuda/bin/nvcc ]; then
  export CUDACXX=/usr/local/cuda/bin/nvcc
fi
nvcc_bin="$(command -v nvcc || echo "${CUDACXX:-}")"

# ---- 1. setup -------------------------------------------------------------------------------
banner "setup"
if ! bash scripts/setup.sh; then
  echo "test.sh: setup failed" >&2
  exit 1
fi

# ---- 2. warnings-as-errors build + unit tests -------------------------------------------------
banner "build: werror (Release, AMOR_WERROR=ON)"
t0=$(date +%s)
bash scripts/build.sh werror
werror_rc=$?
record "werror build" "$werror_rc" "$(elapsed "$t0")"
if [ -f build/werror/CTestTestfile.cmake ]; then
  banner "unit tests: werror"
  run_ctest werror build/werror -LE "slow|gpu"
fi

# ---- 3. ASan + UBSan build + unit tests -------------------------------------------------------
banner "build: asan (ASan + UBSan, AMOR_CUDA=OFF)"
# LeakSanitizer needs ptrace-like access that some containers forbid: probe it.
detect_leaks=0
printf '#include <cstdlib>\nint main() { void* volatile p = std::malloc(64); p = nullptr; return 0; }\n' >"$tmp/leak.cpp"
if c++ -fsanitize=address -o "$tmp/leak" "$tmp/leak.cpp" 2>/dev/null; then
  leak_out="$(ASAN_OPTIONS=detect_leaks=1 "$tmp/leak" 2>&1 || true)"
  [[ "$leak_out" == *"LeakSanitizer: detected memory leaks"* ]] && detect_leaks=1
fi
echo "test.sh: LeakSanitizer $([ "$detect_leaks" = 1 ] && echo works || echo 'does not work here'): detect_leaks=$detect_leaks"
export ASAN_OPTIONS="detect_leaks=$detect_leaks:check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
if [ -f tests/sanitizers/lsan.supp ]; then
  export LSAN_OPTIONS="suppressions=$root/tests/sanitizers/lsan.supp:print_suppressions=0"
fi
t0=$(date +%s)
bash scripts/build.sh asan
asan_rc=$?
record "asan build" "$asan_rc" "$(elapsed "$t0")"
if [ -f build/asan/CTestTestfile.cmake ]; then
  banner "unit tests: asan"
  run_ctest asan build/asan -LE "slow|gpu"
fi
unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS

# ---- 4. fuzz the safetensors reader -----------------------------------------------------------
fuzz_seconds="${AMOR_FUZZ_SECONDS:-60}"
banner "fuzz: safetensors reader (${fuzz_seconds}s, libFuzzer + ASan + UBSan)"
t0=$(date +%s)
if [ -z "$(command -v clang++ || command -v clang++-14 || true)" ]; then
  echo "test.sh: clang++ not found, so the fuzz target cannot be built; scripts/setup.sh installs" \
       "clang and libclang-rt-14-dev: did setup fail?" >&2
  record "fuzz (safetensors)" 1 "clang++ missing"
else
  # Leak checking as probed above; a finding aborts, so the fuzzer exits non-zero.
  ASAN_OPTIONS="abort_on_error=1:detect_leaks=$detect_leaks" AMOR_FUZZ_BUILD_DIR="$root/build/fuzz" \
    bash tests/fuzz/run_fuzz.sh "$fuzz_seconds" 2>&1 | tee "$tmp/fuzz.log" | grep -vE "^#[0-9]+|NEW_FUNC"
  fuzz_rc=${PIPESTATUS[0]}
  summaries+=("[fuzz] $(grep -E '^Done [0-9]+ runs' "$tmp/fuzz.log" | tail -1)")
  [ "$fuzz_rc" -ne 0 ] && echo "test.sh: the fuzzer failed; reproducer (if any) in build/fuzz/artifacts/" >&2
  record "fuzz (safetensors)" "$fuzz_rc" "$(elapsed "$t0")"
fi

# ---- 5. install + find_package(amor) consumer -------------------------------------------------
banner "install + examples/consumer"
if [ -f build/werror/cmake_install.cmake ]; then
  t0=$(date +%s)
  (
    set -e
    # Needs only the libraries (and the command line) to have been built.
    cmake --install build/werror --prefix "$tmp/prefix" >"$tmp/install.log"
    echo "installed into $tmp/prefix ($(find "$tmp/prefix" -type f | wc -l) files)"
    cmake -S examples/consumer -B "$tmp/consumer" -DCMAKE_PREFIX_PATH="$tmp/prefix" \
      -DCMAKE_BUILD_TYPE=Release >"$tmp/consumer-configure.log" 2>&1 ||
      { cat "$tmp/consumer-configure.log"; exit 1; }
    cmake --build "$tmp/consumer" -j "$jobs"
    "$tmp/consumer/consumer"
  )
  record "install + consumer" $? "$(elapsed "$t0")"
else
  results+=("install + consumer: skipped (werror build not configured)")
  failed=1
fi

# ---- 6. CUDA ----------------------------------------------------------------------------------
banner "CUDA"
if [ -n "$nvcc_bin" ]; then
  lib=build/werror/kernels/cuda/libamor_kernels_cuda.a
  cuda_rc=0
  if ! grep -q "^AMOR_CUDA:BOOL=ON" build/werror/CMakeCache.txt 2>/dev/null; then
    echo "test.sh: nvcc is at $nvcc_bin but build/werror was configured with AMOR_CUDA=OFF" >&2
    cuda_rc=1
  elif [ ! -f "$lib" ]; then
    echo "test.sh: $lib was not built" >&2
    cuda_rc=1
  else
    objdump -h "$lib" | grep "\.nv_fatbin" >/dev/null || { echo "test.sh: $lib has no device code" >&2; cuda_rc=1; }
    archs="$(strings -a "$lib" | grep -oE '\<sm_[0-9]+a?\>' | sort -u | tr '\n' ' ')"
    for arch in sm_80 sm_90; do
      [[ " $archs" == *" $arch "* ]] || { echo "test.sh: $lib has no $arch code (found: $archs)" >&2; cuda_rc=1; }
    done
    symbols="$(nm -C "$lib")"
    grep " T amor::cuda_device_count()" <<<"$symbols" >/dev/null || { echo "test.sh: cuda_device_count missing" >&2; cuda_rc=1; }
    # The GPU twins of the kernels/cpu kernels (kernels/cuda/*.h), float and double.
    for fn in attention_fwd attention_bwd layer_norm_fwd layer_norm_bwd softmax_fwd softmax_bwd \
              log_softmax_fwd log_softmax_bwd rq_spline_fwd rq_spline_bwd affine_coupling_fwd \
              affine_coupling_bwd fill_uniform fill_normal fill_bernoulli fill_gamma sum_axis \
              mean_axis var_axis max_axis min_axis logsumexp_axis; do
      for t in float double; do
        grep -E " [TW] void amor::kernels::cuda::$fn<$t>\(" <<<"$symbols" >/dev/null ||
          { echo "test.sh: amor::kernels::cuda::$fn<$t> missing from $lib" >&2; cuda_rc=1; }
      done
    done
    [ "$cuda_rc" -eq 0 ] && echo "CUDA sources compiled: $lib ($(grep -c " [TW] " <<<"$symbols") functions; device code for sm_80, sm_90)"
  fi
  record "CUDA compiled (nvcc $("$nvcc_bin" --version | sed -n 's/.*release \([0-9.]*\).*/\1/p'))" "$cuda_rc"
  if [ "$cuda_rc" -eq 0 ]; then
    run_ctest gpu build/werror -L gpu
  fi
else
  results+=("CUDA: skipped (no nvcc)")
fi

# ---- summary ----------------------------------------------------------------------------------
banner "summary ($(elapsed "$start"))"
for r in "${results[@]}"; do echo "  $r"; done
for s in "${summaries[@]}"; do echo "  $s"; done
if [ "$failed" -ne 0 ]; then
  echo "test.sh: FAILED"
  exit 1
fi
echo "test.sh: all passed"
