// MultiHeadCrossAttention: queries from one token set attend to keys/values from another, with a
// key padding mask. The pooling-by-attention of set summaries (a few learned seed vectors attend
// to the set's elements) needs T_q != T_k, which the fused self-attention kernel behind
// MultiHeadAttention does not cover; this layer composes core ops instead
// (matmul, softmax, where), fine for the short query sets it serves.
//
//   q = x_q·W_qᵀ + b_q,  [k, v] = x_kv·W_kvᵀ + b_kv     (heads H, head dimension D)
//   out = W_o · concat_h softmax(q_h k_hᵀ / √D, masked) v_h + b_o
//
// Mask contract (as MultiHeadAttention's): key_mask bool [B, T_k], true = a real key. A query
// whose keys are all masked gets 0 before the output projection (so the layer returns b_o) and
// zero gradients, never NaN.
#pragma once

#include <memory>

#include "core/random.h"
#include "nn/attention.h"
#include "nn/linear.h"
#include "nn/module.h"

namespace amor::nn {

class MultiHeadCrossAttention : public Module {
 public:
  // Output width d_query; head_dim 0 means d_query / heads.
  MultiHeadCrossAttention(int64_t d_query, int64_t d_kv, Generator& gen, AttentionOptions o = {});
  std::string type_name() const override { return "MultiHeadCrossAttention"; }

  // x_q: [B, T_q, d_query]; x_kv: [B, T_k, d_kv]; key_mask: bool [B, T_k] or undefined.
  // Returns [B, T_q, d_query].
  Tensor forward(const Tensor& x_q, const Tensor& x_kv, const Tensor& key_mask = Tensor()) const;

  int64_t heads() const { return heads_; }
  int64_t head_dim() const { return head_dim_; }

 private:
  int64_t d_query_, d_kv_, heads_, head_dim_;
  std::shared_ptr<Linear> q_proj_, kv_proj_, out_proj_;
};

}  // namespace amor::nn
