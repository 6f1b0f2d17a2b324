// Activation functions as modules, selectable by name ("tanh", "relu", "gelu", "gelu_tanh",
// "silu", "sigmoid", "softplus", "identity").
#pragma once

#include <string>

#include "nn/module.h"

namespace amor::nn {

enum class Act { Identity, Tanh, Relu, Gelu, GeluTanh, Silu, Sigmoid, Softplus };

Act activation_from_name(const std::string& name);  // throws ValueError for unknown names
const char* activation_name(Act a);
Tensor apply_activation(Act a, const Tensor& x);

class Activation : public UnaryModule {
 public:
  explicit Activation(Act a) : act_(a) {}
  std::string type_name() const override { return activation_name(act_); }
  Tensor forward(const Tensor& x) override { return apply_activation(act_, x); }
  Act kind() const { return act_; }

 private:
  Act act_;
};

}  // namespace amor::nn
