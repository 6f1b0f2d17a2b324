// nn::Module and the layers' bookkeeping: dotted parameter names in registration order,
// duplicate/invalid names, parameter counts (the transformer against a hand count), train/eval
// propagation, to(F64), find_state, deterministic initialisation and Linear's default bounds.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/random.h"
#include "nn/activation.h"
#include "nn/attention.h"
#include "nn/dropout.h"
#include "nn/embedding.h"
#include "nn/layer_norm.h"
#include "nn/linear.h"
#include "nn/mlp.h"
#include "nn/module.h"
#include "nn/module_list.h"
#include "nn/sequential.h"
#include "nn/time_embedding.h"
#include "nn/transformer.h"

namespace amor::nn {
namespace {

std::vector<std::string> names_of(const std::vector<std::pair<std::string, Tensor>>& named) {
  std::vector<std::string> out;
  for (const auto& [n, _] : named) out.push_back(n);
  return out;
}

TransformerOptions small_transformer(int64_t cond_dim) {
  TransformerOptions o;
  o.d_model = 8;
  o.heads = 2;
  o.head_dim = 3;
  o.mlp_ratio = 2;
  o.cond_dim = cond_dim;
  o.layers = 2;
  return o;
}

// A module whose registration mistakes are triggered on demand.
class Probe : public Module {
 public:
  std::string type_name() const override { return "Probe"; }
  Tensor a = zeros(Shape{2}), b = zeros(Shape{3}), buf = zeros(Shape{1});
  void add_param(const std::string& name, Tensor* slot) { register_parameter(name, slot); }
  void add_buffer(const std::string& name, Tensor* slot) { register_buffer(name, slot); }
  void add_module(const std::string& name, std::shared_ptr<Module> m) { register_module(name, std::move(m)); }
};

TEST(Module, TransformerDottedNamesInRegistrationOrder) {
  Generator gen(1);
  TransformerEncoder enc(small_transformer(5), gen);
  std::vector<std::string> expected;
  for (int l = 0; l < 2; ++l) {
    const std::string p = "blocks." + std::to_string(l) + ".";
    for (const char* s : {"ln1.weight", "ln1.bias", "attn.qkv_proj.weight", "attn.qkv_proj.bias",
                          "attn.out_proj.weight", "attn.out_proj.bias", "ln2.weight", "ln2.bias",
                          "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "cond_proj.weight",
                          "cond_proj.bias"})
      expected.push_back(p + s);
  }
  expected.push_back("final_ln.weight");
  expected.push_back("final_ln.bias");
  EXPECT_EQ(names_of(enc.named_parameters()), expected);
  EXPECT_EQ(enc.parameters().size(), expected.size());
  EXPECT_TRUE(enc.named_buffers().empty());
  EXPECT_EQ(names_of(enc.state()), expected);

  // Shapes of a few entries (PyTorch's [out, in] layout).
  auto named = enc.named_parameters();
  EXPECT_EQ(named[2].second.shape(), (Shape{3 * 2 * 3, 8}));  // qkv_proj.weight
  EXPECT_EQ(named[4].second.shape(), (Shape{8, 6}));          // out_proj.weight
  EXPECT_EQ(named[8].second.shape(), (Shape{16, 8}));         // fc1.weight
  EXPECT_EQ(named[12].second.shape(), (Shape{8, 5}));         // cond_proj.weight

  // Children in registration order.
  ASSERT_EQ(enc.children().size(), 2u);
  EXPECT_EQ(enc.children()[0].first, "blocks");
  EXPECT_EQ(enc.children()[1].first, "final_ln");
}

TEST(Module, TransformerWithoutConditioningHasNoCondProj) {
  Generator gen(1);
  TransformerEncoder enc(small_transformer(0), gen);
  for (const auto& n : names_of(enc.named_parameters())) EXPECT_EQ(n.find("cond_proj"), std::string::npos) << n;
  EXPECT_EQ(enc.named_parameters().size(), 2u * 12u + 2u);
}

TEST(Module, NumParametersTransformerHandCount) {
  // d = 8, H·D = 6, hidden = 16, cond = 5.
  //   ln1 2·8 = 16; qkv 8·18 + 18 = 162; out 6·8 + 8 = 56; ln2 16; fc1 8·16 + 16 = 144;
  //   fc2 16·8 + 8 = 136; cond_proj 5·8 + 8 = 48  -> 578 per layer (530 without cond_proj)
  //   two layers + final_ln (16).
  Generator gen(3);
  TransformerEncoder with_cond(small_transformer(5), gen);
  EXPECT_EQ(with_cond.num_parameters(), 2 * 578 + 16);
  TransformerEncoder without(small_transformer(0), gen);
  EXPECT_EQ(without.num_parameters(), 2 * 530 + 16);

  // The defaults (the Simformer's sizes): d 50, 4 heads of 10, ratio 3, 6 layers, no cond.
  //   ln 100; qkv 50·120 + 120 = 6120; out 40·50 + 50 = 2050; ln 100; fc1 50·150 + 150 = 7650;
  //   fc2 150·50 + 50 = 7550 -> 23570 per layer; 6 layers + 100.
  TransformerEncoder big(TransformerOptions{}, gen);
  EXPECT_EQ(big.num_parameters(), 6 * 23570 + 100);
}

TEST(Module, NumParametersSimpleLayers) {
  Generator gen(0);
  EXPECT_EQ(Linear(7, 3, gen).num_parameters(), 7 * 3 + 3);
  EXPECT_EQ(Linear(7, 3, gen, {.bias = false}).num_parameters(), 7 * 3);
  EXPECT_EQ(MLP({2, 10, 10, 1}, gen).num_parameters(), (2 * 10 + 10) + (10 * 10 + 10) + (10 * 1 + 1));
  EXPECT_EQ(LayerNorm(6).num_parameters(), 12);
  EXPECT_EQ(LayerNorm(6, 1e-5, false).num_parameters(), 0);
  EXPECT_EQ(Embedding(11, 4, gen).num_parameters(), 44);
  GaussianFourierEmbedding fourier(8, gen);
  EXPECT_EQ(fourier.num_parameters(), 0);  // frequencies are a buffer
  EXPECT_EQ(names_of(fourier.named_buffers()), std::vector<std::string>{"frequencies"});
  EXPECT_FALSE(fourier.frequencies.requires_grad());
}

TEST(Module, MlpAndSequentialNames) {
  Generator gen(0);
  MLP mlp({3, 4, 2}, gen);
  EXPECT_EQ(names_of(mlp.named_parameters()),
            (std::vector<std::string>{"layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"}));
  Sequential seq;
  seq.push_back(std::make_shared<Linear>(3, 4, gen));
  seq.push_back(std::make_shared<Activation>(Act::Tanh));
  seq.push_back(std::make_shared<LayerNorm>(4));
  seq.push_back(std::make_shared<Linear>(4, 1, gen, LinearOptions{.bias = false}));
  EXPECT_EQ(names_of(seq.named_parameters()),
            (std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias", "3.weight"}));
  EXPECT_EQ(seq.forward(zeros(Shape{5, 3})).shape(), (Shape{5, 1}));
}

TEST(Module, ParametersAreTheMemberHandles) {
  Generator gen(0);
  Linear lin(3, 2, gen);
  auto named = lin.named_parameters();
  ASSERT_EQ(named.size(), 2u);
  EXPECT_EQ(named[0].second.impl(), lin.weight.impl());
  EXPECT_EQ(named[1].second.impl(), lin.bias.impl());
  EXPECT_TRUE(lin.weight.requires_grad());
  EXPECT_TRUE(lin.weight.is_leaf());
}

TEST(Module, DuplicateAndInvalidNamesThrow) {
  Probe p;
  p.add_param("a", &p.a);
  EXPECT_THROW(p.add_param("a", &p.b), ValueError);      // same name as a parameter
  EXPECT_THROW(p.add_buffer("a", &p.buf), ValueError);   // ... as a buffer
  EXPECT_THROW(p.add_module("a", std::make_shared<LayerNorm>(2)), ValueError);  // ... as a child
  p.add_module("child", std::make_shared<LayerNorm>(2));
  EXPECT_THROW(p.add_param("child", &p.b), ValueError);
  EXPECT_THROW(p.add_param("x.y", &p.b), ValueError);    // dots are separators
  EXPECT_THROW(p.add_param("", &p.b), ValueError);
  Tensor undefined;
  EXPECT_THROW(p.add_param("u", &undefined), ValueError);
  EXPECT_THROW(p.add_module("null", nullptr), ValueError);
  p.add_buffer("buf", &p.buf);
  EXPECT_EQ(names_of(p.state()), (std::vector<std::string>{"a", "child.weight", "child.bias", "buf"}));
  EXPECT_TRUE(p.a.requires_grad());
  EXPECT_FALSE(p.buf.requires_grad());
}

TEST(Module, NonLeafParameterRefused) {
  Probe p;
  Tensor x = ones(Shape{2}, {.requires_grad = true});
  Tensor y = x * 2.0;
  EXPECT_THROW(p.add_param("y", &y), AutogradError);
}

TEST(Module, TrainEvalPropagates) {
  Generator gen(0);
  TransformerEncoder enc(small_transformer(0), gen);
  auto all_modes = [](const Module& root, bool want) {
    std::vector<const Module*> stack{&root};
    int count = 0;
    while (!stack.empty()) {
      const Module* m = stack.back();
      stack.pop_back();
      EXPECT_EQ(m->is_training(), want) << m->type_name();
      ++count;
      for (const auto& [_, c] : m->children()) stack.push_back(c.get());
    }
    return count;
  };
  EXPECT_TRUE(enc.is_training());
  EXPECT_GT(all_modes(enc, true), 10);
  enc.eval();
  all_modes(enc, false);
  enc.train();
  all_modes(enc, true);

  // Dropout deep in a Sequential follows the container's mode.
  Sequential seq;
  seq.push_back(std::make_shared<Dropout>(0.5, 3));
  Tensor x = ones(Shape{64});
  seq.eval();
  EXPECT_EQ(seq.forward(x).to_vector<float>(), x.to_vector<float>());
  seq.train();
  auto y = seq.forward(x).to_vector<float>();
  int zeros_seen = 0;
  for (float v : y) {
    EXPECT_TRUE(v == 0.0f || v == 2.0f) << v;
    zeros_seen += v == 0.0f;
  }
  EXPECT_GT(zeros_seen, 10);
  EXPECT_LT(zeros_seen, 54);
}

TEST(Module, ToF64KeepsParametersAsLeaves) {
  Generator gen(5);
  TransformerEncoder enc(small_transformer(3), gen);
  GaussianFourierEmbedding fourier(6, gen);
  std::vector<std::vector<double>> before;
  for (const Tensor& p : enc.parameters()) before.push_back(p.to_vector<double>());
  auto freqs_before = fourier.frequencies.to_vector<double>();

  enc.to(DType::F64);
  fourier.to(DType::F64);
  auto params = enc.parameters();
  ASSERT_EQ(params.size(), before.size());
  for (size_t i = 0; i < params.size(); ++i) {
    EXPECT_EQ(params[i].dtype(), DType::F64);
    EXPECT_TRUE(params[i].is_leaf());
    EXPECT_TRUE(params[i].requires_grad());
    EXPECT_EQ(params[i].to_vector<double>(), before[i]);  // float32 -> float64 is exact
  }
  EXPECT_EQ(fourier.frequencies.dtype(), DType::F64);
  EXPECT_FALSE(fourier.frequencies.requires_grad());
  EXPECT_EQ(fourier.frequencies.to_vector<double>(), freqs_before);

  // The converted module runs in float64 and its gradients reach the new leaves.
  Tensor x = randn(Shape{2, 3, 8}, gen, {.dtype = DType::F64});
  Tensor c = randn(Shape{2, 3}, gen, {.dtype = DType::F64});
  Tensor y = enc.forward(x, Tensor(), c);
  EXPECT_EQ(y.dtype(), DType::F64);
  y.sum().backward();
  for (const Tensor& p : enc.parameters()) {
    ASSERT_TRUE(p.grad().defined());
    EXPECT_EQ(p.grad().dtype(), DType::F64);
  }

  // A member handle is the registry's slot: after to() it is the new tensor.
  Linear lin(2, 2, gen);
  lin.to(DType::F64);
  EXPECT_EQ(lin.weight.dtype(), DType::F64);
  EXPECT_EQ(lin.named_parameters()[0].second.impl(), lin.weight.impl());
  EXPECT_THROW(lin.to(DType::I64), DTypeError);
}

TEST(Module, FindState) {
  Generator gen(2);
  TransformerEncoder enc(small_transformer(4), gen);
  for (const auto& [name, t] : enc.named_parameters()) {
    Tensor* slot = enc.find_state(name);
    ASSERT_NE(slot, nullptr) << name;
    EXPECT_EQ(slot->impl(), t.impl()) << name;
  }
  EXPECT_EQ(enc.find_state("blocks.2.fc1.weight"), nullptr);
  EXPECT_EQ(enc.find_state("blocks.0.fc1"), nullptr);
  EXPECT_EQ(enc.find_state("blocks.0.fc1.weight.x"), nullptr);
  EXPECT_EQ(enc.find_state("nope"), nullptr);
  EXPECT_EQ(enc.find_state(""), nullptr);

  // Writing through the slot changes the module.
  Tensor* w = enc.find_state("blocks.1.attn.out_proj.bias");
  ASSERT_NE(w, nullptr);
  {
    NoGradGuard no_grad;
    w->fill_(0.25);
  }
  for (const auto& [name, t] : enc.named_parameters())
    if (name == "blocks.1.attn.out_proj.bias") {
      for (float v : t.to_vector<float>()) EXPECT_EQ(v, 0.25f);
    }

  GaussianFourierEmbedding fourier(4, gen);
  Tensor* f = fourier.find_state("frequencies");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->impl(), fourier.frequencies.impl());
}

TEST(Module, ZeroGrad) {
  Generator gen(0);
  MLP mlp({2, 3, 1}, gen);
  mlp.forward(ones(Shape{4, 2})).sum().backward();
  for (const Tensor& p : mlp.parameters()) EXPECT_TRUE(p.grad().defined());
  mlp.zero_grad();
  for (const Tensor& p : mlp.parameters()) EXPECT_FALSE(p.grad().defined());
}

std::vector<std::vector<float>> weights_of(const Module& m) {
  std::vector<std::vector<float>> out;
  for (const Tensor& p : m.parameters()) out.push_back(p.to_vector<float>());
  return out;
}

TEST(Module, DeterministicInit) {
  auto build = [](uint64_t seed) {
    Generator gen(seed);
    return std::make_shared<TransformerEncoder>(small_transformer(3), gen);
  };
  auto a = build(42), b = build(42), c = build(43);
  EXPECT_EQ(weights_of(*a), weights_of(*b));
  auto wa = weights_of(*a), wc = weights_of(*c);
  // Every randomly initialised tensor differs (LayerNorms start at ones/zeros in both).
  auto named = a->named_parameters();
  int differing = 0;
  for (size_t i = 0; i < wa.size(); ++i) {
    const bool ln = named[i].first.find("ln") != std::string::npos;
    if (ln) {
      EXPECT_EQ(wa[i], wc[i]) << named[i].first;
    } else {
      EXPECT_NE(wa[i], wc[i]) << named[i].first;
      ++differing;
    }
  }
  EXPECT_GT(differing, 0);

  Generator g1(9), g2(9), g3(10);
  EXPECT_EQ(weights_of(MLP({3, 8, 2}, g1)), weights_of(MLP({3, 8, 2}, g2)));
  EXPECT_NE(weights_of(MLP({3, 8, 2}, g1)), weights_of(MLP({3, 8, 2}, g3)));  // g1 moved on
  Generator e1(4), e2(4);
  EXPECT_EQ(weights_of(Embedding(5, 3, e1)), weights_of(Embedding(5, 3, e2)));
}

TEST(Module, LinearDefaultInitBounds) {
  Generator gen(11);
  const int64_t in = 25, out = 400;
  Linear lin(in, out, gen);
  const double bound = 1.0 / std::sqrt(double(in));  // 0.2
  for (const Tensor& p : {lin.weight, lin.bias}) {
    auto v = p.to_vector<double>();
    double lo = 1, hi = -1, mean = 0;
    for (double x : v) {
      EXPECT_LE(std::abs(x), bound);
      lo = std::min(lo, x);
      hi = std::max(hi, x);
      mean += x / double(v.size());
    }
    // Uniform over the whole interval: the extremes come close to ±bound.
    EXPECT_LT(lo, -0.9 * bound);
    EXPECT_GT(hi, 0.9 * bound);
    EXPECT_LT(std::abs(mean), 0.1 * bound);
  }
  // Weight variance of U(-b, b) is b²/3.
  auto w = lin.weight.to_vector<double>();
  double var = 0;
  for (double x : w) var += x * x / double(w.size());
  EXPECT_NEAR(var, bound * bound / 3.0, 0.1 * bound * bound / 3.0);

  Linear zero(4, 3, gen, {.zero_init = true});
  for (double x : zero.weight.to_vector<double>()) EXPECT_EQ(x, 0.0);
  for (double x : zero.bias.to_vector<double>()) EXPECT_EQ(x, 0.0);
  EXPECT_TRUE(zero.weight.requires_grad());

  Linear nobias(4, 3, gen, {.bias = false});
  EXPECT_FALSE(nobias.bias.defined());

  Linear f64(4, 3, gen, {.dtype = DType::F64});
  EXPECT_EQ(f64.weight.dtype(), DType::F64);
  EXPECT_EQ(f64.bias.dtype(), DType::F64);
  EXPECT_THROW(lin.forward(zeros(Shape{2, 3})), ShapeError);
}

TEST(Module, MlpZeroInitLastStartsAtZero) {
  Generator gen(0);
  MLP mlp({3, 8, 8, 2}, gen, {.activation = Act::Tanh, .residual = true, .zero_init_last = true});
  Tensor y = mlp.forward(randn(Shape{5, 3}, gen));
  for (float v : y.to_vector<float>()) EXPECT_EQ(v, 0.0f);
  auto named = mlp.named_parameters();
  EXPECT_NE(named[0].second.to_vector<float>(), std::vector<float>(24, 0.0f));  // first layer random
}

}  // namespace
}  // namespace amor::nn
