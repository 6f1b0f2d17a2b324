// Conv1d, GRU and MultiHeadCrossAttention (nn/conv1d.h, nn/gru.h, nn/cross_attention.h): values
// against slow scalar twins, the padding/mask contracts, float64 gradient checks with respect to
// the inputs and every parameter, and typed errors.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/random.h"
#include "nn/conv1d.h"
#include "nn/cross_attention.h"
#include "nn/gru.h"
#include "tests/support/gradcheck.h"

namespace amor::nn {
namespace {

using amor::testing::gradcheck;
constexpr DType F64 = DType::F64;

std::vector<Tensor> with_params(std::vector<Tensor> inputs, const Module& m) {
  for (const Tensor& p : m.parameters()) inputs.push_back(p);
  return inputs;
}

double sigm(double v) { return 1.0 / (1.0 + std::exp(-v)); }

// Slow GRU: scalar loops over PyTorch's equations; final state [B, H].
std::vector<double> naive_gru(const GRU& g, const Tensor& x, const std::vector<int>& len, bool reverse) {
  const int64_t B = x.size(0), L = x.size(1), C = x.size(2), H = g.hidden_size();
  const auto X = x.to_vector<double>(), Wi = g.weight_ih.to_vector<double>(), Wh = g.weight_hh.to_vector<double>(),
             bi = g.bias_ih.to_vector<double>(), bh = g.bias_hh.to_vector<double>();
  std::vector<double> out(size_t(B * H), 0.0);
  for (int64_t b = 0; b < B; ++b) {
    std::vector<double> h(size_t(H), 0.0);
    const int64_t n = len.empty() ? L : len[size_t(b)];
    for (int64_t s = 0; s < n; ++s) {
      const int64_t t = reverse ? n - 1 - s : s;
      std::vector<double> gi(size_t(3 * H)), gh(size_t(3 * H));
      for (int64_t j = 0; j < 3 * H; ++j) {
        double a = bi[size_t(j)], c = bh[size_t(j)];
        for (int64_t k = 0; k < C; ++k) a += Wi[size_t(j * C + k)] * X[size_t((b * L + t) * C + k)];
        for (int64_t k = 0; k < H; ++k) c += Wh[size_t(j * H + k)] * h[size_t(k)];
        gi[size_t(j)] = a;
        gh[size_t(j)] = c;
      }
      std::vector<double> hn(static_cast<size_t>(H));
      for (int64_t j = 0; j < H; ++j) {
        const double r = sigm(gi[size_t(j)] + gh[size_t(j)]);
        const double z = sigm(gi[size_t(H + j)] + gh[size_t(H + j)]);
        const double nn_ = std::tanh(gi[size_t(2 * H + j)] + r * gh[size_t(2 * H + j)]);
        hn[size_t(j)] = (1 - z) * nn_ + z * h[size_t(j)];
      }
      h = hn;
    }
    for (int64_t j = 0; j < H; ++j) out[size_t(b * H + j)] = h[size_t(j)];
  }
  return out;
}

Tensor length_mask(const std::vector<int>& len, int64_t L) {
  std::vector<bool> m;
  for (int n : len)
    for (int64_t t = 0; t < L; ++t) m.push_back(t < n);
  return from_vector(m, Shape{int64_t(len.size()), L});
}

TEST(GRU, MatchesSlowTwinBothDirections) {
  Generator gen(3);
  GRU g(3, 5, gen, F64);
  const Tensor x = testing::randn_f64({2, 6, 3}, 11);
  for (bool rev : {false, true}) {
    const Tensor h = g.forward(x, Tensor(), rev);
    EXPECT_TRUE(testing::all_close(h, from_vector(naive_gru(g, x, {}, rev), Shape{2, 5}), 1e-12, 1e-10)) << rev;
  }
}

TEST(GRU, TrailingPaddingGivesTheUnpaddedFinalState) {
  Generator gen(4);
  GRU g(2, 4, gen, F64);
  const std::vector<int> len = {3, 6, 1};
  // Padded steps hold huge values: they must not leak into the state.
  Tensor x = testing::randn_f64({3, 6, 2}, 12);
  const Tensor mask = length_mask(len, 6);
  x = where(mask.unsqueeze(2), x, 1e6);
  for (bool rev : {false, true}) {
    Tensor states;
    const Tensor h = g.forward(x, mask, rev, &states);
    EXPECT_TRUE(testing::all_close(h, from_vector(naive_gru(g, x, len, rev), Shape{3, 4}), 1e-12, 1e-10)) << rev;
    EXPECT_EQ(states.shape(), (Shape{3, 6, 4}));
    // Each row alone, unpadded.
    for (int64_t b = 0; b < 3; ++b) {
      const Tensor hb = g.forward(x.narrow(0, b, 1).narrow(1, 0, len[size_t(b)]), Tensor(), rev);
      EXPECT_TRUE(testing::all_close(hb, h.narrow(0, b, 1), 1e-13, 1e-12));
    }
  }
}

TEST(GRU, GradcheckFloat64) {
  Generator gen(5);
  GRU g(2, 3, gen, F64);
  const Tensor x = testing::randn_f64({2, 4, 2}, 13);
  const Tensor mask = length_mask({4, 2}, 4);
  for (bool rev : {false, true}) {
    auto fn = [&](const std::vector<Tensor>& v) {
      Tensor states;
      Tensor h = g.forward(v[0], mask, rev, &states);
      return concat({h, states.reshape(Shape{2, 12})}, 1);
    };
    EXPECT_TRUE(gradcheck(fn, with_params({x}, g))) << rev;
  }
}

TEST(GRU, Errors) {
  Generator gen(6);
  GRU g(2, 3, gen);
  EXPECT_THROW(g.forward(zeros({2, 4, 3})), ShapeError);
  EXPECT_THROW(g.forward(zeros({2, 4, 2}), zeros({2, 4})), ShapeError);  // mask not bool
  EXPECT_THROW(g.forward(zeros({2, 4, 2}), ones({2, 3}, {.dtype = DType::Bool})), ShapeError);
  EXPECT_THROW(GRU(0, 3, gen), ValueError);
}

TEST(Conv1dModule, SamePaddingKeepsLengthAndGradchecks) {
  Generator gen(7);
  for (int64_t k : {1, 2, 3, 4}) {
    Conv1d conv(3, 2, k, gen, {.dtype = F64});
    const Tensor x = testing::randn_f64({2, 5, 3}, 14);
    EXPECT_EQ(conv.forward(x).shape(), (Shape{2, 5, 2})) << k;
    EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& v) { return conv.forward(v[0]); }, with_params({x}, conv)));
  }
  Conv1d valid(3, 2, 3, gen, {.padding = "valid", .dtype = F64});
  EXPECT_EQ(valid.forward(testing::randn_f64({1, 5, 3}, 15)).shape(), (Shape{1, 3, 2}));
  EXPECT_THROW(Conv1d(3, 2, 3, gen, {.stride = 2}), ValueError);  // "same" needs stride 1
  EXPECT_THROW(Conv1d(3, 2, 3, gen, {.padding = "full"}), ValueError);
  EXPECT_THROW(valid.forward(zeros({1, 5, 2}, {.dtype = F64})), ShapeError);
}

// Slow cross-attention from the layer's own weights.
std::vector<double> naive_cross_attention(const Tensor& q_proj_w, const Tensor& q_proj_b, const Tensor& kv_w,
                                          const Tensor& kv_b, const Tensor& o_w, const Tensor& o_b, const Tensor& xq,
                                          const Tensor& xkv, const std::vector<std::vector<bool>>& key_ok, int64_t H) {
  const int64_t B = xq.size(0), Tq = xq.size(1), dq = xq.size(2), Tk = xkv.size(1), dk = xkv.size(2);
  const int64_t HD = q_proj_w.size(0), D = HD / H;
  const auto Qw = q_proj_w.to_vector<double>(), Qb = q_proj_b.to_vector<double>(), Kw = kv_w.to_vector<double>(),
             Kb = kv_b.to_vector<double>(), Ow = o_w.to_vector<double>(), Ob = o_b.to_vector<double>(),
             XQ = xq.to_vector<double>(), XK = xkv.to_vector<double>();
  std::vector<double> out(size_t(B * Tq * dq));
  for (int64_t b = 0; b < B; ++b) {
    std::vector<double> q(size_t(Tq * HD)), k(size_t(Tk * HD)), v(size_t(Tk * HD));
    for (int64_t t = 0; t < Tq; ++t)
      for (int64_t j = 0; j < HD; ++j) {
        double a = Qb[size_t(j)];
        for (int64_t c = 0; c < dq; ++c) a += Qw[size_t(j * dq + c)] * XQ[size_t((b * Tq + t) * dq + c)];
        q[size_t(t * HD + j)] = a;
      }
    for (int64_t t = 0; t < Tk; ++t)
      for (int64_t j = 0; j < 2 * HD; ++j) {
        double a = Kb[size_t(j)];
        for (int64_t c = 0; c < dk; ++c) a += Kw[size_t(j * dk + c)] * XK[size_t((b * Tk + t) * dk + c)];
        (j < HD ? k : v)[size_t(t * HD + j % HD)] = a;
      }
    for (int64_t t = 0; t < Tq; ++t) {
      std::vector<double> o(size_t(HD), 0.0);
      for (int64_t h = 0; h < H; ++h) {
        std::vector<double> s(static_cast<size_t>(Tk));
        double mx = -INFINITY;
        bool any = false;
        for (int64_t u = 0; u < Tk; ++u) {
          if (!key_ok.empty() && !key_ok[size_t(b)][size_t(u)]) continue;
          double a = 0;
          for (int64_t d = 0; d < D; ++d) a += q[size_t(t * HD + h * D + d)] * k[size_t(u * HD + h * D + d)];
          s[size_t(u)] = a / std::sqrt(double(D));
          mx = std::max(mx, s[size_t(u)]);
          any = true;
        }
        if (!any) continue;
        double z = 0;
        for (int64_t u = 0; u < Tk; ++u)
          if (key_ok.empty() || key_ok[size_t(b)][size_t(u)]) z += std::exp(s[size_t(u)] - mx);
        for (int64_t u = 0; u < Tk; ++u)
          if (key_ok.empty() || key_ok[size_t(b)][size_t(u)])
            for (int64_t d = 0; d < D; ++d)
              o[size_t(h * D + d)] += std::exp(s[size_t(u)] - mx) / z * v[size_t(u * HD + h * D + d)];
      }
      for (int64_t c = 0; c < dq; ++c) {
        double a = Ob[size_t(c)];
        for (int64_t j = 0; j < HD; ++j) a += Ow[size_t(c * HD + j)] * o[size_t(j)];
        out[size_t((b * Tq + t) * dq + c)] = a;
      }
    }
  }
  return out;
}

TEST(CrossAttention, MatchesSlowTwinWithAndWithoutMask) {
  Generator gen(8);
  MultiHeadCrossAttention attn(4, 3, gen, {.heads = 2, .dtype = F64});
  const auto params = attn.parameters();  // q.w, q.b, kv.w, kv.b, out.w, out.b
  ASSERT_EQ(params.size(), 6u);
  const Tensor xq = testing::randn_f64({2, 3, 4}, 16), xkv = testing::randn_f64({2, 5, 3}, 17);
  const std::vector<std::vector<bool>> ok = {{true, false, true, true, false}, {false, false, false, false, false}};
  std::vector<bool> flat;
  for (const auto& r : ok) flat.insert(flat.end(), r.begin(), r.end());
  const Tensor mask = from_vector(flat, Shape{2, 5});
  EXPECT_TRUE(testing::all_close(
      attn.forward(xq, xkv),
      from_vector(naive_cross_attention(params[0], params[1], params[2], params[3], params[4], params[5], xq, xkv, {}, 2),
                  Shape{2, 3, 4}),
      1e-12, 1e-10));
  const Tensor y = attn.forward(xq, xkv, mask);
  EXPECT_TRUE(testing::all_close(
      y, from_vector(naive_cross_attention(params[0], params[1], params[2], params[3], params[4], params[5], xq, xkv, ok, 2),
                     Shape{2, 3, 4}),
      1e-12, 1e-10));
  // Batch 1 has no real key: every query returns the output bias.
  for (int64_t t = 0; t < 3; ++t)
    EXPECT_TRUE(testing::all_close(y.select(0, 1).select(0, t), params[5], 1e-15, 0));
}

TEST(CrossAttention, FullyMaskedRowsHaveZeroGradientsAndNoNaN) {
  Generator gen(9);
  MultiHeadCrossAttention attn(4, 3, gen, {.heads = 2, .dtype = F64});
  Tensor xq = testing::randn_f64({1, 2, 4}, 18), xkv = testing::randn_f64({1, 3, 3}, 19);
  xkv.requires_grad_();
  attn.forward(xq, xkv, zeros({1, 3}, {.dtype = DType::Bool})).sum().backward();
  EXPECT_TRUE(all_finite(xkv.grad()));
  EXPECT_TRUE(testing::all_close(xkv.grad(), zeros({1, 3, 3}, {.dtype = F64}), 0, 0));
}

TEST(CrossAttention, GradcheckFloat64) {
  Generator gen(10);
  MultiHeadCrossAttention attn(4, 3, gen, {.heads = 2, .dtype = F64});
  const Tensor xq = testing::randn_f64({2, 3, 4}, 20), xkv = testing::randn_f64({2, 5, 3}, 21);
  const Tensor mask = from_vector(std::vector<bool>{true, true, false, true, false, false, true, true, true, true},
                                  Shape{2, 5});
  EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& v) { return attn.forward(v[0], v[1], mask); },
                        with_params({xq, xkv}, attn)));
  EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& v) { return attn.forward(v[0], v[1]); },
                        with_params({xq, xkv}, attn)));
}

TEST(CrossAttention, Errors) {
  Generator gen(11);
  MultiHeadCrossAttention attn(4, 3, gen, {.heads = 2});
  EXPECT_THROW(attn.forward(zeros({2, 3, 5}), zeros({2, 4, 3})), ShapeError);
  EXPECT_THROW(attn.forward(zeros({2, 3, 4}), zeros({1, 4, 3})), ShapeError);
  EXPECT_THROW(attn.forward(zeros({2, 3, 4}), zeros({2, 4, 3}), ones({2, 4})), ShapeError);
  EXPECT_THROW(MultiHeadCrossAttention(5, 3, gen, {.heads = 2}), ValueError);
}

}  // namespace
}  // namespace amor::nn
