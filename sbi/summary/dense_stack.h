// DenseStack: Linear -> activation -> dropout for each width, the "MLP" of BayesFlow's summary
// networks (keras Dense(width, activation) + Dropout per layer: unlike nn::MLP, the last layer
// has an activation too). Applied to the last axis, so it maps every set element alike.
#pragma once

#include <memory>
#include <vector>

#include "core/random.h"
#include "nn/activation.h"
#include "nn/dropout.h"
#include "nn/linear.h"
#include "nn/module.h"
#include "nn/module_list.h"

namespace amor::sbi::summary {

class DenseStack : public nn::UnaryModule {
 public:
  // widths: the output width of each layer (at least one). Dropout layers get seeds
  // dropout_seed, dropout_seed + 1, ...
  DenseStack(int64_t in_features, const std::vector<int64_t>& widths, nn::Act activation, double dropout,
             Generator& gen, uint64_t dropout_seed, DType dtype);
  std::string type_name() const override { return "DenseStack"; }
  Tensor forward(const Tensor& x) override;  // [..., in] -> [..., widths.back()]
  int64_t out_features() const { return out_; }

 private:
  nn::Act act_;
  int64_t out_;
  std::shared_ptr<nn::ModuleList<nn::Linear>> layers_;
  std::vector<std::shared_ptr<nn::Dropout>> dropouts_;  // children "dropout<i>" (no state)
};

}  // namespace amor::sbi::summary
