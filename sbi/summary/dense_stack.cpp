#include "sbi/summary/dense_stack.h"

#include <cmath>
#include <string>

#include "core/autograd.h"
#include "nn/init.h"

namespace amor::sbi::summary {

DenseStack::DenseStack(int64_t in_features, const std::vector<int64_t>& widths, nn::Act activation, double dropout,
                       Generator& gen, uint64_t dropout_seed, DType dtype, const std::string& init)
    : act_(activation), out_(widths.empty() ? 0 : widths.back()) {
  AMOR_CHECK(!widths.empty(), ValueError, "DenseStack: needs at least one width");
  check_initializer(init, "DenseStack");
  layers_ = register_module("layers", std::make_shared<nn::ModuleList<nn::Linear>>());
  int64_t in = in_features;
  for (size_t i = 0; i < widths.size(); ++i) {
    auto layer = std::make_shared<nn::Linear>(in, widths[i], gen, nn::LinearOptions{.dtype = dtype});
    if (init == "he_normal") {
      NoGradGuard ng;
      layer->weight.copy_(nn::init::normal(layer->weight.shape(), std::sqrt(2.0 / double(in)), gen, dtype));
      layer->bias.zero_();
    }
    layers_->push_back(layer);
    if (dropout > 0)
      dropouts_.push_back(register_module("dropout" + std::to_string(i),
                                          std::make_shared<nn::Dropout>(dropout, dropout_seed + i)));
    in = widths[i];
  }
}

void check_initializer(const std::string& init, const char* who) {
  AMOR_CHECK(init == "he_normal" || init == "torch", ValueError, who,
             ": kernel_initializer must be \"he_normal\" or \"torch\", got \"", init, "\"");
}

Tensor DenseStack::forward(const Tensor& x) {
  Tensor h = x;
  for (size_t i = 0; i < layers_->size(); ++i) {
    h = nn::apply_activation(act_, (*layers_)[i].forward(h));
    if (!dropouts_.empty()) h = dropouts_[i]->forward(h);
  }
  return h;
}

}  // namespace amor::sbi::summary
