// Gradient checks of matmul (every rank combination, broadcast batch axes, transposed and
// non-contiguous operands) and linear (with and without bias, 1-D to 4-D inputs) from
// core/ops/matmul.cpp, plus their values against a naive triple loop.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "core/ops.h"
#include "tests/support/gradcheck.h"

namespace amor {
namespace {

using testing::gradcheck;
using testing::make_noncontiguous;

Tensor mm(const std::vector<Tensor>& v) { return matmul(v[0], v[1]); }

// Naive reference for 2-D·2-D.
Tensor naive_matmul(const Tensor& a, const Tensor& b) {
  const int64_t M = a.size(0), K = a.size(1), N = b.size(1);
  std::vector<double> A = a.to_vector<double>(), B = b.to_vector<double>(), C(size_t(M * N), 0.0);
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j)
      for (int64_t k = 0; k < K; ++k) C[size_t(i * N + j)] += A[size_t(i * K + k)] * B[size_t(k * N + j)];
  return from_vector(C, Shape{M, N});
}

struct MatmulCase {
  Shape a, b, out;
};

class GradcheckMatmul : public ::testing::TestWithParam<MatmulCase> {};

TEST_P(GradcheckMatmul, Contiguous) {
  const MatmulCase& c = GetParam();
  Tensor a = testing::randn_f64(c.a, 1), b = testing::randn_f64(c.b, 2);
  EXPECT_EQ(matmul(a, b).shape(), c.out);
  EXPECT_TRUE(gradcheck(mm, {a, b}));
}

TEST_P(GradcheckMatmul, NonContiguous) {
  const MatmulCase& c = GetParam();
  Tensor a = testing::randn_f64(c.a, 3), b = testing::randn_f64(c.b, 4);
  EXPECT_TRUE(gradcheck(mm, {make_noncontiguous(a), make_noncontiguous(b)}));
  EXPECT_TRUE(gradcheck(mm, {make_noncontiguous(a), b}));
}

TEST_P(GradcheckMatmul, TransposedViews) {
  // Operands stored transposed (the last two axes swapped): passed to BLAS with trans flags.
  const MatmulCase& c = GetParam();
  auto transposed_storage = [](const Shape& s, uint64_t seed) {
    if (s.size() < 2) return testing::randn_f64(s, seed);
    Shape st = s;
    std::swap(st[st.size() - 1], st[st.size() - 2]);
    return testing::randn_f64(st, seed).transpose(-1, -2);
  };
  Tensor a = transposed_storage(c.a, 5), b = transposed_storage(c.b, 6);
  EXPECT_EQ(a.shape(), c.a);
  EXPECT_TRUE(gradcheck(mm, {a, b}));
  EXPECT_TRUE(gradcheck(mm, {a, testing::randn_f64(c.b, 7)}));
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, GradcheckMatmul,
    ::testing::Values(MatmulCase{{5}, {5}, {}},                      // dot
                      MatmulCase{{3, 4}, {4, 5}, {3, 5}},            // 2-D
                      MatmulCase{{4}, {4, 3}, {3}},                  // vector · matrix
                      MatmulCase{{3, 4}, {4}, {3}},                  // matrix · vector
                      MatmulCase{{2, 3, 4}, {2, 4, 5}, {2, 3, 5}},   // batched
                      MatmulCase{{2, 3, 4}, {4, 5}, {2, 3, 5}},      // batch · matrix
                      MatmulCase{{3, 4}, {2, 4, 5}, {2, 3, 5}},      // matrix · batch
                      MatmulCase{{3, 1, 2, 4}, {2, 4, 3}, {3, 2, 2, 3}},  // broadcast batch axes
                      MatmulCase{{2, 1, 3, 4}, {1, 3, 4, 2}, {2, 3, 3, 2}},
                      MatmulCase{{4}, {2, 4, 3}, {2, 3}},            // vector · batch
                      MatmulCase{{2, 3, 4}, {4}, {2, 3}},            // batch · vector
                      MatmulCase{{1, 1}, {1, 1}, {1, 1}},
                      MatmulCase{{3, 1}, {1, 4}, {3, 4}}));          // outer product

TEST(GradcheckMatmulValues, AgainstNaive) {
  Tensor a = testing::randn_f64(Shape{7, 5}, 10), b = testing::randn_f64(Shape{5, 3}, 11);
  testing::expect_close(matmul(a, b), naive_matmul(a, b), 1e-12, 1e-12);
  testing::expect_close(matmul(make_noncontiguous(a), make_noncontiguous(b)), naive_matmul(a, b), 1e-12, 1e-12);
  Tensor at = testing::randn_f64(Shape{5, 7}, 12);
  testing::expect_close(matmul(at.t(), b), naive_matmul(at.t().contiguous(), b), 1e-12, 1e-12);
  // Batched with a broadcast batch axis, checked slice by slice.
  Tensor ba = testing::randn_f64(Shape{3, 1, 4, 5}, 13), bb = testing::randn_f64(Shape{2, 5, 2}, 14);
  Tensor c = matmul(ba, bb);
  ASSERT_EQ(c.shape(), (Shape{3, 2, 4, 2}));
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 2; ++j)
      testing::expect_close(c.select(0, i).select(0, j),
                            naive_matmul(ba.select(0, i).select(0, 0), bb.select(0, j)), 1e-12, 1e-12);
  // Dot product.
  Tensor u = from_vector<double>({1, 2, 3}), w = from_vector<double>({4, -5, 6});
  testing::expect_close(matmul(u, w), scalar(12.0, DType::F64));
}

TEST(GradcheckMatmulChain, SharedOperand) {
  // x·W used twice (fan-out through matmul) and a product of three matrices.
  Tensor x = testing::randn_f64(Shape{3, 4}, 20), w = testing::randn_f64(Shape{4, 4}, 21);
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return matmul(matmul(v[0], v[1]), v[1]); }, {x, w}));
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return matmul(v[0], v[0].t()); }, {x}));
}

// ---- linear ---------------------------------------------------------------------------------

struct LinearCase {
  Shape x;
  int64_t out;
};

class GradcheckLinear : public ::testing::TestWithParam<LinearCase> {};

TEST_P(GradcheckLinear, WithAndWithoutBias) {
  const LinearCase& c = GetParam();
  const int64_t in = c.x.back();
  Tensor x = testing::randn_f64(c.x, 30), w = testing::randn_f64(Shape{c.out, in}, 31);
  Tensor b = testing::randn_f64(Shape{c.out}, 32);
  auto with_bias = [](const std::vector<Tensor>& v) { return linear(v[0], v[1], v[2]); };
  auto no_bias = [](const std::vector<Tensor>& v) { return linear(v[0], v[1]); };
  EXPECT_TRUE(gradcheck(with_bias, {x, w, b}));
  EXPECT_TRUE(gradcheck(no_bias, {x, w}));
  EXPECT_TRUE(gradcheck(with_bias, {make_noncontiguous(x), make_noncontiguous(w), make_noncontiguous(b)}));
  EXPECT_TRUE(gradcheck(no_bias, {make_noncontiguous(x), testing::randn_f64(Shape{in, c.out}, 33).t()}));
  // Only some inputs differentiated.
  EXPECT_TRUE(gradcheck(with_bias, {x, w, b}, {.wrt = {false, true, false}}));
  EXPECT_TRUE(gradcheck(with_bias, {x, w, b}, {.wrt = {true, false, true}}));
  // Values: linear(x, W, b) == matmul(x, Wᵀ) + b.
  testing::expect_close(linear(x, w, b), matmul(x, w.t()) + b, 1e-12, 1e-12);
  testing::expect_close(linear(x, w), matmul(x, w.t()), 1e-12, 1e-12);
}

INSTANTIATE_TEST_SUITE_P(Shapes, GradcheckLinear,
                         ::testing::Values(LinearCase{{4, 3}, 5}, LinearCase{{2, 3, 4}, 2},
                                           LinearCase{{5}, 3}, LinearCase{{2, 2, 2, 3}, 4},
                                           LinearCase{{1, 1}, 1}));

}  // namespace
}  // namespace amor
