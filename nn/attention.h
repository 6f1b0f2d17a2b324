// MultiHeadAttention over tokens x: [B, T, d_model] with an optional boolean mask.
//
// Mask contract (numerical, tested): mask is [T, T] or [B, T, T] with true = the query row may
// attend the key column; a query row with no allowed key produces output 0 (before the output
// projection, so the layer returns its output bias) and zero gradients, never NaN.
//
// Q, K and V come from one fused projection d_model -> 3·H·D; the per-(batch, head) attention
// runs in the fused kernel (kernels/cpu/attention) behind amor::attention.
#pragma once

#include <memory>

#include "core/random.h"
#include "nn/linear.h"
#include "nn/module.h"

namespace amor::nn {

struct AttentionOptions {
  int64_t heads = 4;
  int64_t head_dim = 0;  // 0 = d_model / heads
  DType dtype = DType::F32;
};

class MultiHeadAttention : public Module {
 public:
  MultiHeadAttention(int64_t d_model, Generator& gen, AttentionOptions o = {});
  std::string type_name() const override { return "MultiHeadAttention"; }
  // x: [B, T, d_model]; mask: bool [T, T] or [B, T, T] or undefined. Returns [B, T, d_model].
  Tensor forward(const Tensor& x, const Tensor& mask = Tensor()) const;

  int64_t heads() const { return heads_; }
  int64_t head_dim() const { return head_dim_; }

 private:
  int64_t d_model_, heads_, head_dim_;
  std::shared_ptr<Linear> qkv_proj_, out_proj_;
};

}  // namespace amor::nn
