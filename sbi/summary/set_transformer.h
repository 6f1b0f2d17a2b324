// SetTransformer (Lee et al. 2019) in BayesFlow's form (../shared/reference/bayesflow.md §3):
//
//   h = Linear(x)                                            [B, N, e_0]
//   h = SAB_i(h) for each block (a Linear first when the width changes)
//       SAB(h) = MAB(h, h),  MAB(a, b): m = LN(a + MHA(a, b, b)),  out = LN(m + rFF(m))
//   PMA: S = k learned seeds, out = MAB(S, rFF'(h))          [B, k, e]
//   Linear(flatten)                                          [B, summary_dim]
//
// rFF = DenseStack(mlp_widths) + Linear back to e. Self-attention uses the fused kernel (key
// mask [B, N, N] from the padding mask); the seeds' attention is MultiHeadCrossAttention with the
// key mask. Padded elements are never keys, so they never reach a real element or a seed; the
// blocks are permutation equivariant and PMA invariant, so the output is permutation invariant.
//
// Defaults: BayesFlow v2.0.13's sizes (summary_dim 16, embed_dims (64, 64), num_heads (4, 4),
// 4 seeds, layer norm; dropout 0 where BayesFlow has 0.05, see summary_network.h) with v2.0.0's rFF (two hidden layers of 128; v2.0.13 uses
// a SwiGLU with expansion 4, glorot) with He-normal hidden layers and silu. Each head has embed / heads dimensions (BayesFlow gives
// every head the full embed width). Inducing points (ISAB) are not offered.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nn/attention.h"
#include "nn/cross_attention.h"
#include "nn/layer_norm.h"
#include "nn/module_list.h"
#include "sbi/summary/dense_stack.h"
#include "sbi/summary/summary_network.h"

namespace amor::sbi::summary {

struct SetTransformerOptions {
  int64_t summary_dim = 16;
  std::vector<int64_t> embed_dims = {64, 64};  // one per set attention block
  std::vector<int64_t> num_heads = {4, 4};     // one per block; the pooling uses the last
  int64_t num_seeds = 4;
  std::vector<int64_t> mlp_widths = {128, 128};  // hidden layers of every rFF
  std::string activation = "silu";
  double dropout = 0.0;  // BayesFlow: 0.05 (summary_network.h)
  bool layer_norm = true;
  std::string kernel_initializer = "he_normal";  // of the rFF hidden layers (dense_stack.h)

  nlohmann::json to_json() const;  // includes "type": "set_transformer"
  static SetTransformerOptions from_json(const nlohmann::json& j);
};

// rFF: DenseStack(mlp_widths) then Linear to `width`.
class RowFeedForward : public nn::UnaryModule {
 public:
  RowFeedForward(int64_t in, int64_t width, const SetTransformerOptions& o, Generator& gen, uint64_t dropout_seed,
                 DType dtype);
  std::string type_name() const override { return "RowFeedForward"; }
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<DenseStack> hidden_;
  std::shared_ptr<nn::Linear> out_;
};

class SetAttentionBlock : public nn::Module {
 public:
  SetAttentionBlock(int64_t width, int64_t heads, const SetTransformerOptions& o, Generator& gen,
                    uint64_t dropout_seed, DType dtype);
  std::string type_name() const override { return "SetAttentionBlock"; }
  // h: [B, N, width]; key_mask: bool [B, N, N] or undefined.
  Tensor forward(const Tensor& h, const Tensor& key_mask) const;

 private:
  std::shared_ptr<nn::MultiHeadAttention> attn_;
  std::shared_ptr<RowFeedForward> ff_;
  std::shared_ptr<nn::LayerNorm> ln1_, ln2_;
};

class PoolingByAttention : public nn::Module {
 public:
  PoolingByAttention(int64_t width, int64_t heads, const SetTransformerOptions& o, Generator& gen,
                     uint64_t dropout_seed, DType dtype);
  std::string type_name() const override { return "PoolingByAttention"; }
  // h: [B, N, width]; mask: bool [B, N] or undefined -> [B, num_seeds · width].
  Tensor forward(const Tensor& h, const Tensor& mask) const;
  Tensor seeds;  // [num_seeds, width]

 private:
  int64_t num_seeds_, width_;
  std::shared_ptr<RowFeedForward> set_ff_, ff_;
  std::shared_ptr<nn::MultiHeadCrossAttention> attn_;
  std::shared_ptr<nn::LayerNorm> ln1_, ln2_;
};

class SetTransformer : public SummaryNetwork {
 public:
  SetTransformer(int64_t input_dim, const SetTransformerOptions& options, uint64_t seed, DType dtype = DType::F32);
  std::string type_name() const override { return "SetTransformer"; }
  Tensor forward(const Tensor& x, const Tensor& mask = Tensor()) override;
  int64_t input_dim() const override { return input_dim_; }
  int64_t summary_dim() const override { return o_.summary_dim; }
  nlohmann::json config() const override { return o_.to_json(); }

 private:
  int64_t input_dim_;
  SetTransformerOptions o_;
  std::shared_ptr<nn::Linear> input_proj_;
  std::shared_ptr<nn::ModuleList<nn::Linear>> width_projs_;  // between blocks of different widths
  std::vector<int> proj_of_block_;                             // index into width_projs_ or -1
  std::shared_ptr<nn::ModuleList<SetAttentionBlock>> blocks_;
  std::shared_ptr<PoolingByAttention> pool_;
  std::shared_ptr<nn::Linear> output_;
};

}  // namespace amor::sbi::summary
