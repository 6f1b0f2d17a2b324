#include "nn/early_stopping.h"

#include <cmath>

#include "core/autograd.h"

namespace amor::nn {

EarlyStopping::EarlyStopping(int64_t patience, double min_delta) : patience_(patience), min_delta_(min_delta) {
  AMOR_CHECK(patience >= 1, ValueError, "EarlyStopping: patience must be >= 1, got ", patience);
}

bool EarlyStopping::update(double loss, const Module& module) {
  ++evals_;
  if (std::isfinite(loss) && loss < best_ - min_delta_) {
    best_ = loss;
    best_eval_ = evals_ - 1;
    since_best_ = 0;
    NoGradGuard no_grad;
    best_state_.clear();
    for (auto& [name, t] : module.state()) best_state_.emplace_back(name, t.clone());
    return false;
  }
  return ++since_best_ >= patience_;
}

void EarlyStopping::restore_best(Module& module) const {
  AMOR_CHECK(has_best(), ValueError, "EarlyStopping::restore_best: no finite validation loss was recorded");
  NoGradGuard no_grad;
  for (const auto& [name, t] : best_state_) {
    Tensor* slot = module.find_state(name);
    AMOR_CHECK(slot != nullptr, ValueError, "EarlyStopping::restore_best: module has no entry '", name, "'");
    slot->copy_(t);
  }
}

}  // namespace amor::nn
