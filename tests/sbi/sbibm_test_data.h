// Where the tests find the sbibm reference data: $AMOR_SBIBM_DIR, else the compiled-in
// default (AMOR_DEFAULT_SBIBM_DIR, see the top-level CMakeLists.txt). Tests GTEST_SKIP when a
// file is absent.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace amor::testing {

inline std::string sbibm_dir() {
  if (const char* env = std::getenv("AMOR_SBIBM_DIR"); env && *env) return env;
#ifdef AMOR_DEFAULT_SBIBM_DIR
  return AMOR_DEFAULT_SBIBM_DIR;
#else
  return "";
#endif
}

// <dir>/<task>/num_observation_<k>/reference_posterior_samples.csv.bz2, or "" when absent.
inline std::string sbibm_reference_file(const std::string& task, int k = 1) {
  const std::string path = sbibm_dir() + "/" + task + "/num_observation_" + std::to_string(k) +
                           "/reference_posterior_samples.csv.bz2";
  return std::filesystem::exists(path) ? path : std::string();
}

}  // namespace amor::testing
