#include "sbi/summary/dense_stack.h"

#include <string>

namespace amor::sbi::summary {

DenseStack::DenseStack(int64_t in_features, const std::vector<int64_t>& widths, nn::Act activation, double dropout,
                       Generator& gen, uint64_t dropout_seed, DType dtype)
    : act_(activation), out_(widths.empty() ? 0 : widths.back()) {
  AMOR_CHECK(!widths.empty(), ValueError, "DenseStack: needs at least one width");
  layers_ = register_module("layers", std::make_shared<nn::ModuleList<nn::Linear>>());
  int64_t in = in_features;
  for (size_t i = 0; i < widths.size(); ++i) {
    layers_->push_back(std::make_shared<nn::Linear>(in, widths[i], gen, nn::LinearOptions{.dtype = dtype}));
    if (dropout > 0)
      dropouts_.push_back(register_module("dropout" + std::to_string(i),
                                          std::make_shared<nn::Dropout>(dropout, dropout_seed + i)));
    in = widths[i];
  }
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
