// Conditioner networks of coupling transforms: the ConditionerNet interface and nflows'
// ResidualNet (nflows.nn.nets.ResidualNet), the conditioner of sbi's neural spline flow.
//
// ResidualNet(in, out, hidden, context, num_blocks, activation):
//   h = initial_layer(concat(inputs, context))            (inputs alone without a context)
//   num_blocks × ResidualBlock:  t = W1·act(W0·act(h) + b0) + b1,
//                                t = t ⊙ sigmoid(context_layer(context))  (GLU, with a context)
//                                h = h + t
//   out = final_layer(h)
// Every Linear has PyTorch's default initialisation except each block's second layer, drawn
// U(-1e-3, 1e-3) (nflows' zero_initialization), so every block starts near the identity.
// Parameter names follow nflows (initial_layer, blocks.i.context_layer, blocks.i.linear_layers.0
// and .1, final_layer), so the checkpoint keys line up with an nflows state dict. No dropout and
// no batch norm (sbi's NSF defaults).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/random.h"
#include "nn/activation.h"
#include "nn/linear.h"
#include "nn/module.h"
#include "nn/module_list.h"

namespace amor::sbi::flows {

// A network from (the untouched features of a coupling, the context) to transform parameters.
class ConditionerNet : public nn::Module {
 public:
  // inputs: [n, in] or undefined (no untouched features); context: [n, c] or undefined.
  // Returns [n, out].
  virtual Tensor forward(const Tensor& inputs, const Tensor& context) = 0;
  // nflows divides the spline width and height logits by sqrt(hidden_features) of the
  // conditioner (so that the initial splines are close to uniform bins).
  virtual int64_t hidden_features() const = 0;
};

struct ResidualNetOptions {
  int64_t hidden_features = 50;
  int64_t context_features = 0;  // 0: unconditional (no context layers)
  int64_t num_blocks = 2;
  nn::Act activation = nn::Act::Relu;
  DType dtype = DType::F32;
};

class ResidualBlock : public nn::Module {
 public:
  ResidualBlock(int64_t features, int64_t context_features, nn::Act activation, Generator& gen,
                DType dtype);
  std::string type_name() const override { return "ResidualBlock"; }
  // h: [n, features]; context: [n, context_features] (required iff context_features > 0).
  Tensor forward(const Tensor& h, const Tensor& context);

 private:
  nn::Act activation_;
  std::shared_ptr<nn::Linear> context_layer_;  // null without a context
  std::shared_ptr<nn::ModuleList<nn::Linear>> linear_layers_;
};

class ResidualNet : public ConditionerNet {
 public:
  // in_features may be 0 when there is a context (the net then sees the context only).
  ResidualNet(int64_t in_features, int64_t out_features, Generator& gen, ResidualNetOptions options = {});
  std::string type_name() const override { return "ResidualNet"; }
  Tensor forward(const Tensor& inputs, const Tensor& context) override;
  int64_t hidden_features() const override { return options_.hidden_features; }
  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }

 private:
  int64_t in_, out_;
  ResidualNetOptions options_;
  std::shared_ptr<nn::Linear> initial_layer_, final_layer_;
  std::shared_ptr<nn::ModuleList<ResidualBlock>> blocks_;
};

}  // namespace amor::sbi::flows
