// Simulator: per-row Rng streams, thread-count independence, cancellation, error propagation,
// invalid-row dropping and counting.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "core/tensor.h"
#include "sbi/simulator.h"

namespace amor::sbi {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// x = (θ0 + N(0, 1), Binomial(20, sigmoid(θ1)), Gamma(1 + θ0²)): several draws of varying word
// counts, so a shared or misindexed Rng shows up as a difference.
SimulatorPtr noisy_sim() {
  return make_simulator(2, 3, [](const double* t, double* x, Rng& rng) {
    x[0] = t[0] + rng.normal();
    x[1] = double(rng.binomial(20, 1.0 / (1.0 + std::exp(-t[1]))));
    x[2] = rng.gamma(1.0 + t[0] * t[0]);
  });
}

TEST(Simulator, RowUsesItsOwnRngStream) {
  const auto sim = noisy_sim();
  const Tensor theta = from_vector<double>({0.1, 0.2, -1.0, 2.0, 3.0, -0.5}, {3, 2});
  SimulateOptions o;
  o.first_index = 40;
  const auto x = simulate(*sim, theta, 7, o).to_vector<double>();
  const auto t = theta.to_vector<double>();
  for (int64_t i = 0; i < 3; ++i) {
    Rng rng(7, kSimulatorStream, 40 + uint64_t(i));
    double want[3];
    sim->simulate_one(t.data() + 2 * i, want, rng);
    for (int j = 0; j < 3; ++j) EXPECT_EQ(x[size_t(3 * i + j)], want[j]) << i << "," << j;
  }
}

TEST(Simulator, OneAndTwoThreadsBitIdentical) {
  const auto sim = noisy_sim();
  const Tensor theta = box_uniform({-2.0, -2.0}, {2.0, 2.0})->sample(5000, 1);
  SimulateOptions one, two;
  one.num_threads = 1;
  two.num_threads = 2;
  EXPECT_EQ(simulate(*sim, theta, 3, one).to_vector<double>(), simulate(*sim, theta, 3, two).to_vector<double>());
  const auto prior = box_uniform({-2.0, -2.0}, {2.0, 2.0});
  const Dataset a = simulate_dataset(*prior, *sim, 3000, 9, one);
  const Dataset b = simulate_dataset(*prior, *sim, 3000, 9, two);
  EXPECT_EQ(a.theta.to_vector<double>(), b.theta.to_vector<double>());
  EXPECT_EQ(a.x.to_vector<double>(), b.x.to_vector<double>());
}

TEST(Simulator, ChecksThetaShapeAndAcceptsFloat32) {
  const auto sim = noisy_sim();
  EXPECT_THROW(simulate(*sim, zeros({4, 3}, {.dtype = DType::F64}), 0), ShapeError);
  EXPECT_THROW(simulate(*sim, zeros({4}, {.dtype = DType::F64}), 0), ShapeError);
  EXPECT_THROW(simulate(*sim, zeros({4, 2}, {.dtype = DType::I64}), 0), DTypeError);
  const Tensor t32 = from_vector<float>({0.5f, 0.25f}, {1, 2});
  const Tensor t64 = from_vector<double>({0.5, 0.25}, {1, 2});
  EXPECT_EQ(simulate(*sim, t32, 4).to_vector<double>(), simulate(*sim, t64, 4).to_vector<double>());
  EXPECT_THROW(make_simulator(0, 1, [](const double*, double*, Rng&) {}), ValueError);
  EXPECT_THROW(make_simulator(1, 0, [](const double*, double*, Rng&) {}), ValueError);
  EXPECT_THROW(make_simulator(1, 1, nullptr), ValueError);
}

TEST(Simulator, CancelStopsRemainingRows) {
  std::atomic<bool> cancel{false};
  const auto sim = make_simulator(1, 1, [&cancel](const double* t, double* x, Rng&) {
    x[0] = t[0];
    if (t[0] >= 9.0) cancel.store(true);
  });
  std::vector<double> th(100);
  for (size_t i = 0; i < th.size(); ++i) th[i] = double(i);
  SimulateOptions o;
  o.num_threads = 1;
  o.cancel = &cancel;
  const auto x = simulate(*sim, from_vector<double>(th, {100, 1}), 0, o).to_vector<double>();
  for (int i = 0; i < 10; ++i) EXPECT_EQ(x[size_t(i)], double(i));
  for (size_t i = 10; i < x.size(); ++i) EXPECT_TRUE(std::isnan(x[i])) << i;
  // Cancelled before the start: nothing runs; the dataset is empty and nothing counts as invalid.
  const Dataset ds = simulate_dataset(*box_uniform({0.0}, {1.0}), *sim, 50, 0, o);
  EXPECT_EQ(ds.num_simulated, 0);
  EXPECT_EQ(ds.num_invalid, 0);
  EXPECT_EQ(ds.theta.size(0), 0);
}

TEST(Simulator, ExceptionsPropagateFromWorkers) {
  const auto sim = make_simulator(1, 1, [](const double* t, double* x, Rng&) {
    if (t[0] > 0.5) throw ValueError("bad theta");
    x[0] = 0.0;
  });
  const Tensor theta = box_uniform({0.0}, {1.0})->sample(1000, 2);
  SimulateOptions o;
  o.num_threads = 2;
  EXPECT_THROW(simulate(*sim, theta, 0, o), ValueError);
}

TEST(Simulator, DatasetDropsAndCountsInvalidRows) {
  // x is NaN when θ0 > 0.7 and +inf when θ1 < 0.1: the expected count comes from the prior draws
  // themselves, which simulate_dataset must reproduce (same seed, stream kPriorStream).
  const auto prior = box_uniform({0.0, 0.0}, {1.0, 1.0});
  const auto sim = make_simulator(2, 2, [](const double* t, double* x, Rng& rng) {
    x[0] = t[0] > 0.7 ? kNaN : t[0] + 0.01 * rng.normal();
    x[1] = t[1] < 0.1 ? std::numeric_limits<double>::infinity() : t[1];
  });
  const int64_t n = 4000;
  const auto theta = prior->sample(n, 5).to_vector<double>();
  int64_t bad = 0;
  std::vector<double> good_theta;
  for (int64_t i = 0; i < n; ++i) {
    const double a = theta[size_t(2 * i)], b = theta[size_t(2 * i + 1)];
    if (a > 0.7 || b < 0.1) {
      ++bad;
    } else {
      good_theta.push_back(a);
      good_theta.push_back(b);
    }
  }
  const Dataset ds = simulate_dataset(*prior, *sim, n, 5);
  EXPECT_EQ(ds.num_simulated, n);
  EXPECT_EQ(ds.num_invalid, bad);
  EXPECT_GT(bad, 1000);  // ~37% of rows: the test exercises dropping
  EXPECT_EQ(ds.theta.shape(), Shape({n - bad, 2}));
  EXPECT_EQ(ds.x.shape(), Shape({n - bad, 2}));
  EXPECT_EQ(ds.theta.to_vector<double>(), good_theta);
  const auto fr = finite_rows(ds.x).to_vector<uint8_t>();
  for (uint8_t f : fr) ASSERT_EQ(f, 1);
  // Chunks: two halves with first_index 0 and n/2 give the same rows as one call.
  SimulateOptions second;
  second.first_index = uint64_t(n / 2);
  const Dataset h1 = simulate_dataset(*prior, *sim, n / 2, 5);
  const Dataset h2 = simulate_dataset(*prior, *sim, n / 2, 5, second);
  EXPECT_EQ(h1.num_invalid + h2.num_invalid, bad);
  auto joined = h1.x.to_vector<double>();
  const auto tail = h2.x.to_vector<double>();
  joined.insert(joined.end(), tail.begin(), tail.end());
  EXPECT_EQ(joined, ds.x.to_vector<double>());
  EXPECT_THROW(simulate_dataset(*box_uniform({0.0}, {1.0}), *sim, 10, 0), ShapeError);
  EXPECT_THROW(simulate_dataset(*prior, *sim, -1, 0), ValueError);
}

TEST(Simulator, FiniteRowsMask) {
  const Tensor x = from_vector<float>({1.f, 2.f, NAN, 0.f, INFINITY, 1.f, 0.f, -0.f}, {4, 2});
  EXPECT_EQ(finite_rows(x).to_vector<uint8_t>(), (std::vector<uint8_t>{1, 0, 0, 1}));
  EXPECT_THROW(finite_rows(zeros({3})), ShapeError);
}

}  // namespace
}  // namespace amor::sbi
