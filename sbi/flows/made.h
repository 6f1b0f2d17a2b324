// MADE: a masked autoregressive network (Germain et al. 2015) with an optional context, as in
// nflows' `MADE` with `use_residual_blocks=False, random_mask=False` (sbi's MAF setting).
//
// Output o (of features·output_multiplier, grouped per feature: o = j·multiplier + m) depends
// only on inputs 0..j-1, never on j or later ones. Degrees (nflows' rule):
//   inputs: 1..d;  hidden units: (u mod max(1, d-1)) + min(1, d-1);  outputs of feature j: j+1.
//   A hidden unit sees inputs with degree <= its own; an output sees hidden units with degree
//   strictly below its own.
// Architecture (nflows 0.14's MADE.forward with feedforward blocks, `num_blocks` of them):
//   h = act(W0·x + act(Wc·c))        (masked initial layer plus an unmasked context layer)
//   h = act(W_b·h)  for each block   (MaskedFeedforwardBlock: masked linear then activation;
//                                     the blocks do not see the context)
//   out = W_out·h                    (masked output layer)
// All layers use PyTorch's default Linear initialisation. State names follow nflows
// (`initial_layer.weight`, `context_layer.bias`, `blocks.0.linear.mask`, `final_layer.degrees`,
// ...): masks are float buffers and degrees int64 buffers, as nflows registers them.
#pragma once

#include <memory>
#include <vector>

#include "core/random.h"
#include "nn/activation.h"
#include "nn/linear.h"
#include "nn/module.h"
#include "nn/module_list.h"

namespace amor::sbi::flows {

// y = x·(W ⊙ M)ᵀ + b with a fixed binary mask M [out, in] (nflows' MaskedLinear).
class MaskedLinear : public nn::Module {
 public:
  // in_degrees: one per input; is_output selects the output rule (strict inequality, degrees
  // from the autoregressive features) over the hidden rule.
  MaskedLinear(const std::vector<int64_t>& in_degrees, int64_t out_features, int64_t autoregressive_features,
               bool is_output, Generator& gen, DType dtype);
  std::string type_name() const override { return "MaskedLinear"; }
  Tensor forward(const Tensor& x) const;
  const std::vector<int64_t>& degrees() const { return degrees_; }  // of the outputs

  Tensor weight, bias, mask, degrees_buffer;

 private:
  std::vector<int64_t> degrees_;
};

// nflows' MaskedFeedforwardBlock without batch norm and dropout: act(linear(x)).
class MaskedFeedforwardBlock : public nn::Module {
 public:
  MaskedFeedforwardBlock(const std::vector<int64_t>& in_degrees, int64_t autoregressive_features, nn::Act act,
                         Generator& gen, DType dtype);
  std::string type_name() const override { return "MaskedFeedforwardBlock"; }
  Tensor forward(const Tensor& x) const { return nn::apply_activation(act_, linear_->forward(x)); }
  const std::vector<int64_t>& degrees() const { return linear_->degrees(); }
  const MaskedLinear& linear() const { return *linear_; }

 private:
  nn::Act act_;
  std::shared_ptr<MaskedLinear> linear_;
};

struct MADEOptions {
  int64_t hidden_features = 50;
  int64_t context_features = 0;  // 0: no context layer
  int64_t num_blocks = 2;
  int64_t output_multiplier = 1;
  nn::Act activation = nn::Act::Tanh;
  DType dtype = DType::F32;
};

class MADE : public nn::Module {
 public:
  MADE(int64_t features, Generator& gen, MADEOptions options = {});
  std::string type_name() const override { return "MADE"; }
  // inputs: [n, features]; context: [n, context_features] (or undefined when there is none)
  // -> [n, features·output_multiplier].
  Tensor forward(const Tensor& inputs, const Tensor& context) const;

  int64_t features() const { return features_; }
  const MADEOptions& options() const { return options_; }

  // The layers with their masks applied, contiguous, for forward-only kernels
  // (kernels/cpu/made_inverse.h). hidden_degrees: of the initial layer's units; every block has
  // the same (same width, same rule).
  struct MaskedWeights {
    Tensor initial_weight, initial_bias;  // [H, d], [H]
    Tensor context_weight, context_bias;  // [H, c], [H]; undefined without a context layer
    std::vector<Tensor> block_weights, block_biases;  // num_blocks × [H, H], [H]
    Tensor final_weight, final_bias;      // [d·multiplier, H], [d·multiplier]
    std::vector<int64_t> hidden_degrees;  // [H]
  };
  MaskedWeights masked_weights() const;

 private:
  int64_t features_;
  MADEOptions options_;
  std::shared_ptr<MaskedLinear> initial_layer_, final_layer_;
  std::shared_ptr<nn::Linear> context_layer_;
  std::shared_ptr<nn::ModuleList<MaskedFeedforwardBlock>> blocks_;
};

}  // namespace amor::sbi::flows
