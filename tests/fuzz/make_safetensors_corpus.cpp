// Writes a seed corpus of valid safetensors files for fuzz_safetensors into the given folder:
// every dtype, metadata, scalars, zero-size tensors, and a checkpoint of a small two-layer module
// (nested names, save_checkpoint's metadata). Built in the fuzz build, which compiles only what
// the reader needs (tests/fuzz/CMakeLists.txt), so it uses fixed values instead of randn and a
// module declared here instead of nn::MLP.
#include <iostream>
#include <memory>
#include <string>

#include "core/tensor.h"
#include "nn/checkpoint.h"
#include "nn/module.h"

namespace {

using amor::Shape;
using amor::Tensor;
using amor::from_vector;

// Deterministic, non-trivial float values: 0.25·(i mod 7) − 0.75.
Tensor values(const Shape& shape) {
  std::vector<float> v(size_t(shape.numel()));
  for (size_t i = 0; i < v.size(); ++i) v[i] = 0.25f * float(i % 7) - 0.75f;
  return from_vector(v, shape);
}

struct Dense final : amor::nn::Module {
  Tensor weight, bias;
  Dense(int64_t in, int64_t out) : weight(values({out, in})), bias(values({out})) {
    register_parameter("weight", &weight);
    register_parameter("bias", &bias);
  }
  std::string type_name() const override { return "Dense"; }
};

struct Layers final : amor::nn::Module {
  Layers() {
    register_module("0", std::make_shared<Dense>(2, 3));
    register_module("1", std::make_shared<Dense>(3, 1));
  }
  std::string type_name() const override { return "Layers"; }
};

// Parameters layers.0.weight, layers.0.bias, layers.1.weight, layers.1.bias (as nn::MLP's).
struct TwoLayers final : amor::nn::Module {
  TwoLayers() { register_module("layers", std::make_shared<Layers>()); }
  std::string type_name() const override { return "TwoLayers"; }
};

}  // namespace

int main(int argc, char** argv) {
  using namespace amor;
  using namespace amor::nn;
  if (argc != 2) {
    std::cerr << "usage: make_safetensors_corpus <folder>\n";
    return 2;
  }
  const std::string dir = argv[1];
  try {
    write_safetensors(dir + "/seed_empty.safetensors", {});
    write_safetensors(dir + "/seed_f32.safetensors", {{"w", values({2, 3})}});
    write_safetensors(dir + "/seed_all_dtypes.safetensors",
                      {{"a", values({3})},
                       {"b", from_vector<double>({0.5, -1.25, 3.0, 1e-300}, Shape{2, 2})},
                       {"c", from_vector<int64_t>({1, -2, 3})},
                       {"d", from_vector<bool>({true, false})},
                       {"s", scalar(1.5)},
                       {"z", zeros({0, 2})}},
                      {{"k", "v"}, {"format", "pt"}});
    TwoLayers model;
    save_checkpoint(model, dir + "/seed_module.safetensors", {{"widths", {2, 3, 1}}});
  } catch (const std::exception& e) {
    std::cerr << "make_safetensors_corpus: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
