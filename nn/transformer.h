// Pre-LayerNorm transformer encoder:
//   h = h + MHA(LN(h), mask)
//   h = h + W2·act(W1·LN(h)) [+ act(Wc·c) broadcast over tokens, when a conditioning vector c
//       is given — the Simformer adds its time embedding inside every MLP block this way]
// and a final LayerNorm after the last layer.
#pragma once

#include <memory>

#include "core/random.h"
#include "nn/activation.h"
#include "nn/attention.h"
#include "nn/layer_norm.h"
#include "nn/linear.h"
#include "nn/module.h"
#include "nn/module_list.h"

namespace amor::nn {

struct TransformerOptions {
  int64_t d_model = 50;
  int64_t heads = 4;
  int64_t head_dim = 10;
  int64_t mlp_ratio = 3;      // MLP hidden width = mlp_ratio · d_model
  Act activation = Act::GeluTanh;
  int64_t cond_dim = 0;       // width of the conditioning vector; 0 = none
  int64_t layers = 6;
  DType dtype = DType::F32;
};

class TransformerEncoderLayer : public Module {
 public:
  TransformerEncoderLayer(const TransformerOptions& o, Generator& gen);
  std::string type_name() const override { return "TransformerEncoderLayer"; }
  // x: [B, T, d]; mask as in MultiHeadAttention; cond: [B, cond_dim] or undefined.
  Tensor forward(const Tensor& x, const Tensor& mask = Tensor(), const Tensor& cond = Tensor()) const;

 private:
  TransformerOptions o_;
  std::shared_ptr<LayerNorm> ln1_, ln2_;
  std::shared_ptr<MultiHeadAttention> attn_;
  std::shared_ptr<Linear> fc1_, fc2_, cond_proj_;
};

class TransformerEncoder : public Module {
 public:
  TransformerEncoder(const TransformerOptions& o, Generator& gen);
  std::string type_name() const override { return "TransformerEncoder"; }
  Tensor forward(const Tensor& x, const Tensor& mask = Tensor(), const Tensor& cond = Tensor()) const;
  const TransformerOptions& options() const { return o_; }

 private:
  TransformerOptions o_;
  std::shared_ptr<ModuleList<TransformerEncoderLayer>> blocks_;
  std::shared_ptr<LayerNorm> final_ln_;
};

}  // namespace amor::nn
