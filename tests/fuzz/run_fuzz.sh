#!/usr/bin/env bash
# Fuzzes the safetensors reader (nn/checkpoint.cpp) with libFuzzer + ASan + UBSan.
#
#   tests/fuzz/run_fuzz.sh [seconds]      (default 60)
#
# Builds the amor sources the reader needs and tests/fuzz/fuzz_safetensors.cpp with clang++ (through
# ccache when present) into build/fuzz (override with AMOR_FUZZ_BUILD_DIR; the compiler with AMOR_FUZZ_CXX), writes a seed
# corpus of valid files, and runs the fuzzer for the given time. Exits non-zero when the fuzzer
# finds a crash, sanitizer report or leak; the reproducer lands in build/fuzz/artifacts/ and
# replays with `build/fuzz/fuzz_safetensors <file>`.
set -euo pipefail

seconds="${1:-60}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${AMOR_FUZZ_BUILD_DIR:-$root/build/fuzz}"
cxx="${AMOR_FUZZ_CXX:-$(command -v clang++ || command -v clang++-14 || true)}"
if [[ -z "$cxx" ]]; then
  echo "run_fuzz.sh: clang++ not found (apt-get install clang libclang-rt-14-dev)" >&2
  exit 2
fi
jobs="$(nproc 2>/dev/null || echo 2)"

launcher=()
if command -v ccache >/dev/null 2>&1; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S "$root/tests/fuzz" -B "$build" -DCMAKE_CXX_COMPILER="$cxx" "${launcher[@]}" >/dev/null
cmake --build "$build" -j"$jobs" --target fuzz_safetensors make_safetensors_corpus

corpus="$build/corpus"
mkdir -p "$corpus" "$build/artifacts"
"$build/make_safetensors_corpus" "$corpus"

export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export OMP_NUM_THREADS=1
echo "run_fuzz.sh: fuzzing for ${seconds}s (corpus $corpus)"
"$build/fuzz_safetensors" \
  -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
  -dict="$root/tests/fuzz/safetensors.dict" \
  -artifact_prefix="$build/artifacts/" -print_final_stats=1 \
  "$corpus"
