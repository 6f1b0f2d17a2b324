// Dropout: in training mode zeroes each element with probability p and scales the rest by
// 1/(1-p); the identity in eval mode. Its own Generator keeps runs reproducible.
#pragma once

#include "core/random.h"
#include "nn/module.h"

namespace amor::nn {

class Dropout : public UnaryModule {
 public:
  explicit Dropout(double p, uint64_t seed = 0);
  std::string type_name() const override { return "Dropout"; }
  Tensor forward(const Tensor& x) override;

 private:
  double p_;
  Generator gen_;
};

}  // namespace amor::nn
