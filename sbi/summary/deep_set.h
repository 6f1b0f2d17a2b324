// DeepSet (Zaheer et al. 2017) as BayesFlow v2.0.0–2.0.6 builds it, the version its linear-
// regression tutorial trained (../shared/reference/bayesflow.md §3, §7):
//
//   invariant block  I(h) = outer(pool_n inner(h_n))                  -> [B, O]
//   equivariant layer E(h): p = W h_n;  h_n <- LN(p_n + fc([p_n ‖ I(p)]))   (depth of them)
//   output           Linear(I_last(h))                                -> [B, summary_dim]
//
// inner/outer/fc are DenseStacks (Linear + activation + dropout per width). Every per-element map
// treats elements alike and the pools are symmetric, so the output is permutation invariant;
// pools skip padded elements, so padding never reaches the output.
//
// Defaults (BayesFlow v2.0.x): summary_dim 16, depth 2, mean pooling inside and at the output,
// every MLP (64, 64), silu (v2.0.6; v2.0.0 used gelu), He-normal initialisation, layer norm on;
// dropout 0 (BayesFlow: 0.05; summary_network.h says why). Spectral normalisation (off by default there) is not offered.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nn/layer_norm.h"
#include "nn/module_list.h"
#include "nn/set_pooling.h"
#include "sbi/summary/dense_stack.h"
#include "sbi/summary/summary_network.h"

namespace amor::sbi::summary {

struct DeepSetOptions {
  int64_t summary_dim = 16;
  int64_t depth = 2;  // equivariant layers (0: a plain invariant network)
  std::string inner_pooling = "mean";   // "mean", "sum" or "max"
  std::string output_pooling = "mean";
  std::vector<int64_t> equivariant_widths = {64, 64};
  std::vector<int64_t> invariant_inner_widths = {64, 64};
  std::vector<int64_t> invariant_outer_widths = {64, 64};
  std::vector<int64_t> invariant_last_widths = {64, 64};
  std::string activation = "silu";
  double dropout = 0.0;  // BayesFlow: 0.05 (summary_network.h)
  bool layer_norm = true;
  std::string kernel_initializer = "he_normal";  // of the MLP stacks: "he_normal" or "torch" (dense_stack.h)

  nlohmann::json to_json() const;  // includes "type": "deepset"
  static DeepSetOptions from_json(const nlohmann::json& j);  // partial; ValueError on bad keys/values
};

// Internal blocks, exposed for tests.
class InvariantBlock : public nn::Module {
 public:
  InvariantBlock(int64_t in_features, const std::vector<int64_t>& inner, const std::vector<int64_t>& outer,
                 nn::Pool pooling, const DeepSetOptions& o, Generator& gen, uint64_t dropout_seed, DType dtype);
  std::string type_name() const override { return "InvariantBlock"; }
  Tensor forward(const Tensor& x, const Tensor& mask) const;  // [B, N, in] -> [B, outer.back()]
  int64_t out_features() const { return outer_->out_features(); }

 private:
  nn::Pool pooling_;
  std::shared_ptr<DenseStack> inner_, outer_;
};

class EquivariantLayer : public nn::Module {
 public:
  EquivariantLayer(int64_t in_features, const DeepSetOptions& o, Generator& gen, uint64_t dropout_seed, DType dtype);
  std::string type_name() const override { return "EquivariantLayer"; }
  Tensor forward(const Tensor& x, const Tensor& mask) const;  // [B, N, in] -> [B, N, width]
  int64_t out_features() const { return width_; }

 private:
  int64_t width_;
  std::shared_ptr<nn::Linear> input_proj_;
  std::shared_ptr<InvariantBlock> invariant_;
  std::shared_ptr<DenseStack> fc_;
  std::shared_ptr<nn::LayerNorm> norm_;  // null without layer_norm
};

class DeepSet : public SummaryNetwork {
 public:
  DeepSet(int64_t input_dim, const DeepSetOptions& options, uint64_t seed, DType dtype = DType::F32);
  std::string type_name() const override { return "DeepSet"; }
  Tensor forward(const Tensor& x, const Tensor& mask = Tensor()) override;
  int64_t input_dim() const override { return input_dim_; }
  int64_t summary_dim() const override { return o_.summary_dim; }
  nlohmann::json config() const override { return o_.to_json(); }
  const DeepSetOptions& options() const { return o_; }

 private:
  int64_t input_dim_;
  DeepSetOptions o_;
  std::shared_ptr<nn::ModuleList<EquivariantLayer>> equivariant_;
  std::shared_ptr<InvariantBlock> invariant_;
  std::shared_ptr<nn::Linear> output_;
};

// "mean" / "sum" / "max" -> nn::Pool (ValueError otherwise); `who` names the caller.
nn::Pool pool_from_name(const std::string& name, const char* who);

}  // namespace amor::sbi::summary
