// Linear: y = x·Wᵀ + b with W: [out, in] (PyTorch's layout) and b: [out]; one fused GEMM.
#pragma once

#include "core/random.h"
#include "nn/module.h"

namespace amor::nn {

struct LinearOptions {
  bool bias = true;
  bool zero_init = false;  // weight and bias start at 0 (e.g. the last layer of a residual net)
  DType dtype = DType::F32;
};

class Linear : public UnaryModule {
 public:
  // PyTorch's default initialisation unless options.zero_init.
  Linear(int64_t in_features, int64_t out_features, Generator& gen, LinearOptions options = {});
  std::string type_name() const override { return "Linear"; }
  Tensor forward(const Tensor& x) override;  // x: [..., in] -> [..., out]

  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }
  Tensor weight, bias;  // bias undefined when options.bias is false

 private:
  int64_t in_, out_;
};

}  // namespace amor::nn
