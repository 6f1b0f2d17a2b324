// Helpers for running kernels/cuda device code through the CPU execution harness and comparing it
// with the kernels/cpu twins. Include before any kernels/cuda/*.cuh (it includes the harness,
// which defines the CUDA keywords).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "tests/cuda_harness/harness.h"
#include "kernels/cuda/kernel_support.cuh"
#include "tests/kernels/kernel_compare.h"

namespace amor::kernels::cuda::testing {

using namespace ::amor::kernels::testing;  // NOLINT: kernel_compare.h
using cuda_harness::Schedule;

// The `launch` callable of a kernel family's run_* plan, on the CPU harness.
struct HarnessLaunch {
  Schedule schedule = Schedule::kInOrder;
  uint64_t seed = 0;

  template <class... Params, class... Args>
  void operator()(const LaunchShape& s, void (*kernel)(Params...), Args... args) const {
    cuda_harness::LaunchConfig c;
    c.grid = s.grid;
    c.block = s.block;
    c.dynamic_shared_bytes = s.shared_bytes;
    c.schedule = schedule;
    c.seed = seed;
    cuda_harness::launch(c, kernel, args...);
  }
};

// The three orders every kernel is run under: results must agree bit for bit (a difference is
// a race between barriers).
inline std::vector<HarnessLaunch> all_schedules(uint64_t seed) {
  return {{Schedule::kInOrder, 0}, {Schedule::kReverse, 0}, {Schedule::kShuffled, seed}};
}

inline const char* schedule_name(Schedule s) {
  switch (s) {
    case Schedule::kInOrder: return "in-order";
    case Schedule::kReverse: return "reverse";
    case Schedule::kShuffled: return "shuffled";
  }
  return "?";
}

}  // namespace amor::kernels::cuda::testing
