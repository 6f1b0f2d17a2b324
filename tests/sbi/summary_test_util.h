// Helpers shared by the summary-network tests (test_summary_*.cpp).
#pragma once

#include <gtest/gtest.h>

#include <omp.h>

namespace amor::sbi::test {

// Accuracy runs train for ~1000 steps: seconds in a release build, more than a minute under
// AddressSanitizer. The sanitizer build skips them; the short tests run the same code paths.
#if defined(__SANITIZE_ADDRESS__)
#define SKIP_ACCURACY_UNDER_SANITIZERS() GTEST_SKIP() << "accuracy run skipped under AddressSanitizer"
#else
#define SKIP_ACCURACY_UNDER_SANITIZERS() (void)0
#endif

// Runs the enclosed code on `n` OpenMP threads and restores the previous count. Training runs of
// many small steps have ops near the kernels' threading threshold; on a machine loaded beyond
// its cores every parallel region then costs milliseconds of thread wake-up, so those tests pin
// one thread to keep their run time at a few seconds. Results do not depend on the thread count
// (test_summary_npe.cpp: ThreadCountDoesNotChangeTraining).
class ScopedOmpThreads {
 public:
  explicit ScopedOmpThreads(int n) : saved_(omp_get_max_threads()) { omp_set_num_threads(n); }
  ~ScopedOmpThreads() { omp_set_num_threads(saved_); }
  ScopedOmpThreads(const ScopedOmpThreads&) = delete;
  ScopedOmpThreads& operator=(const ScopedOmpThreads&) = delete;

 private:
  int saved_;
};

}  // namespace amor::sbi::test
