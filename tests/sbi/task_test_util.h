// Helpers for the task tests: finding the sbibm data, and the typicality check of an
// observation against fresh simulations.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "sbi/simulator.h"
#include "sbi/task.h"

namespace amor::sbi::test {

inline bool sbibm_folder_present(const std::string& folder) {
  struct stat st {};
  const std::string path = default_data_dir() + "/" + folder;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// The sbibm folder a task's data lives in.
inline std::string sbibm_folder(const std::string& task) {
  if (task == "slcp_distractors") return "slcp";
  if (task == "bernoulli_glm_raw") return "bernoulli_glm";
  return task;
}

#define AMOR_SKIP_WITHOUT_SBIBM(folder)                                                        \
  do {                                                                                         \
    if (!::amor::sbi::test::sbibm_folder_present(folder)) {                                    \
      GTEST_SKIP() << "sbibm data folder '" << (folder) << "' not found under '"              \
                   << ::amor::sbi::default_data_dir() << "' (set AMOR_SBIBM_DIR to run this)"; \
    }                                                                                          \
  } while (0)

// Statistics of one x: x[x_dim] -> values (names given separately).
using StatFn = std::function<std::vector<double>(const double* x)>;

// Typicality of x_o under the simulator at θ: the statistics of x_o that fall outside the range
// [min, max] of the same statistics over N fresh simulations at θ.
//
// Why this cannot flake for a correct simulator: if x_o is a draw from the simulator at θ, it is
// exchangeable with the N simulations, so for one continuous statistic P(outside [min, max]) is
// exactly 2/(N+1) (less with ties, the range being closed). With K statistics the union bound
// gives P(any outside) <= 2K/(N+1). N = max(1000, 100·K) keeps that below 2 % for every task:
// with K <= 10 statistics the band is the central ~99.8 % of 1000 simulations, and with more
// statistics N grows (Bonferroni). The seed is fixed, so the test is deterministic; the 2 % is
// the chance that a correct simulator would have been caught by an unlucky seed.
struct TypicalityResult {
  std::vector<std::string> outside;  // names of the statistics outside the band
  int64_t num_sims = 0;
  int64_t num_stats = 0;
};

inline TypicalityResult check_typical(const Simulator& sim, const std::vector<double>& theta,
                                      const std::vector<double>& x_o, const StatFn& stats,
                                      const std::vector<std::string>& stat_names, uint64_t seed) {
  const std::vector<double> s_o = stats(x_o.data());
  const int64_t k = int64_t(s_o.size());
  EXPECT_EQ(size_t(k), stat_names.size());
  const int64_t n = std::max<int64_t>(1000, 100 * k);
  const int64_t d = int64_t(theta.size());
  std::vector<double> rows(size_t(n * d));
  for (int64_t i = 0; i < n; ++i) std::copy(theta.begin(), theta.end(), rows.begin() + i * d);
  const Tensor x = simulate(sim, from_vector<double>(rows, {n, d}), seed);
  const double* px = x.data<double>();
  const int64_t dx = x.size(1);
  std::vector<double> lo(size_t(k), 1e300), hi(size_t(k), -1e300);
  for (int64_t i = 0; i < n; ++i) {
    const std::vector<double> s = stats(px + i * dx);
    for (int64_t j = 0; j < k; ++j) {
      lo[size_t(j)] = std::min(lo[size_t(j)], s[size_t(j)]);
      hi[size_t(j)] = std::max(hi[size_t(j)], s[size_t(j)]);
    }
  }
  TypicalityResult r;
  r.num_sims = n;
  r.num_stats = k;
  for (int64_t j = 0; j < k; ++j)
    if (!(s_o[size_t(j)] >= lo[size_t(j)] && s_o[size_t(j)] <= hi[size_t(j)]))
      r.outside.push_back(stat_names[size_t(j)]);
  return r;
}

}  // namespace amor::sbi::test
