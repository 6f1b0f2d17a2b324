// Float64 gradient checks of every nn layer's forward with respect to its input(s) and all of its
// parameters (tests/support/gradcheck.h: random upstream gradient, central differences).
//
// The layers' parameters are passed to gradcheck as extra inputs: gradcheck perturbs their
// storage in place, and the layer reads the very same tensors, so fn only forwards in[0] (and
// the conditioning) through the module. Parameters are first moved off their initial values
// (LayerNorm's ones/zeros, zero-initialised layers) so that no gradient is checked only at a
// special point.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/random.h"
#include "nn/attention.h"
#include "nn/dropout.h"
#include "nn/embedding.h"
#include "nn/layer_norm.h"
#include "nn/linear.h"
#include "nn/mlp.h"
#include "nn/sequential.h"
#include "nn/set_pooling.h"
#include "nn/time_embedding.h"
#include "nn/transformer.h"
#include "tests/support/gradcheck.h"

namespace amor::nn {
namespace {

using amor::testing::gradcheck;
using amor::testing::GradcheckOptions;

constexpr DType F64 = DType::F64;

// Adds N(0, std²) noise to every parameter of m (in place, outside autodiff).
void jitter(Module& m, uint64_t seed, double std = 0.2) {
  Generator gen(seed, 77);
  NoGradGuard no_grad;
  for (Tensor p : m.parameters()) p.add_(randn(p.shape(), gen, {.dtype = p.dtype()}), std);
}

// inputs ++ m.parameters()
std::vector<Tensor> with_params(std::vector<Tensor> inputs, const Module& m) {
  for (const Tensor& p : m.parameters()) inputs.push_back(p);
  return inputs;
}

Tensor randn64(const Shape& s, uint64_t seed, double std = 1.0) { return testing::randn_f64(s, seed, 0.0, std); }

// ---- Linear -----------------------------------------------------------------------------------

TEST(GradcheckModules, LinearWithBias) {
  Generator gen(1);
  Linear lin(4, 3, gen, {.dtype = F64});
  EXPECT_EQ(lin.parameters().size(), 2u);
  Tensor x = randn64({2, 5, 4}, 10);
  EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& in) { return lin.forward(in[0]); }, with_params({x}, lin)));
}

TEST(GradcheckModules, LinearWithoutBias) {
  Generator gen(2);
  Linear lin(4, 3, gen, {.bias = false, .dtype = F64});
  EXPECT_EQ(lin.parameters().size(), 1u);
  Tensor x = randn64({6, 4}, 11);
  EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& in) { return lin.forward(in[0]); }, with_params({x}, lin)));
}

TEST(GradcheckModules, LinearNonContiguousInputAndVector) {
  Generator gen(3);
  Linear lin(4, 2, gen, {.dtype = F64});
  Tensor x = testing::make_noncontiguous(randn64({3, 4}, 12));
  ASSERT_FALSE(x.is_contiguous());
  EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& in) { return lin.forward(in[0]); }, with_params({x}, lin)));
  Tensor v = randn64({4}, 13);  // a single vector
  EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& in) { return lin.forward(in[0]); }, with_params({v}, lin)));
}

TEST(GradcheckModules, ParameterInputsAreReallyChecked) {
  // The parameters-as-extra-inputs pattern must see a parameter whose gradient is lost: here the
  // weight is detached, so the analytic gradient is 0 while the numeric one is not.
  Generator gen(9);
  Linear lin(3, 2, gen, {.dtype = F64});
  Tensor x = randn64({4, 3}, 19);
  auto broken = [&](const std::vector<Tensor>&) { return linear(x, lin.weight.detach(), lin.bias); };
  EXPECT_FALSE(gradcheck(broken, with_params({}, lin)));
  auto fine = [&](const std::vector<Tensor>&) { return linear(x, lin.weight, lin.bias); };
  EXPECT_TRUE(gradcheck(fine, with_params({}, lin)));
}

// ---- MLP --------------------------------------------------------------------------------------

TEST(GradcheckModules, MlpPlain) {
  Generator gen(4);
  MLP mlp({3, 6, 5, 2}, gen, {.activation = Act::Tanh, .dtype = F64});
  Tensor x = randn64({4, 3}, 14);
  EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& in) { return mlp.forward(in[0]); }, with_params({x}, mlp)));
}

TEST(GradcheckModules, MlpResidual) {
  Generator gen(5);
  MLP mlp({3, 5, 5, 5, 2}, gen, {.activation = Act::Silu, .residual = true, .dtype = F64});
  Tensor x = randn64({2, 3, 3}, 15);
  EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& in) { return mlp.forward(in[0]); }, with_params({x}, mlp)));

  // The residual connection is really there: with the hidden->hidden layers zeroed the block is
  // h + act(b) rather than act(b).
  Generator g2(5);
  MLP res({2, 4, 4, 1}, g2, {.activation = Act::Tanh, .residual = true, .dtype = F64});
  Generator g3(5);
  MLP plain({2, 4, 4, 1}, g3, {.activation = Act::Tanh, .residual = false, .dtype = F64});
  Tensor z = randn64({3, 2}, 16);
  auto yr = res.forward(z).to_vector<double>(), yp = plain.forward(z).to_vector<double>();
  EXPECT_NE(yr, yp);
}

TEST(GradcheckModules, MlpZeroInitLast) {
  Generator gen(6);
  MLP mlp({3, 5, 5, 2}, gen, {.activation = Act::GeluTanh, .residual = true, .zero_init_last = true, .dtype = F64});
  Tensor x = randn64({4, 3}, 17);
  // At the zero-initialised start: output 0, gradients only reach the last layer.
  EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& in) { return mlp.forward(in[0]); }, with_params({x}, mlp)));
  jitter(mlp, 6);
  EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& in) { return mlp.forward(in[0]); }, with_params({x}, mlp)));
}

// ---- LayerNorm, Embedding, Dropout --------------------------------------------------------------

TEST(GradcheckModules, LayerNorm) {
  LayerNorm ln(6, 1e-5, true, F64);
  jitter(ln, 7);
  Tensor x = randn64({2, 3, 6}, 18, 2.0);
  EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& in) { return ln.forward(in[0]); }, with_params({x}, ln)));
  LayerNorm plain(5, 1e-3, false, F64);
  Tensor y = randn64({4, 5}, 19);
  EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& in) { return plain.forward(in[0]); }, {y}));
}

TEST(GradcheckModules, EmbeddingWrtWeight) {
  Generator gen(8);
  Embedding emb(5, 3, gen, F64);
  // Repeated rows: their gradients must accumulate.
  Tensor idx = from_vector<int64_t>({0, 4, 2, 4, 4, 1, 0, 3}, Shape{2, 4});
  Tensor y = emb.forward(idx);
  EXPECT_EQ(y.shape(), (Shape{2, 4, 3}));
  EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& in) { return emb.forward(in[0]); }, {idx, emb.weight}));
  // Values: rows of the table.
  auto w = emb.weight.to_vector<double>();
  auto yv = y.to_vector<double>();
  for (int j = 0; j < 3; ++j) EXPECT_EQ(yv[size_t(3 + j)], w[size_t(4 * 3 + j)]);
}

TEST(GradcheckModules, DropoutTrainMode) {
  Tensor x = randn64({4, 7}, 20);
  auto fn = [](const std::vector<Tensor>& in) {
    Dropout d(0.4, 123);  // fresh generator state: the same mask on every evaluation
    return d.forward(in[0]);
  };
  EXPECT_TRUE(gradcheck(fn, {x}));
  // Dropped entries are exactly 0, kept ones scaled by 1/(1 - p).
  auto y = fn({x}).to_vector<double>(), xv = x.to_vector<double>();
  int dropped = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    if (y[i] == 0.0) {
      ++dropped;
    } else {
      EXPECT_NEAR(y[i], xv[i] / 0.6, 1e-15);
    }
  }
  EXPECT_GT(dropped, 0);
  EXPECT_LT(dropped, 28);
  // Eval mode: the identity, gradient 1.
  Dropout d(0.4, 123);
  d.eval();
  EXPECT_EQ(d.forward(x).to_vector<double>(), xv);
  // The same seed gives the same mask; successive calls differ.
  Dropout a(0.5, 9), b(0.5, 9);
  Tensor ones64 = ones(Shape{256}, {.dtype = F64});
  auto a1 = a.forward(ones64).to_vector<double>();
  EXPECT_EQ(a1, b.forward(ones64).to_vector<double>());
  EXPECT_NE(a1, a.forward(ones64).to_vector<double>());
}

// ---- MultiHeadAttention -------------------------------------------------------------------------

struct MhaFixture {
  Generator gen{21};
  MultiHeadAttention mha{6, gen, AttentionOptions{.heads = 2, .head_dim = 4, .dtype = F64}};
  Tensor x = randn64({2, 5, 6}, 22);
  MhaFixture() { jitter(mha, 21, 0.3); }
};

TEST(GradcheckModules, AttentionNoMask) {
  MhaFixture f;
  EXPECT_EQ(f.mha.num_parameters(), 6 * 24 + 24 + 8 * 6 + 6);
  EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& in) { return f.mha.forward(in[0]); },
                        with_params({f.x}, f.mha)));
}

TEST(GradcheckModules, AttentionSharedMask) {
  MhaFixture f;
  Tensor mask = testing::random_mask({5, 5}, 23, 0.6);
  {
    // Keep every row attending at least itself (a [T, T] mask with a dead row is tested below).
    uint8_t* m = mask.data<uint8_t>();
    for (int i = 0; i < 5; ++i) m[i * 5 + i] = 1;
  }
  EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& in) { return f.mha.forward(in[0], mask); },
                        with_params({f.x}, f.mha)));
}

TEST(GradcheckModules, AttentionBatchMaskWithFullyMaskedRows) {
  MhaFixture f;
  Tensor mask = testing::random_mask({2, 5, 5}, 24, 0.5);
  uint8_t* m = mask.data<uint8_t>();
  for (int j = 0; j < 5; ++j) {
    m[0 * 25 + 1 * 5 + j] = 0;  // batch 0, query 1: attends nothing
    m[1 * 25 + 4 * 5 + j] = 0;  // batch 1, query 4
    m[1 * 25 + 0 * 5 + j] = 0;  // batch 1, query 0
  }
  m[0 * 25 + 2 * 5 + 3] = 1;  // batch 0, query 2 attends exactly one key
  for (int j = 0; j < 5; ++j)
    if (j != 3) m[0 * 25 + 2 * 5 + j] = 0;
  EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& in) { return f.mha.forward(in[0], mask); },
                        with_params({f.x}, f.mha)));

  // A fully masked query row returns the output projection's bias, whatever its input.
  Tensor y = f.mha.forward(f.x, mask);
  ASSERT_TRUE(all_finite(y));
  auto yv = y.to_vector<double>();
  auto bias = f.mha.named_parameters()[3].second.to_vector<double>();  // out_proj.bias
  for (int c = 0; c < 6; ++c) {
    EXPECT_EQ(yv[size_t((0 * 5 + 1) * 6 + c)], bias[size_t(c)]);
    EXPECT_EQ(yv[size_t((1 * 5 + 4) * 6 + c)], bias[size_t(c)]);
  }
}

TEST(GradcheckModules, AttentionRejectsBadMasks) {
  MhaFixture f;
  EXPECT_THROW(f.mha.forward(f.x, testing::random_mask({4, 4}, 1)), ShapeError);
  EXPECT_THROW(f.mha.forward(f.x, testing::random_mask({3, 5, 5}, 1)), ShapeError);
  EXPECT_THROW(f.mha.forward(f.x, ones(Shape{5, 5}, {.dtype = F64})), DTypeError);
  EXPECT_THROW(f.mha.forward(randn64({2, 5, 4}, 1)), ShapeError);
}

// ---- Transformer ----------------------------------------------------------------------------------

TransformerOptions tiny(int64_t cond_dim, int64_t layers) {
  return TransformerOptions{.d_model = 6, .heads = 2, .head_dim = 3, .mlp_ratio = 2, .activation = Act::GeluTanh,
                            .cond_dim = cond_dim, .layers = layers, .dtype = F64};
}

TEST(GradcheckModules, TransformerLayerNoConditioning) {
  Generator gen(30);
  TransformerEncoderLayer layer(tiny(0, 1), gen);
  jitter(layer, 30);
  Tensor x = randn64({2, 4, 6}, 31);
  Tensor mask = testing::random_mask({4, 4}, 32, 0.7);
  EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& in) { return layer.forward(in[0]); }, with_params({x}, layer)));
  EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& in) { return layer.forward(in[0], mask); },
                        with_params({x}, layer)));
  EXPECT_THROW(layer.forward(x, Tensor(), randn64({2, 3}, 1)), ValueError);
}

TEST(GradcheckModules, TransformerLayerWithConditioning) {
  Generator gen(33);
  TransformerEncoderLayer layer(tiny(3, 1), gen);
  jitter(layer, 33);
  Tensor x = randn64({2, 4, 6}, 34);
  Tensor c = randn64({2, 3}, 35);
  EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& in) { return layer.forward(in[0], Tensor(), in[1]); },
                        with_params({x, c}, layer)));
  EXPECT_THROW(layer.forward(x), ShapeError);                             // cond missing
  EXPECT_THROW(layer.forward(x, Tensor(), randn64({2, 4}, 1)), ShapeError);  // wrong width
}

TEST(GradcheckModules, TransformerEncoderWithAndWithoutConditioning) {
  Generator gen(36);
  TransformerEncoder plain(tiny(0, 2), gen);
  jitter(plain, 36);
  Tensor x = randn64({2, 3, 6}, 37);
  Tensor mask = testing::random_mask({2, 3, 3}, 38, 0.6);
  mask.data<uint8_t>()[1 * 9 + 2 * 3 + 0] = 0;  // batch 1, query 2: fully masked
  mask.data<uint8_t>()[1 * 9 + 2 * 3 + 1] = 0;
  mask.data<uint8_t>()[1 * 9 + 2 * 3 + 2] = 0;
  EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& in) { return plain.forward(in[0], mask); },
                        with_params({x}, plain)));

  TransformerEncoder cond(tiny(4, 2), gen);
  jitter(cond, 39);
  Tensor c = randn64({2, 4}, 40);
  EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& in) { return cond.forward(in[0], Tensor(), in[1]); },
                        with_params({x, c}, cond)));
}

// ---- Time embeddings --------------------------------------------------------------------------

TEST(GradcheckModules, GaussianFourierEmbeddingWrtT) {
  Generator gen(41);
  GaussianFourierEmbedding emb(8, gen, 2.0, F64);
  Tensor t = testing::uniform_f64({5}, 42, 0.0, 1.0);
  EXPECT_EQ(emb.forward(t).shape(), (Shape{5, 8}));
  EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& in) { return emb.forward(in[0]); }, {t}));
  Tensor t2 = testing::uniform_f64({3, 1}, 43, 0.0, 1.0);
  EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& in) { return emb.forward(in[0]); }, {t2}));
  // Values: [cos(2π t b), sin(2π t b)].
  auto y = emb.forward(t).to_vector<double>();
  auto tv = t.to_vector<double>(), b = emb.frequencies.to_vector<double>();
  const double two_pi = 6.283185307179586;
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 4; ++j) {
      EXPECT_NEAR(y[size_t(i * 8 + j)], std::cos(two_pi * tv[size_t(i)] * b[size_t(j)]), 1e-14);
      EXPECT_NEAR(y[size_t(i * 8 + 4 + j)], std::sin(two_pi * tv[size_t(i)] * b[size_t(j)]), 1e-14);
    }
}

TEST(GradcheckModules, SinusoidalEmbeddingWrtT) {
  Tensor t = testing::uniform_f64({4}, 44, 0.0, 1.0);
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& in) { return sinusoidal_embedding(in[0], 10); }, {t}));
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& in) { return sinusoidal_embedding(in[0], 6, 100.0); },
                        {testing::uniform_f64({3, 1}, 45, 0.0, 1.0)}));
  // Values: frequency i is max_period^(-i/half).
  auto y = sinusoidal_embedding(t, 6, 100.0).to_vector<double>();
  auto tv = t.to_vector<double>();
  for (int r = 0; r < 4; ++r)
    for (int i = 0; i < 3; ++i) {
      const double f = std::pow(100.0, -double(i) / 3.0);
      EXPECT_NEAR(y[size_t(r * 6 + i)], std::cos(tv[size_t(r)] * f), 1e-14);
      EXPECT_NEAR(y[size_t(r * 6 + 3 + i)], std::sin(tv[size_t(r)] * f), 1e-14);
    }
}

// ---- Set pooling ------------------------------------------------------------------------------

TEST(GradcheckModules, SetPoolWithoutMask) {
  Tensor x = testing::distinct_f64({3, 5, 4}, 50, -3.0, 0.1);  // no ties: max is differentiable
  for (Pool kind : {Pool::Mean, Pool::Sum, Pool::Max})
    EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& in) { return set_pool(in[0], kind); }, {x}))
        << int(kind);
}

TEST(GradcheckModules, SetPoolWithPaddingMask) {
  Tensor x = testing::distinct_f64({3, 5, 4}, 51, -3.0, 0.1);
  // Batch 0: elements 0, 2, 3 real; batch 1: all real; batch 2: empty set.
  Tensor mask = from_vector<bool>({true, false, true, true, false,  //
                                   true, true, true, true, true,    //
                                   false, false, false, false, false},
                                  Shape{3, 5});
  for (Pool kind : {Pool::Mean, Pool::Sum, Pool::Max}) {
    EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& in) { return set_pool(in[0], kind, mask); }, {x}))
        << int(kind);
    // Reference values from the real elements only; an empty set pools to 0.
    auto y = set_pool(x, kind, mask).to_vector<double>();
    auto xv = x.to_vector<double>();
    auto mv = mask.to_vector<uint8_t>();
    for (int b = 0; b < 3; ++b)
      for (int c = 0; c < 4; ++c) {
        double s = 0, mx = -1e300;
        int n = 0;
        for (int i = 0; i < 5; ++i)
          if (mv[size_t(b * 5 + i)]) {
            const double v = xv[size_t((b * 5 + i) * 4 + c)];
            s += v;
            mx = std::max(mx, v);
            ++n;
          }
        const double want = kind == Pool::Sum ? s : n == 0 ? 0.0 : kind == Pool::Mean ? s / n : mx;
        EXPECT_NEAR(y[size_t(b * 4 + c)], want, 1e-14) << int(kind) << " b=" << b << " c=" << c;
      }
  }
  // The empty set gets zero gradient, never NaN.
  Tensor xl = x.detach().clone().requires_grad_();
  Tensor w = randn64({3, 4}, 52);
  for (Pool kind : {Pool::Mean, Pool::Max}) {
    xl.zero_grad();
    (set_pool(xl, kind, mask) * w).sum().backward();
    auto g = xl.grad().to_vector<double>();
    for (size_t i = 2 * 20; i < 3 * 20; ++i) EXPECT_EQ(g[i], 0.0);
    EXPECT_TRUE(all_finite(xl.grad()));
  }
}

}  // namespace
}  // namespace amor::nn
