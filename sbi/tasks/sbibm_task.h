// SbibmTask: the base of the sbibm tasks. It reads the reference data of observation k (1..10)
// from the sbibm data directory (layout: ../shared/sbibm/README.md):
//
//   <data_dir>/<folder>/num_observation_<k>/<observation file>             x_o, [1, x_dim]
//   <data_dir>/<folder>/num_observation_<k>/true_parameters.csv            θ_o, [1, theta_dim]
//   <data_dir>/<folder>/num_observation_<k>/reference_posterior_samples.csv.bz2   [n_ref, theta_dim]
//
// The observation file is usually observation.csv; slcp_distractors reads
// observation_distractors.csv and bernoulli_glm_raw observation_raw.csv from their base task's
// folder. Files are read on first use, checked against the task's dimensions (IOError on a
// mismatch) and cached (thread-safe); accessors return copies, so callers may modify them.
// A missing file is an IOError naming the path and saying how to point amor at the data
// (AMOR_SBIBM_DIR or TaskOptions::data_dir).
//
// A derived task supplies name(), prior() and simulator() (and may override the rest).
#pragma once

#include <array>
#include <mutex>
#include <string>

#include "sbi/task.h"

namespace amor::sbi::tasks {

class SbibmTask : public Task {
 public:
  static constexpr int kNumObservations = 10;

  // folder: the sub-directory of the data directory ("two_moons", "slcp", ...).
  // options.data_dir empty: default_data_dir() at construction.
  SbibmTask(std::string folder, const TaskOptions& options,
            std::string observation_file = "observation.csv");

  int num_observations() const override { return kNumObservations; }
  Tensor observation(int k) const override;        // [1, x_dim] float64
  Tensor true_parameters(int k) const override;    // [1, theta_dim] float64
  Tensor reference_samples(int k) const override;  // [n_ref, theta_dim] float64

  const std::string& data_dir() const { return data_dir_; }
  const std::string& folder() const { return folder_; }
  // <data_dir>/<folder>/num_observation_<k>; ValueError unless 1 <= k <= 10.
  std::string observation_dir(int k) const;

 private:
  enum Kind { kObservation = 0, kTrueParameters = 1, kReference = 2 };
  Tensor load(Kind kind, int k) const;

  std::string folder_, data_dir_, observation_file_;
  mutable std::mutex mutex_;
  mutable std::array<std::array<Tensor, kNumObservations>, 3> cache_;
};

}  // namespace amor::sbi::tasks
