// Gradient checks of the normalising ops: softmax, log_softmax (core/ops/reduce.cpp), layer_norm
// (core/ops/layer_norm.cpp) and the fused attention (core/ops/attention.cpp), plus their values
// against compositions of simpler ops. Random upstream gradients matter most here: Σ softmax = 1,
// so a plain-sum loss would have a zero gradient.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "tests/support/gradcheck.h"

namespace amor {
namespace {

using testing::gradcheck;
using testing::make_noncontiguous;

TEST(GradcheckSoftmax, SoftmaxAndLogSoftmax) {
  Tensor x = testing::randn_f64(Shape{3, 4, 5}, 1, 0.0, 2.0);
  for (const Tensor& in : {x, make_noncontiguous(x), x.transpose(0, 2)})
    for (int64_t axis : {0, 1, 2, -1}) {
      SCOPED_TRACE(in.shape().str() + " axis " + std::to_string(axis));
      EXPECT_TRUE(gradcheck([axis](const std::vector<Tensor>& v) { return softmax(v[0], axis); }, {in}));
      EXPECT_TRUE(gradcheck([axis](const std::vector<Tensor>& v) { return log_softmax(v[0], axis); }, {in}));
    }
  Tensor v1 = testing::randn_f64(Shape{6}, 2);
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return softmax(v[0], 0); }, {v1}));
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return log_softmax(v[0], -1); }, {v1}));
}

TEST(GradcheckSoftmax, LargeLogits) {
  // Shift invariance: logits around 300 must not overflow in forward or backward.
  Tensor x = testing::uniform_f64(Shape{2, 5}, 3, 295.0, 305.0);
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return softmax(v[0], 1); }, {x}));
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return log_softmax(v[0], 1); }, {x}, {.atol = 1e-5}));
}

TEST(GradcheckSoftmax, Values) {
  Tensor x = testing::randn_f64(Shape{3, 4}, 4);
  Tensor ref = exp(x - logsumexp(x, 1, true));
  testing::expect_close(softmax(x, 1), ref, 1e-14, 1e-13);
  testing::expect_close(log_softmax(x, 1), x - logsumexp(x, 1, true), 1e-14, 1e-13);
  testing::expect_close(sum(softmax(x, 0), {0}), ones(Shape{4}, {.dtype = DType::F64}), 1e-14, 1e-14);
  // A -inf logit gets probability 0 and the rest renormalise.
  Tensor m = from_vector<double>({0.0, -INFINITY, 0.0});
  testing::expect_close(softmax(m, 0), from_vector<double>({0.5, 0.0, 0.5}));
}

// ---- layer_norm -------------------------------------------------------------------------------

TEST(GradcheckLayerNorm, WeightBiasCombinations) {
  for (const Shape& s : {Shape{4, 5}, Shape{2, 3, 6}, Shape{7}, Shape{3, 1}}) {
    const int64_t C = s.back();
    Tensor x = testing::randn_f64(s, 10), w = testing::randn_f64(Shape{C}, 11), b = testing::randn_f64(Shape{C}, 12);
    SCOPED_TRACE(s.str());
    EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return layer_norm(v[0], v[1], v[2]); }, {x, w, b}));
    EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return layer_norm(v[0], Tensor(), Tensor()); }, {x}));
    EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return layer_norm(v[0], v[1], Tensor()); }, {x, w}));
    EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return layer_norm(v[0], Tensor(), v[1]); }, {x, b}));
    EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return layer_norm(v[0], v[1], v[2]); },
                          {make_noncontiguous(x), make_noncontiguous(w), make_noncontiguous(b)}));
    // Parameters differentiated without the input (e.g. frozen features).
    EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return layer_norm(v[0], v[1], v[2]); }, {x, w, b},
                          {.wrt = {false, true, true}}));
    EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return layer_norm(v[0], v[1], v[2]); }, {x, w, b},
                          {.wrt = {true, false, false}}));
  }
}

TEST(GradcheckLayerNorm, LargeEpsAndOffsetInputs) {
  Tensor x = testing::randn_f64(Shape{3, 4}, 20, 50.0, 0.5);
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return layer_norm(v[0], Tensor(), Tensor(), 0.3); }, {x}));
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return layer_norm(v[0], Tensor(), Tensor()); }, {x},
                        {.atol = 1e-5}));
}

TEST(GradcheckLayerNorm, ValuesMatchComposition) {
  Tensor x = testing::randn_f64(Shape{2, 3, 5}, 30), w = testing::randn_f64(Shape{5}, 31), b = testing::randn_f64(Shape{5}, 32);
  const double eps = 1e-5;
  Tensor ref = (x - mean(x, {-1}, true)) / sqrt(var(x, {-1}, 0, true) + eps) * w + b;
  testing::expect_close(layer_norm(x, w, b, eps), ref, 1e-12, 1e-12);
  testing::expect_close(layer_norm(make_noncontiguous(x), w, b, eps), ref, 1e-12, 1e-12);
  // The composition's gradient and the fused one agree as well.
  Tensor g = testing::randn_f64(x.shape(), 33);
  auto grads = [&](bool fused) {
    Tensor xl = x.clone().requires_grad_(), wl = w.clone().requires_grad_(), bl = b.clone().requires_grad_();
    Tensor y = fused ? layer_norm(xl, wl, bl, eps)
                     : (xl - mean(xl, {-1}, true)) / sqrt(var(xl, {-1}, 0, true) + eps) * wl + bl;
    return amor::grad({y}, {xl, wl, bl}, {g});
  };
  std::vector<Tensor> fused = grads(true), composed = grads(false);
  for (size_t i = 0; i < 3; ++i) testing::expect_close(fused[i], composed[i], 1e-10, 1e-10);
}

// ---- attention ------------------------------------------------------------------------------

TEST(GradcheckAttention, MaskedAndNonContiguous) {
  const int64_t B = 2, T = 3, H = 2, D = 2;
  Tensor q = testing::randn_f64(Shape{B, T, H, D}, 40), k = testing::randn_f64(Shape{B, T, H, D}, 41),
         v = testing::randn_f64(Shape{B, T, H, D}, 42);
  auto full = [](const std::vector<Tensor>& in) { return attention(in[0], in[1], in[2]); };
  EXPECT_TRUE(gradcheck(full, {q, k, v}));
  EXPECT_TRUE(gradcheck(full, {make_noncontiguous(q), make_noncontiguous(k), make_noncontiguous(v)}));
  // Causal [T, T] mask, and a [B, T, T] mask with a fully masked row (output 0, zero gradient).
  Tensor causal = from_vector<bool>({true, false, false, true, true, false, true, true, true}, Shape{T, T});
  EXPECT_TRUE(gradcheck([causal](const std::vector<Tensor>& in) { return attention(in[0], in[1], in[2], causal); },
                        {q, k, v}));
  std::vector<bool> mb(size_t(B * T * T), true);
  mb[3] = mb[4] = mb[5] = false;  // batch 0, query row 1: no key allowed
  mb[9 + 2] = false;
  Tensor mask = from_vector<bool>(mb, Shape{B, T, T});
  EXPECT_TRUE(gradcheck(
      [mask](const std::vector<Tensor>& in) { return attention(in[0], in[1], in[2], mask, 0.7); }, {q, k, v}));
  // Values: out = softmax(q·kᵀ·scale)·v per (batch, head).
  Tensor out = attention(q, k, v);
  Tensor qh = q.permute(Shape{0, 2, 1, 3}), kh = k.permute(Shape{0, 2, 1, 3}), vh = v.permute(Shape{0, 2, 1, 3});
  Tensor ref = matmul(softmax(matmul(qh, kh.transpose(-1, -2)) / std::sqrt(double(D)), -1), vh).permute(Shape{0, 2, 1, 3});
  testing::expect_close(out, ref, 1e-12, 1e-12);
}

// Views whose strides differ per operand (the kernel takes each operand's own strides): q a
// slice of a packed tensor, k heads-first (a permuted view), v with a non-unit head-dim stride
// (the op copies that one), and an upstream gradient that is itself a transposed view.
TEST(GradcheckAttention, MixedStridesPerOperand) {
  const int64_t B = 2, T = 3, H = 2, D = 3;
  Tensor packed = testing::randn_f64(Shape{B, T, 2, H, D}, 43);
  Tensor heads_first = testing::randn_f64(Shape{B, H, T, D}, 44);
  Tensor wide = testing::randn_f64(Shape{B, T, H, 2 * D}, 45);
  std::vector<bool> mb(size_t(B * T * T), true);
  mb[1] = mb[2] = false;
  Tensor mask = from_vector<bool>(mb, Shape{B, T, T});
  auto fn = [&](const std::vector<Tensor>& in) {
    Tensor q = in[0].select(2, 1), k = in[1].permute(Shape{0, 2, 1, 3});
    Tensor v = in[2].slice(3, 0, 2 * D, 2);  // head-dim stride 2
    // Read out through a transpose, so the gradient reaching attention is a strided view.
    return attention(q, k, v, mask).transpose(1, 2).contiguous();
  };
  EXPECT_TRUE(gradcheck(fn, {packed, heads_first, wide}));
  // Values equal those of contiguous copies, exactly (same kernel arithmetic).
  Tensor q = packed.select(2, 1), k = heads_first.permute(Shape{0, 2, 1, 3}), v = wide.slice(3, 0, 2 * D, 2);
  EXPECT_TRUE(testing::all_close(attention(q, k, v, mask), attention(q.contiguous(), k.contiguous(), v.contiguous(), mask), 0, 0));
}

// attention_qkv against attention on the three slices: the same values and the same gradient
// (bit for bit: one kernel, one arithmetic), then a float64 gradcheck of its own, including a
// non-contiguous packed input and masks of both ranks.
TEST(GradcheckAttention, PackedQkv) {
  const int64_t B = 2, T = 4, H = 2, D = 3;
  Tensor qkv = testing::randn_f64(Shape{B, T, 3, H, D}, 46);
  std::vector<bool> mb(size_t(B * T * T), true);
  mb[4] = mb[5] = mb[6] = mb[7] = false;  // batch 0, query row 1: fully masked
  mb[16 + 3] = false;
  Tensor mask = from_vector<bool>(mb, Shape{B, T, T});
  Tensor x = qkv.detach();
  x.requires_grad_(true);
  Tensor g = testing::randn_f64(Shape{B, T, H, D}, 47);
  Tensor packed = attention_qkv(x, mask, 0.6);
  Tensor split = attention(x.select(2, 0), x.select(2, 1), x.select(2, 2), mask, 0.6);
  EXPECT_TRUE(testing::all_close(packed, split, 0, 0));
  Tensor g_packed = grad({packed}, {x}, {g})[0];
  Tensor g_split = grad({split}, {x}, {g})[0];
  EXPECT_TRUE(testing::all_close(g_packed, g_split, 0, 0));

  auto fn = [&](const std::vector<Tensor>& in) { return attention_qkv(in[0], mask, 0.6); };
  EXPECT_TRUE(gradcheck(fn, {qkv}));
  EXPECT_TRUE(gradcheck(fn, {make_noncontiguous(qkv)}));
  Tensor causal = from_vector<bool>({true, false, false, false, true, true, false, false, true, true, true, false,
                                     true, true, true, true},
                                    Shape{T, T});
  EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& in) { return attention_qkv(in[0], causal); }, {qkv}));
  EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& in) { return attention_qkv(in[0]); }, {qkv}));
}

}  // namespace
}  // namespace amor
