// parallel_rows: an OpenMP loop over independent rows that carries exceptions out of the region.
//
// An exception escaping an OpenMP parallel region terminates the program, and user code
// (simulators, priors, generative-model functions) may throw. Each row's body runs inside a
// try; the exception of the lowest-numbered failing row is rethrown after the loop, so which
// error the caller sees does not depend on the thread count either. Rows after a failure may
// still run (their outputs are discarded by the caller, which sees the exception).
#pragma once

#include <cstdint>
#include <exception>
#include <limits>

#include <omp.h>

namespace amor::sbi {

// Runs body(i) for i in [0, n). num_threads <= 0: the OpenMP default. `parallel` false (tiny
// work) keeps everything on the calling thread.
template <class F>
void parallel_rows(int64_t n, int num_threads, bool parallel, F&& body) {
  std::exception_ptr first_error;
  int64_t first_row = std::numeric_limits<int64_t>::max();
  const int threads = num_threads > 0 ? num_threads : omp_get_max_threads();
#pragma omp parallel for schedule(dynamic, 16) num_threads(threads) if (parallel && n > 1)
  for (int64_t i = 0; i < n; ++i) {
    try {
      body(i);
    } catch (...) {
#pragma omp critical(amor_sbi_parallel_rows)
      {
        if (i < first_row) {
          first_row = i;
          first_error = std::current_exception();
        }
      }
    }
  }
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace amor::sbi
