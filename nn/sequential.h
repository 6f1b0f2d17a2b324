// Sequential: applies its children in order (each a UnaryModule); children are named 0, 1, ...
#pragma once

#include <memory>
#include <vector>

#include "nn/module.h"

namespace amor::nn {

class Sequential : public UnaryModule {
 public:
  Sequential() = default;
  std::string type_name() const override { return "Sequential"; }
  // Appends a layer; returns it for chaining configuration.
  template <class M>
  std::shared_ptr<M> push_back(std::shared_ptr<M> m) {
    layers_.push_back(m);
    return register_module(std::to_string(layers_.size() - 1), std::move(m));
  }
  Tensor forward(const Tensor& x) override {
    Tensor h = x;
    for (auto& l : layers_) h = l->forward(h);
    return h;
  }
  size_t size() const { return layers_.size(); }
  UnaryModule& operator[](size_t i) { return *layers_.at(i); }

 private:
  std::vector<std::shared_ptr<UnaryModule>> layers_;
};

}  // namespace amor::nn
