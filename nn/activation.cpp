#include "nn/activation.h"

#include "core/ops.h"

namespace amor::nn {

namespace {
struct Entry {
  Act act;
  const char* name;
};
constexpr Entry kActs[] = {{Act::Identity, "identity"}, {Act::Tanh, "tanh"},       {Act::Relu, "relu"},
                           {Act::Gelu, "gelu"},         {Act::GeluTanh, "gelu_tanh"}, {Act::Silu, "silu"},
                           {Act::Sigmoid, "sigmoid"},   {Act::Softplus, "softplus"}};
}  // namespace

Act activation_from_name(const std::string& name) {
  for (const Entry& e : kActs)
    if (name == e.name) return e.act;
  std::string known;
  for (const Entry& e : kActs) known += std::string(known.empty() ? "" : ", ") + e.name;
  throw ValueError("unknown activation '" + name + "' (known: " + known + ")");
}

const char* activation_name(Act a) {
  for (const Entry& e : kActs)
    if (e.act == a) return e.name;
  return "?";
}

Tensor apply_activation(Act a, const Tensor& x) {
  switch (a) {
    case Act::Identity: return x;
    case Act::Tanh: return tanh(x);
    case Act::Relu: return relu(x);
    case Act::Gelu: return gelu(x, false);
    case Act::GeluTanh: return gelu(x, true);
    case Act::Silu: return silu(x);
    case Act::Sigmoid: return sigmoid(x);
    case Act::Softplus: return softplus(x);
  }
  return x;
}

}  // namespace amor::nn
