// Conv1d: a 1-D convolution layer over channels-last sequences, x: [B, L, C_in] -> [B, L_out, C_out]
// (amor::conv1d). Weight [C_out, C_in, K] and bias [C_out], initialised as PyTorch's Conv1d:
// U(-1/√(C_in·K), 1/√(C_in·K)).
//
// Padding "same" (stride 1 only) pads (K - 1)·dilation zeros, the larger half on the right, so
// L_out = L; "valid" pads nothing.
#pragma once

#include <string>

#include "core/random.h"
#include "nn/module.h"

namespace amor::nn {

struct Conv1dOptions {
  int64_t stride = 1;
  int64_t dilation = 1;
  std::string padding = "same";  // "same" or "valid"
  bool bias = true;
  DType dtype = DType::F32;
};

class Conv1d : public UnaryModule {
 public:
  // ValueError for non-positive sizes, an unknown padding, or "same" with stride > 1.
  Conv1d(int64_t in_channels, int64_t out_channels, int64_t kernel_size, Generator& gen, Conv1dOptions o = {});
  std::string type_name() const override { return "Conv1d"; }
  Tensor forward(const Tensor& x) override;  // [B, L, C_in] -> [B, L_out, C_out]

  int64_t in_channels() const { return in_; }
  int64_t out_channels() const { return out_; }
  int64_t kernel_size() const { return k_; }
  Tensor weight, bias;  // bias undefined without options.bias

 private:
  int64_t in_, out_, k_, pad_left_ = 0, pad_right_ = 0;
  Conv1dOptions o_;
};

}  // namespace amor::nn
