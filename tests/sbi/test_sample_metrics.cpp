// MMD² (sbibm's tp_sutherland estimator) and the posterior moment metrics.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/ops.h"
#include "core/random.h"
#include "sbi/diagnostics/mmd.h"
#include "sbi/diagnostics/posterior_moments.h"

namespace amor::sbi {
namespace {

const Tensor kX = from_vector(std::vector<double>{0, 0, 1, 0, 0, 2, 1.5, 1}, Shape{4, 2});
const Tensor kY = from_vector(std::vector<double>{0.5, 0.5, 2, 1, -1, 0.5}, Shape{3, 2});

TEST(Mmd, KnownValues) {
  // sbibm.metrics.mmd(X, Y) (torch float64): σ = torch.median(torch.pdist(X)); the six
  // distances are 1, 2, 1.803, 2.236, 1.118, 1.803 and torch's lower median is 1.803.
  EXPECT_DOUBLE_EQ(median_pairwise_distance(kX), 1.8027756377319946);
  EXPECT_NEAR(mmd2_unbiased(kX, kY), -0.19064096281131526, 1e-14);
  EXPECT_NEAR(mmd2_unbiased(kX, kY, {.bandwidth = MmdBandwidth::XY}), -0.2152474110490339, 1e-14);
  // A given bandwidth replaces the median heuristic.
  EXPECT_NEAR(mmd2_unbiased(kX, kY, {.sigma = 1.8027756377319946}), -0.19064096281131526, 1e-14);
}

TEST(Mmd, MedianMatchesSortingAllPairs) {
  // 301 points: 45 150 distances, an even count; the histogram + selection must return the
  // lower middle element of the fully sorted list, for any thread count.
  Generator gen(5);
  const Tensor z = randn(Shape{301, 3}, gen, {.dtype = DType::F64});
  const std::vector<double> v = z.to_vector<double>();
  std::vector<double> all;
  for (int i = 0; i < 301; ++i)
    for (int j = i + 1; j < 301; ++j) {
      double s = 0;
      for (int k = 0; k < 3; ++k) s += std::pow(v[size_t(3 * i + k)] - v[size_t(3 * j + k)], 2);
      all.push_back(std::sqrt(s));
    }
  std::sort(all.begin(), all.end());
  EXPECT_EQ(median_pairwise_distance(z), all[(all.size() - 1) / 2]);
  // Ties: four copies of one point and one other -> distances 0 (×6) and d (×4): median 0.
  const Tensor ties = from_vector(std::vector<double>{1, 1, 1, 1, 1, 1, 1, 1, 4, 5}, Shape{5, 2});
  EXPECT_EQ(median_pairwise_distance(ties), 0.0);
}

TEST(Mmd, SameVersusShiftedAndThreadIndependence) {
  Generator gen(7);
  const TensorOptions f64{.dtype = DType::F64};
  const Tensor a = randn(Shape{400, 2}, gen, f64), b = randn(Shape{400, 2}, gen, f64);
  const Tensor c = randn(Shape{400, 2}, gen, f64) + 1.0;
  // Unbiased: the same distribution gives ~0 (its sd is ~1e-3 at n = 400); a unit shift of
  // both coordinates is far outside that.
  EXPECT_LT(std::fabs(mmd2_unbiased(a, b)), 0.01);
  EXPECT_GT(mmd2_unbiased(a, c), 0.1);
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const double one = mmd2_unbiased(a, c);
  omp_set_num_threads(2);
  const double two = mmd2_unbiased(a, c);
  omp_set_num_threads(saved);
  EXPECT_EQ(one, two);
  // z-scoring with X's statistics makes the value invariant to a common affine map.
  const Tensor scale = from_vector(std::vector<double>{100.0, 0.01}, Shape{1, 2});
  EXPECT_NEAR(mmd2_unbiased(a, c, {.z_score = true}),
              mmd2_unbiased(a * scale + 3.0, c * scale + 3.0, {.z_score = true}), 1e-12);
}

TEST(Mmd, RejectsBadInput) {
  Tensor bad = kX.clone();
  bad.data<double>()[2] = std::nan("");
  EXPECT_THROW(mmd2_unbiased(bad, kY), ValueError);  // sbibm would return NaN
  EXPECT_THROW(mmd2_unbiased(kX, kY.narrow(1, 0, 1)), ShapeError);
  EXPECT_THROW(mmd2_unbiased(kX.narrow(0, 0, 1), kY), ValueError);
  EXPECT_THROW(mmd2_unbiased(zeros(Shape{3, 2}, {.dtype = DType::F64}), kY), ValueError);  // σ = 0
}

TEST(PosteriorMoments, MeanErrorAndVarianceRatio) {
  // reference columns: (1, 2, 3) mean 2, var 1; (0, 0, 6) mean 2, var 12.
  const Tensor ref = from_vector(std::vector<double>{1, 0, 2, 0, 3, 6}, Shape{3, 2});
  // samples columns: (2, 4) mean 3, var 2; (2, 2) mean 2, var 0.
  const Tensor s = from_vector(std::vector<double>{2, 2, 4, 2}, Shape{2, 2});
  const std::vector<double> err = posterior_mean_error_per_dim(s, ref);
  EXPECT_DOUBLE_EQ(err[0], 1.0);
  EXPECT_DOUBLE_EQ(err[1], 0.0);
  EXPECT_DOUBLE_EQ(posterior_mean_error(s, ref), 0.5);
  // Signed, as sbibm: samples shifted down give a negative error.
  EXPECT_DOUBLE_EQ(posterior_mean_error(s - 2.0, ref), (-1.0 + -2.0 / std::sqrt(12.0)) / 2.0);
  EXPECT_DOUBLE_EQ(posterior_variance_ratio(s, ref), (2.0 / 1.0 + 0.0 / 12.0) / 2.0);
  EXPECT_THROW(posterior_variance_ratio(s, ref.narrow(1, 0, 1)), ShapeError);
  EXPECT_THROW(posterior_mean_error(s, from_vector(std::vector<double>{1, 1, 1, 1}, Shape{2, 2})),
               ValueError);  // constant reference column
}

}  // namespace
}  // namespace amor::sbi
