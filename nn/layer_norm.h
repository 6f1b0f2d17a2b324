// LayerNorm over the last axis with learned scale (ones) and shift (zeros); fused kernel.
#pragma once

#include "nn/module.h"

namespace amor::nn {

class LayerNorm : public UnaryModule {
 public:
  explicit LayerNorm(int64_t features, double eps = 1e-5, bool affine = true, DType dtype = DType::F32);
  std::string type_name() const override { return "LayerNorm"; }
  Tensor forward(const Tensor& x) override;  // x: [..., features]

  Tensor weight, bias;  // undefined when not affine

 private:
  int64_t features_;
  double eps_;
};

}  // namespace amor::nn
