// conv1d (core/ops/conv.cpp): values against a naive four-loop twin for strides, paddings and
// dilations; float64 gradient checks (contiguous, non-contiguous input, no bias, stride 2 with
// dilation 2); typed errors for bad shapes and arguments.
#include <gtest/gtest.h>

#include <vector>

#include "core/ops.h"
#include "tests/support/gradcheck.h"

namespace amor {
namespace {

using testing::gradcheck;

// out[b, t, o] = bias[o] + Σ_{c,k} w[o, c, k] · x[b, t·s + k·d - pl, c] (0 outside [0, L)).
Tensor naive_conv1d(const Tensor& x, const Tensor& w, const Tensor& bias, int64_t s, int64_t pl, int64_t pr,
                    int64_t d) {
  const int64_t B = x.size(0), L = x.size(1), C = x.size(2), O = w.size(0), K = w.size(2);
  const int64_t L_out = (L + pl + pr - d * (K - 1) - 1) / s + 1;
  const std::vector<double> X = x.to_vector<double>(), W = w.to_vector<double>();
  const std::vector<double> Bv = bias.defined() ? bias.to_vector<double>() : std::vector<double>(size_t(O), 0.0);
  std::vector<double> out(size_t(B * L_out * O));
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < L_out; ++t)
      for (int64_t o = 0; o < O; ++o) {
        double acc = Bv[size_t(o)];
        for (int64_t c = 0; c < C; ++c)
          for (int64_t k = 0; k < K; ++k) {
            const int64_t pos = t * s + k * d - pl;
            if (pos >= 0 && pos < L) acc += W[size_t((o * C + c) * K + k)] * X[size_t((b * L + pos) * C + c)];
          }
        out[size_t((b * L_out + t) * O + o)] = acc;
      }
  return from_vector(out, Shape{B, L_out, O});
}

struct ConvCase {
  int64_t B, L, C, O, K, stride, pl, pr, dilation;
};

class Conv1dCases : public ::testing::TestWithParam<ConvCase> {};

TEST_P(Conv1dCases, MatchesNaiveTwin) {
  const ConvCase c = GetParam();
  const Tensor x = testing::randn_f64({c.B, c.L, c.C}, 1), w = testing::randn_f64({c.O, c.C, c.K}, 2),
               b = testing::randn_f64({c.O}, 3);
  const Tensor ref = naive_conv1d(x, w, b, c.stride, c.pl, c.pr, c.dilation);
  EXPECT_TRUE(testing::all_close(conv1d(x, w, b, c.stride, c.pl, c.pr, c.dilation), ref, 1e-12, 1e-12));
  EXPECT_TRUE(testing::all_close(conv1d(x, w, Tensor(), c.stride, c.pl, c.pr, c.dilation),
                                 naive_conv1d(x, w, Tensor(), c.stride, c.pl, c.pr, c.dilation), 1e-12, 1e-12));
  // float32 agrees with the float64 twin to float32 precision.
  const Tensor y32 = conv1d(x.to(DType::F32), w.to(DType::F32), b.to(DType::F32), c.stride, c.pl, c.pr, c.dilation);
  EXPECT_EQ(y32.dtype(), DType::F32);
  EXPECT_TRUE(testing::all_close(y32, ref, 1e-4, 1e-4));
}

TEST_P(Conv1dCases, GradcheckFloat64) {
  const ConvCase c = GetParam();
  const Tensor x = testing::randn_f64({c.B, c.L, c.C}, 4), w = testing::randn_f64({c.O, c.C, c.K}, 5),
               b = testing::randn_f64({c.O}, 6);
  auto fn = [&](const std::vector<Tensor>& v) { return conv1d(v[0], v[1], v[2], c.stride, c.pl, c.pr, c.dilation); };
  EXPECT_TRUE(gradcheck(fn, {x, w, b}));
  EXPECT_TRUE(gradcheck(fn, {testing::make_noncontiguous(x), testing::make_noncontiguous(w), b}));
}

INSTANTIATE_TEST_SUITE_P(Conv1d, Conv1dCases,
                         ::testing::Values(ConvCase{2, 7, 3, 4, 3, 1, 1, 1, 1},   // "same"
                                           ConvCase{1, 6, 2, 3, 3, 1, 0, 0, 1},   // "valid"
                                           ConvCase{2, 9, 2, 2, 2, 2, 1, 0, 1},   // stride 2, asymmetric pad
                                           ConvCase{2, 10, 3, 2, 3, 2, 2, 2, 2},  // stride and dilation
                                           ConvCase{3, 5, 1, 1, 1, 1, 0, 0, 1},   // 1x1
                                           ConvCase{1, 4, 2, 3, 5, 1, 2, 2, 1})); // kernel wider than L

TEST(Conv1d, GradcheckWithoutBias) {
  const Tensor x = testing::randn_f64({2, 6, 3}, 7), w = testing::randn_f64({2, 3, 3}, 8);
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return conv1d(v[0], v[1], Tensor(), 1, 1, 1); }, {x, w}));
}

TEST(Conv1d, Errors) {
  const Tensor x = zeros({2, 5, 3}), w = zeros({4, 3, 3}), b = zeros({4});
  EXPECT_THROW(conv1d(zeros({5, 3}), w, b), ShapeError);                 // x not 3-D
  EXPECT_THROW(conv1d(x, zeros({4, 2, 3}), b), ShapeError);              // channel mismatch
  EXPECT_THROW(conv1d(x, zeros({4, 3}), b), ShapeError);                 // weight not 3-D
  EXPECT_THROW(conv1d(x, w, zeros({3})), ShapeError);                    // bias size
  EXPECT_THROW(conv1d(x, w, b, 0), ValueError);                          // stride
  EXPECT_THROW(conv1d(x, w, b, 1, -1, 0), ValueError);                   // padding
  EXPECT_THROW(conv1d(x, w, b, 1, 0, 0, 0), ValueError);                 // dilation
  EXPECT_THROW(conv1d(zeros({2, 2, 3}), w, b), ShapeError);              // shorter than the kernel
  EXPECT_THROW(conv1d(x, w.to(DType::F64), b), DTypeError);              // dtype mismatch
  EXPECT_THROW(conv1d(zeros({2, 5, 3}, {.dtype = DType::I64}), w, b), DTypeError);
}

}  // namespace
}  // namespace amor
