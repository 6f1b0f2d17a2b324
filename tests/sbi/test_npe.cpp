// NPE against an analytic posterior. gaussian_linear: prior N(0, 0.1·I), x ~ N(θ, 0.1·I), so
// θ | x_o ~ N(x_o / 2, 0.05·I). A trained NPE must recover that mean and variance; a method that
// ignores x (posterior = prior: mean 0, variance 0.1) or collapses fails these bounds.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/ops.h"
#include "sbi/method.h"
#include "sbi/npe/npe.h"
#include "sbi/simulator.h"
#include "sbi/task.h"

namespace amor::sbi {
namespace {

struct Moments {
  std::vector<double> mean, var;
};

Moments moments(const Tensor& s) {
  const int64_t n = s.size(0), d = s.size(1);
  Moments m{std::vector<double>(size_t(d), 0.0), std::vector<double>(size_t(d), 0.0)};
  const double* p = s.data<double>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) m.mean[size_t(j)] += p[i * d + j] / double(n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) m.var[size_t(j)] += std::pow(p[i * d + j] - m.mean[size_t(j)], 2) / double(n - 1);
  return m;
}

TEST(Npe, MafRecoversTheGaussianLinearPosterior) {
  const TaskPtr task = make_task("gaussian_linear");
  const Dataset data = simulate_dataset(*task->prior(), *task->simulator(), 3000, /*seed=*/4);
  TrainOptions options;
  options.seed = 5;
  options.config = {{"estimator", "maf"}, {"training", {{"batch_size", 100}}}};
  TrainReport report;
  PosteriorPtr posterior = find_method("npe").train(*task, data, options, &report);
  EXPECT_GT(report.epochs, 20);

  // Three fresh observations from the prior predictive.
  const Dataset obs = simulate_dataset(*task->prior(), *task->simulator(), 3, /*seed=*/99);
  for (int64_t k = 0; k < 3; ++k) {
    const Tensor x_o = obs.x.slice(0, k, k + 1);
    const Tensor s = posterior->sample(x_o, 4000, 10 + uint64_t(k));
    ASSERT_EQ(s.shape(), (Shape{4000, 10}));
    const Moments m = moments(s);
    double mean_err = 0, log_var_ratio = 0;
    for (int64_t j = 0; j < 10; ++j) {
      mean_err += std::abs(m.mean[size_t(j)] - x_o.data<double>()[j] / 2) / 10;
      log_var_ratio += std::log(m.var[size_t(j)] / 0.05) / 10;
    }
    // Posterior std is 0.22; the mean error of a good 3000-simulation NPE is a few hundredths
    // (the prior would be off by |x_o|/2 ≈ 0.2 on average). Variance ratio within ~±35 %.
    EXPECT_LT(mean_err, 0.06) << "observation " << k;
    EXPECT_LT(std::abs(log_var_ratio), 0.3) << "observation " << k;
  }

  // Checkpoint round trip: the same seed gives identical samples.
  const std::string path = (std::filesystem::temp_directory_path() / "amor_test_npe.safetensors").string();
  posterior->save(path);
  PosteriorPtr loaded = load_posterior(path, "gaussian_linear");
  const Tensor a = posterior->sample(obs.x.slice(0, 0, 1), 50, 3);
  const Tensor b = loaded->sample(obs.x.slice(0, 0, 1), 50, 3);
  for (int64_t i = 0; i < a.numel(); ++i) ASSERT_EQ(a.data<double>()[i], b.data<double>()[i]);
  EXPECT_THROW(load_posterior(path, "two_moons"), ValueError);
  std::filesystem::remove(path);
}

TEST(Npe, BoundedPriorSamplesStayInsideTheSupport) {
  const TaskPtr task = make_task("two_moons");
  const Dataset data = simulate_dataset(*task->prior(), *task->simulator(), 1000, 1);
  TrainOptions options;
  options.config = {{"estimator", "maf"}, {"training", {{"max_epochs", 5}}}};
  auto posterior = find_method("npe").train(*task, data, options);
  const Tensor s = posterior->sample(data.x.slice(0, 0, 1), 2000, 2);
  const Support support = task->prior()->support();
  for (int64_t i = 0; i < 2000; ++i) ASSERT_TRUE(support.contains(s.data<double>() + 2 * i));
  EXPECT_THROW(posterior->sample(zeros({1, 3}, {.dtype = DType::F64}), 10, 1), ShapeError);
  EXPECT_THROW(npe::NpeConfig::from_json({{"estimator", "glow"}}), ValueError);
  EXPECT_THROW(npe::NpeConfig::from_json({{"learning_rate", 1e-3}}), ValueError);
}

}  // namespace
}  // namespace amor::sbi
