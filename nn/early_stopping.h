// Early stopping: tracks the best validation loss, keeps a copy of the module's state at that
// point, and says when `patience` evaluations passed without improvement; restore_best() puts
// the best weights back (sbi's default: patience 20 epochs).
#pragma once

#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "nn/module.h"

namespace amor::nn {

class EarlyStopping {
 public:
  explicit EarlyStopping(int64_t patience, double min_delta = 0.0);
  // Records a validation loss; returns true when training should stop. A NaN loss never improves.
  bool update(double validation_loss, const Module& module);
  void restore_best(Module& module) const;
  double best_loss() const { return best_; }
  int64_t best_evaluation() const { return best_eval_; }
  int64_t evaluations() const { return evals_; }
  bool has_best() const { return !best_state_.empty(); }

 private:
  int64_t patience_;
  double min_delta_;
  double best_ = std::numeric_limits<double>::infinity();
  int64_t best_eval_ = -1, evals_ = 0, since_best_ = 0;
  std::vector<std::pair<std::string, Tensor>> best_state_;
};

}  // namespace amor::nn
