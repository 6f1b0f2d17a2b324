#!/usr/bin/env bash
# Configure and build amor into build/<preset>.
#
#   bash scripts/build.sh [preset] [extra cmake --build args...]
#
# Presets:
#   release  (default) optimised build: library, `amor` command line, tests
#   werror   release build with warnings as errors (AMOR_WERROR=ON); what scripts/test.sh tests
#            and installs
#   asan     AddressSanitizer + UndefinedBehaviorSanitizer (RelWithDebInfo, AMOR_SANITIZE=ON);
#            CUDA and the command line are off: only the library and the tests are built
#
# Environment: AMOR_JOBS (default 2) parallel jobs; AMOR_CMAKE_ARGS extra configure arguments;
# AMOR_KEEP_GOING=1 builds every target it can after an error (still exits non-zero).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
preset="${1:-release}"
shift || true

bash "$root/scripts/setup.sh"

# nvcc lives outside PATH on many machines; let CMake's CUDA detection find it.
if ! command -v nvcc >/dev/null 2>&1 && [ -z "${CUDACXX:-}" ] && [ -x /usr/local/cuda/bin/nvcc ]; then
  export CUDACXX=/usr/local/cuda/bin/nvcc
fi

args=()
case "$preset" in
  release)
    args+=(-DCMAKE_BUILD_TYPE=Release -DAMOR_WERROR=OFF -DAMOR_SANITIZE=OFF)
    ;;
  werror)
    args+=(-DCMAKE_BUILD_TYPE=Release -DAMOR_WERROR=ON -DAMOR_SANITIZE=OFF)
    ;;
  asan)
    # -O1 -g1 without NDEBUG: assertions on, quick to compile, file:line in sanitizer stacks.
    # AMOR_NATIVE=OFF: with -march=native (AVX-512) GCC places 64-byte-aligned objects on the
    # stack and accesses them with aligned zmm moves, but libasan's use-after-return fake stack
    # (scripts/test.sh turns it on) only aligns frames to 32 bytes (llvm-project #152819, fixed
    # after GCC 12's libasan): the unit tests then crashed (vmovdqa64 on a misaligned frame) or
    # computed garbage. Baseline x86-64 code needs at most 16-byte alignment.
    args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1"
           -DAMOR_SANITIZE=ON -DAMOR_WERROR=OFF -DAMOR_NATIVE=OFF
           -DAMOR_CUDA=OFF -DAMOR_BUILD_APPS=OFF -DAMOR_BUILD_TESTS=ON -DAMOR_BUILD_BENCH=OFF)
    ;;
  *)
    echo "build.sh: unknown preset '$preset' (release, werror, asan)" >&2
    exit 2
    ;;
esac

if command -v ccache >/dev/null 2>&1; then
  args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
fi
# shellcheck disable=SC2206  # AMOR_CMAKE_ARGS is split on purpose
extra=(${AMOR_CMAKE_ARGS:-})

build_dir="$root/build/$preset"
echo "build.sh: configuring $preset in $build_dir"
cmake -S "$root" -B "$build_dir" "${args[@]}" "${extra[@]}"
echo "build.sh: building $preset"
keep_going=()
if [ "${AMOR_KEEP_GOING:-0}" = 1 ] && [ $# -eq 0 ]; then
  case "$(sed -n 's/^CMAKE_GENERATOR:INTERNAL=//p' "$build_dir/CMakeCache.txt")" in
    Ninja*) keep_going=(-- -k 0) ;;
    *Makefiles) keep_going=(-- -k) ;;
  esac
fi
cmake --build "$build_dir" -j "${AMOR_JOBS:-2}" "$@" "${keep_going[@]}"
echo "build.sh: $preset built in $build_dir"
