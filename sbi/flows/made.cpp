#include "sbi/flows/made.h"

#include <algorithm>

#include "core/ops.h"
#include "nn/init.h"

namespace amor::sbi::flows {

MaskedLinear::MaskedLinear(const std::vector<int64_t>& in_degrees, int64_t out_features,
                           int64_t autoregressive_features, bool is_output, Generator& gen, DType dtype) {
  const int64_t in = int64_t(in_degrees.size()), d = autoregressive_features;
  AMOR_CHECK(in > 0 && out_features > 0 && d > 0, ValueError, "MaskedLinear: sizes must be positive (in ", in,
             ", out ", out_features, ", features ", d, ")");
  if (is_output) {
    AMOR_CHECK(out_features % d == 0, ValueError, "MaskedLinear: ", out_features,
               " outputs are not a multiple of ", d, " features");
    const int64_t mult = out_features / d;
    for (int64_t o = 0; o < out_features; ++o) degrees_.push_back(o / mult + 1);
  } else {
    const int64_t max_ = std::max<int64_t>(1, d - 1), min_ = std::min<int64_t>(1, d - 1);
    for (int64_t o = 0; o < out_features; ++o) degrees_.push_back(o % max_ + min_);
  }
  std::vector<double> m(size_t(out_features * in));
  for (int64_t o = 0; o < out_features; ++o)
    for (int64_t i = 0; i < in; ++i) {
      const int64_t a = degrees_[size_t(o)], b = in_degrees[size_t(i)];
      m[size_t(o * in + i)] = (is_output ? a > b : a >= b) ? 1.0 : 0.0;
    }
  weight = nn::init::linear_default(Shape{out_features, in}, in, gen, dtype);
  bias = nn::init::linear_default(Shape{out_features}, in, gen, dtype);
  mask = from_vector(m, Shape{out_features, in}).to(dtype);
  degrees_buffer = from_vector(degrees_);
  register_parameter("weight", &weight);
  register_parameter("bias", &bias);
  register_buffer("mask", &mask);
  register_buffer("degrees", &degrees_buffer);
}

MaskedFeedforwardBlock::MaskedFeedforwardBlock(const std::vector<int64_t>& in_degrees, int64_t autoregressive_features,
                                               nn::Act act, Generator& gen, DType dtype)
    : act_(act) {
  linear_ = register_module("linear", std::make_shared<MaskedLinear>(in_degrees, int64_t(in_degrees.size()),
                                                                     autoregressive_features, false, gen, dtype));
}

Tensor MaskedLinear::forward(const Tensor& x) const { return linear(x, weight * mask, bias); }

MADE::MADE(int64_t features, Generator& gen, MADEOptions o) : features_(features), options_(o) {
  AMOR_CHECK(features > 0 && o.hidden_features > 0 && o.num_blocks >= 0 && o.output_multiplier > 0 &&
                 o.context_features >= 0,
             ValueError, "MADE: invalid sizes (features ", features, ", hidden ", o.hidden_features,
             ", blocks ", o.num_blocks, ", multiplier ", o.output_multiplier, ", context ",
             o.context_features, ")");
  std::vector<int64_t> input_degrees;
  for (int64_t j = 1; j <= features; ++j) input_degrees.push_back(j);
  initial_layer_ = register_module(
      "initial_layer", std::make_shared<MaskedLinear>(input_degrees, o.hidden_features, features, false, gen, o.dtype));
  if (o.context_features > 0)
    context_layer_ = register_module(
        "context_layer", std::make_shared<nn::Linear>(o.context_features, o.hidden_features, gen,
                                                      nn::LinearOptions{.dtype = o.dtype}));
  blocks_ = register_module("blocks", std::make_shared<nn::ModuleList<MaskedFeedforwardBlock>>());
  std::vector<int64_t> prev = initial_layer_->degrees();
  for (int64_t b = 0; b < o.num_blocks; ++b) {
    auto block = std::make_shared<MaskedFeedforwardBlock>(prev, features, o.activation, gen, o.dtype);
    prev = block->degrees();
    blocks_->push_back(block);
  }
  final_layer_ = register_module(
      "final_layer", std::make_shared<MaskedLinear>(prev, features * o.output_multiplier, features, true, gen, o.dtype));
}

MADE::MaskedWeights MADE::masked_weights() const {
  MaskedWeights w;
  w.initial_weight = (initial_layer_->weight * initial_layer_->mask).contiguous();
  w.initial_bias = initial_layer_->bias.contiguous();
  if (context_layer_) {
    w.context_weight = context_layer_->weight.contiguous();
    w.context_bias = context_layer_->bias.contiguous();
  }
  for (const auto& block : *blocks_) {
    const MaskedLinear& l = block->linear();
    w.block_weights.push_back((l.weight * l.mask).contiguous());
    w.block_biases.push_back(l.bias.contiguous());
  }
  w.final_weight = (final_layer_->weight * final_layer_->mask).contiguous();
  w.final_bias = final_layer_->bias.contiguous();
  w.hidden_degrees = initial_layer_->degrees();
  return w;
}

Tensor MADE::forward(const Tensor& inputs, const Tensor& context) const {
  AMOR_CHECK(inputs.dim() == 2 && inputs.shape()[1] == features_, ShapeError, "MADE: inputs must be [n, ",
             features_, "], got ", inputs.shape());
  Tensor h = initial_layer_->forward(inputs);
  if (context_layer_) {
    AMOR_CHECK(context.defined() && context.dim() == 2 && context.shape()[0] == inputs.shape()[0] &&
                   context.shape()[1] == options_.context_features,
               ShapeError, "MADE: context must be [", inputs.shape()[0], ", ", options_.context_features,
               "], got ", context.defined() ? context.str() : std::string("none"));
    h = h + nn::apply_activation(options_.activation, context_layer_->forward(context));
  }
  h = nn::apply_activation(options_.activation, h);
  for (const auto& block : *blocks_) h = block->forward(h);
  return final_layer_->forward(h);
}

}  // namespace amor::sbi::flows
