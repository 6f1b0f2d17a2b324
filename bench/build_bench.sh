# Sourced by the bench/run_*.sh scripts: build_bench TARGET... configures build/bench (Release,
# benchmarks only: no CUDA, tests or command line) and builds the given targets.
build_bench() {
  cmake -S "$root" -B "$build" -DAMOR_CUDA=OFF -DAMOR_BUILD_BENCH=ON -DAMOR_BUILD_TESTS=OFF \
    -DAMOR_BUILD_APPS=OFF -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j "${AMOR_JOBS:-2}" --target "$@"
}
