#include "nn/mlp.h"

#include "core/ops.h"

namespace amor::nn {

MLP::MLP(const std::vector<int64_t>& widths, Generator& gen, MLPOptions options)
    : widths_(widths), options_(options) {
  AMOR_CHECK(widths.size() >= 2, ValueError, "MLP: need at least input and output widths, got ",
             widths.size(), " entries");
  layers_ = register_module("layers", std::make_shared<ModuleList<Linear>>());
  for (size_t i = 0; i + 1 < widths.size(); ++i) {
    bool last = i + 2 == widths.size();
    LinearOptions lo{.bias = true, .zero_init = last && options.zero_init_last, .dtype = options.dtype};
    layers_->push_back(std::make_shared<Linear>(widths[i], widths[i + 1], gen, lo));
  }
}

Tensor MLP::forward(const Tensor& x) {
  Tensor h = x;
  for (size_t i = 0; i < layers_->size(); ++i) {
    const bool last = i + 1 == layers_->size();
    Tensor z = (*layers_)[i].forward(h);
    if (last) return z;
    z = apply_activation(options_.activation, z);
    const bool square = (*layers_)[i].in_features() == (*layers_)[i].out_features();
    h = (options_.residual && i > 0 && square) ? h + z : z;
  }
  return h;
}

}  // namespace amor::nn
