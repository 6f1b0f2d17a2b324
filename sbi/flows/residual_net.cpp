#include "sbi/flows/residual_net.h"

#include "core/autograd.h"
#include "core/ops.h"
#include "nn/init.h"

namespace amor::sbi::flows {

ResidualBlock::ResidualBlock(int64_t features, int64_t context_features, nn::Act activation,
                             Generator& gen, DType dtype)
    : activation_(activation) {
  const nn::LinearOptions lo{.dtype = dtype};
  if (context_features > 0)
    context_layer_ = register_module("context_layer", std::make_shared<nn::Linear>(context_features, features, gen, lo));
  linear_layers_ = register_module("linear_layers", std::make_shared<nn::ModuleList<nn::Linear>>());
  linear_layers_->push_back(std::make_shared<nn::Linear>(features, features, gen, lo));
  auto last = linear_layers_->push_back(std::make_shared<nn::Linear>(features, features, gen, lo));
  // nflows' zero_initialization: the block's output layer starts at U(-1e-3, 1e-3).
  NoGradGuard no_grad;
  last->weight.copy_(nn::init::uniform(last->weight.shape(), 1e-3, gen, dtype));
  last->bias.copy_(nn::init::uniform(last->bias.shape(), 1e-3, gen, dtype));
}

Tensor ResidualBlock::forward(const Tensor& h, const Tensor& context) {
  Tensor t = nn::apply_activation(activation_, h);
  t = (*linear_layers_)[0].forward(t);
  t = nn::apply_activation(activation_, t);
  t = (*linear_layers_)[1].forward(t);
  if (context_layer_) {
    AMOR_CHECK(context.defined(), ShapeError, "ResidualBlock: this block was built with a context layer and needs a context");
    t = t * sigmoid(context_layer_->forward(context));  // F.glu(cat(t, context_layer(c)))
  }
  return h + t;
}

ResidualNet::ResidualNet(int64_t in_features, int64_t out_features, Generator& gen, ResidualNetOptions o)
    : in_(in_features), out_(out_features), options_(o) {
  AMOR_CHECK(in_features >= 0 && out_features > 0 && o.hidden_features > 0 && o.context_features >= 0 &&
                 o.num_blocks >= 0 && in_features + o.context_features > 0,
             ValueError, "ResidualNet: needs out, hidden > 0, blocks >= 0 and some input (in + context > 0); got in=",
             in_features, " out=", out_features, " hidden=", o.hidden_features, " context=", o.context_features,
             " blocks=", o.num_blocks);
  const nn::LinearOptions lo{.dtype = o.dtype};
  initial_layer_ = register_module(
      "initial_layer", std::make_shared<nn::Linear>(in_features + o.context_features, o.hidden_features, gen, lo));
  blocks_ = register_module("blocks", std::make_shared<nn::ModuleList<ResidualBlock>>());
  for (int64_t b = 0; b < o.num_blocks; ++b)
    blocks_->push_back(std::make_shared<ResidualBlock>(o.hidden_features, o.context_features, o.activation, gen, o.dtype));
  final_layer_ = register_module("final_layer", std::make_shared<nn::Linear>(o.hidden_features, out_features, gen, lo));
}

Tensor ResidualNet::forward(const Tensor& inputs, const Tensor& context) {
  const char* who = "ResidualNet";
  const bool has_inputs = in_ > 0;
  AMOR_CHECK(!has_inputs || (inputs.defined() && inputs.dim() == 2 && inputs.shape()[1] == in_), ShapeError, who,
             ": inputs must be [n, ", in_, "], got ", inputs.defined() ? inputs.shape().str() : "none");
  if (options_.context_features > 0) {
    AMOR_CHECK(context.defined() && context.dim() == 2 && context.shape()[1] == options_.context_features,
               ShapeError, who, ": context must be [n, ", options_.context_features, "], got ",
               context.defined() ? context.shape().str() : "none");
    AMOR_CHECK(!has_inputs || context.shape()[0] == inputs.shape()[0], ShapeError, who, ": inputs ",
               inputs.shape(), " and context ", context.shape(), " have different numbers of rows");
  }
  Tensor h;
  if (options_.context_features > 0)
    h = initial_layer_->forward(has_inputs ? concat({inputs, context}, 1) : context);
  else
    h = initial_layer_->forward(inputs);
  for (const auto& block : *blocks_) h = block->forward(h, context);
  return final_layer_->forward(h);
}

}  // namespace amor::sbi::flows
