// amor::attention (the fused kernel behind nn::MultiHeadAttention) against the unfused
// composition of core ops, forward and backward, float32 and float64, random shapes and masks.
//
// The composition implements the same contract as the fused op: scores q·kᵀ·scale per (b, h);
// forbidden scores are filled with a large *finite* negative value before the softmax (so a
// fully masked row gives a uniform, finite row instead of NaN) and the probabilities are then
// passed through where(mask, p, 0): forbidden entries and fully masked rows become exactly 0,
// and so do their gradients.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/random.h"
#include "tests/support/gradcheck.h"

namespace amor {
namespace {

enum class MaskKind { None, Shared, PerBatch };

// q, k, v: [B, T, H, D]; mask: bool [T, T] / [B, T, T] / undefined.
Tensor unfused_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask, double scale) {
  Tensor qh = q.permute({0, 2, 1, 3}), kh = k.permute({0, 2, 1, 3}), vh = v.permute({0, 2, 1, 3});  // [B, H, T, D]
  Tensor s = matmul(qh, kh.transpose(2, 3)) * scale;                                                // [B, H, T, T]
  Tensor p;
  if (!mask.defined()) {
    p = softmax(s, -1);
  } else {
    Tensor m = mask.dim() == 2 ? mask.unsqueeze(0).unsqueeze(0) : mask.unsqueeze(1);  // [1|B, 1, T, T]
    p = where(m, softmax(masked_fill(s, logical_not(m), -1e30), -1), 0.0);
  }
  return matmul(p, vh).permute({0, 2, 1, 3}).contiguous();  // [B, T, H, D]
}

struct Case {
  DType dtype;
  int64_t B, T, H, D;
  MaskKind mask_kind;
  double p_allow;         // probability that an entry of the random mask is true
  int dead_rows;          // fully masked query rows forced into the mask
  int dead_cols;          // keys no query may attend
  bool packed;            // q, k, v as slices of one [B, T, 3, H, D] projection
  double scale;           // <= 0: default 1/√D
  uint64_t seed;

  std::string str() const {
    std::ostringstream os;
    os << dtype_name(dtype) << " B=" << B << " T=" << T << " H=" << H << " D=" << D << " mask="
       << int(mask_kind) << " p=" << p_allow << " dead_rows=" << dead_rows << " dead_cols=" << dead_cols
       << " packed=" << packed << " scale=" << scale << " seed=" << seed;
    return os.str();
  }
};

// Elements of t [B, T, H, D] at token `i` of batch `b`, all heads (the zero checks).
std::vector<double> token_slice(const std::vector<double>& t, const Case& c, int64_t b, int64_t i) {
  std::vector<double> out;
  const int64_t n = c.H * c.D;
  for (int64_t e = 0; e < n; ++e) out.push_back(t[size_t((b * c.T + i) * n + e)]);
  return out;
}

void run_case(const Case& c) {
  SCOPED_TRACE(c.str());
  Generator gen(c.seed);
  const TensorOptions fo{.dtype = c.dtype};
  Tensor q, k, v;
  if (c.packed) {
    Tensor qkv = randn(Shape{c.B, c.T, 3, c.H, c.D}, gen, fo).requires_grad_();
    // The views are not leaves; amor::grad differentiates with respect to them directly.
    q = qkv.select(2, 0);
    k = qkv.select(2, 1);
    v = qkv.select(2, 2);
  } else {
    q = randn(Shape{c.B, c.T, c.H, c.D}, gen, fo).requires_grad_();
    k = randn(Shape{c.B, c.T, c.H, c.D}, gen, fo).requires_grad_();
    v = randn(Shape{c.B, c.T, c.H, c.D}, gen, fo).requires_grad_();
  }

  Tensor mask;
  std::vector<std::vector<bool>> row_dead(size_t(c.B), std::vector<bool>(size_t(c.T), false));
  std::vector<std::vector<bool>> col_dead(size_t(c.B), std::vector<bool>(size_t(c.T), false));
  if (c.mask_kind != MaskKind::None) {
    const int64_t mb = c.mask_kind == MaskKind::PerBatch ? c.B : 1;
    mask = testing::random_mask(c.mask_kind == MaskKind::PerBatch ? Shape{c.B, c.T, c.T} : Shape{c.T, c.T},
                                c.seed + 1000, c.p_allow);
    uint8_t* m = mask.data<uint8_t>();
    std::mt19937_64 rng(c.seed);
    for (int64_t b = 0; b < mb; ++b) {
      for (int r = 0; r < c.dead_rows; ++r) {
        const int64_t i = int64_t(rng() % uint64_t(c.T));
        for (int64_t j = 0; j < c.T; ++j) m[(b * c.T + i) * c.T + j] = 0;
      }
      for (int r = 0; r < c.dead_cols; ++r) {
        const int64_t j = int64_t(rng() % uint64_t(c.T));
        for (int64_t i = 0; i < c.T; ++i) m[(b * c.T + i) * c.T + j] = 0;
      }
    }
    // Which rows/columns ended up dead (the random mask may add some).
    for (int64_t b = 0; b < c.B; ++b) {
      const int64_t mbi = c.mask_kind == MaskKind::PerBatch ? b : 0;
      for (int64_t i = 0; i < c.T; ++i) {
        bool any_row = false, any_col = false;
        for (int64_t j = 0; j < c.T; ++j) {
          any_row = any_row || m[(mbi * c.T + i) * c.T + j];
          any_col = any_col || m[(mbi * c.T + j) * c.T + i];
        }
        row_dead[size_t(b)][size_t(i)] = !any_row;
        col_dead[size_t(b)][size_t(i)] = !any_col;
      }
    }
  }

  const double scale = c.scale > 0 ? c.scale : 1.0 / std::sqrt(double(c.D));
  Tensor fused = attention(q, k, v, mask, c.scale);
  Tensor ref = unfused_attention(q, k, v, mask, scale);
  ASSERT_EQ(fused.shape(), (Shape{c.B, c.T, c.H, c.D}));
  ASSERT_TRUE(fused.is_contiguous());
  ASSERT_TRUE(all_finite(fused));
  ASSERT_TRUE(all_finite(ref));

  const bool f32 = c.dtype == DType::F32;
  const double atol = f32 ? 1e-5 : 1e-10, rtol = f32 ? 1e-5 : 1e-10;
  EXPECT_TRUE(testing::all_close(fused, ref, atol, rtol)) << "forward";

  Tensor up = randn(fused.shape(), gen, fo);
  // retain_graph: with packed q, k, v both graphs share the select/reshape nodes below them.
  std::vector<Tensor> gf = grad({fused}, {q, k, v}, {up}, /*retain_graph=*/true);
  std::vector<Tensor> gr = grad({ref}, {q, k, v}, {up});
  const char* names[] = {"dq", "dk", "dv"};
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(gf[size_t(i)].defined()) << names[i];
    ASSERT_TRUE(gr[size_t(i)].defined()) << names[i];
    EXPECT_EQ(gf[size_t(i)].shape(), q.shape());
    EXPECT_TRUE(all_finite(gf[size_t(i)])) << names[i];
    EXPECT_TRUE(testing::all_close(gf[size_t(i)], gr[size_t(i)], atol, rtol)) << names[i];
  }

  // The exact-zero contract.
  auto out_v = fused.to_vector<double>();
  auto dq_v = gf[0].to_vector<double>(), dk_v = gf[1].to_vector<double>(), dv_v = gf[2].to_vector<double>();
  const std::vector<double> zero(size_t(c.H * c.D), 0.0);
  for (int64_t b = 0; b < c.B; ++b)
    for (int64_t i = 0; i < c.T; ++i) {
      if (row_dead[size_t(b)][size_t(i)]) {
        EXPECT_EQ(token_slice(out_v, c, b, i), zero) << "out of dead row b=" << b << " i=" << i;
        EXPECT_EQ(token_slice(dq_v, c, b, i), zero) << "dq of dead row b=" << b << " i=" << i;
      }
      if (col_dead[size_t(b)][size_t(i)]) {
        EXPECT_EQ(token_slice(dk_v, c, b, i), zero) << "dk of unattended key b=" << b << " j=" << i;
        EXPECT_EQ(token_slice(dv_v, c, b, i), zero) << "dv of unattended key b=" << b << " j=" << i;
      }
    }
}

std::vector<Case> random_cases(DType dtype, int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto pick = [&](std::vector<int64_t> xs) { return xs[size_t(rng() % xs.size())]; };
  std::vector<Case> out;
  for (int i = 0; i < n; ++i) {
    Case c{};
    c.dtype = dtype;
    c.B = pick({1, 2, 3});
    c.T = pick({1, 2, 5, 8, 15, 16, 17, 31, 40});
    c.H = pick({1, 2, 3});
    c.D = pick({1, 3, 8, 10, 16, 17, 32});
    c.mask_kind = MaskKind(i % 3);
    c.p_allow = std::vector<double>{0.2, 0.5, 0.9}[size_t(rng() % 3)];
    c.dead_rows = int(rng() % 3);
    c.dead_cols = int(rng() % 3);
    c.packed = (rng() % 2) == 0;
    c.scale = (rng() % 4) == 0 ? 0.37 : 0.0;
    c.seed = seed * 1000 + uint64_t(i);
    out.push_back(c);
  }
  return out;
}

TEST(AttentionNumerics, RandomFloat64) {
  for (const Case& c : random_cases(DType::F64, 30, 7)) run_case(c);
}

TEST(AttentionNumerics, RandomFloat32) {
  for (const Case& c : random_cases(DType::F32, 30, 8)) run_case(c);
}

TEST(AttentionNumerics, LargeParallelShapes) {
  // B·H·T²·D far above the kernel's single-thread threshold, and the specialised head dims.
  for (DType dt : {DType::F64, DType::F32}) {
    run_case({dt, 2, 48, 2, 10, MaskKind::PerBatch, 0.5, 2, 2, true, 0.0, 101});
    run_case({dt, 3, 37, 2, 16, MaskKind::Shared, 0.3, 1, 1, false, 0.0, 102});
    run_case({dt, 1, 64, 4, 32, MaskKind::None, 0.0, 0, 0, true, 0.0, 103});
  }
}

TEST(AttentionNumerics, FullyMaskedEverything) {
  for (DType dt : {DType::F64, DType::F32}) {
    run_case({dt, 2, 7, 2, 5, MaskKind::PerBatch, 0.0, 0, 0, false, 0.0, 201});
    run_case({dt, 2, 7, 2, 5, MaskKind::Shared, 0.0, 0, 0, true, 0.0, 202});
    // Only the diagonal (each query attends itself): out = v exactly up to rounding.
    Generator gen(203);
    Tensor q = randn(Shape{1, 6, 2, 4}, gen, {.dtype = dt}), k = randn(Shape{1, 6, 2, 4}, gen, {.dtype = dt}),
           v = randn(Shape{1, 6, 2, 4}, gen, {.dtype = dt});
    std::vector<bool> diag(36, false);
    for (int i = 0; i < 6; ++i) diag[size_t(i * 7)] = true;
    Tensor out = attention(q, k, v, from_vector<bool>(diag, Shape{6, 6}));
    EXPECT_TRUE(testing::all_close(out, v, 0, dt == DType::F32 ? 1e-6 : 1e-15));
  }
  // A single fully masked row among live ones, checked explicitly in float64.
  Generator gen(204);
  Tensor q = randn(Shape{1, 3, 1, 2}, gen, {.dtype = DType::F64, .requires_grad = true});
  Tensor k = randn(Shape{1, 3, 1, 2}, gen, {.dtype = DType::F64, .requires_grad = true});
  Tensor v = randn(Shape{1, 3, 1, 2}, gen, {.dtype = DType::F64, .requires_grad = true});
  Tensor mask = from_vector<bool>({true, true, false, false, false, false, true, false, true}, Shape{3, 3});
  Tensor out = attention(q, k, v, mask);
  auto o = out.to_vector<double>();
  EXPECT_EQ(o[2], 0.0);
  EXPECT_EQ(o[3], 0.0);
  (out * randn(out.shape(), gen, {.dtype = DType::F64})).sum().backward();
  auto dq = q.grad().to_vector<double>();
  EXPECT_EQ(dq[2], 0.0);
  EXPECT_EQ(dq[3], 0.0);
  for (const Tensor& t : {q, k, v}) EXPECT_TRUE(all_finite(t.grad()));
}

TEST(AttentionNumerics, GradcheckFloat64) {
  // The fused op's backward against finite differences directly (the comparison above uses the
  // engine's gradients of the composition as the reference).
  Tensor q = testing::randn_f64({2, 4, 2, 3}, 301), k = testing::randn_f64({2, 4, 2, 3}, 302),
         v = testing::randn_f64({2, 4, 2, 3}, 303);
  Tensor mask = testing::random_mask({2, 4, 4}, 304, 0.5);
  for (int j = 0; j < 4; ++j) mask.data<uint8_t>()[16 + 2 * 4 + j] = 0;
  EXPECT_TRUE(testing::gradcheck(
      [&](const std::vector<Tensor>& in) { return attention(in[0], in[1], in[2], mask); }, {q, k, v}));
  EXPECT_TRUE(testing::gradcheck([&](const std::vector<Tensor>& in) { return attention(in[0], in[1], in[2]); },
                                 {q, k, v}));
}

}  // namespace
}  // namespace amor
