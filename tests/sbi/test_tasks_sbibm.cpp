// The eight sbibm tasks as a family: registry, names, dependency graphs, priors, the stored
// reference data (10 observations each), typicality of observation 1 under the simulator, and
// thread-count independence. Per-task analytic checks are in test_tasks_analytic.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "core/ops.h"
#include "core/tensor.h"
#include "sbi/io/csv.h"
#include "sbi/task.h"
#include "sbi/tasks/bernoulli_glm.h"
#include "task_test_util.h"

namespace amor::sbi {
namespace {

using test::sbibm_folder;

const std::vector<std::string> kSbibmTasks = {
    "gaussian_linear", "gaussian_linear_uniform", "slcp", "slcp_distractors",
    "bernoulli_glm",   "bernoulli_glm_raw",       "gaussian_mixture", "two_moons"};

struct Dims {
  int64_t theta, x;
};
Dims expected_dims(const std::string& name) {
  if (name == "slcp") return {5, 8};
  if (name == "slcp_distractors") return {5, 100};
  if (name == "bernoulli_glm") return {10, 10};
  if (name == "bernoulli_glm_raw") return {10, 100};
  if (name == "gaussian_mixture" || name == "two_moons") return {2, 2};
  return {10, 10};  // gaussian_linear, gaussian_linear_uniform
}

// slcp_distractors and the bernoulli_glm pair read simulator constants at construction.
bool needs_data_to_construct(const std::string& name) {
  return name == "slcp_distractors" || name == "bernoulli_glm" || name == "bernoulli_glm_raw";
}

class SbibmTaskTest : public ::testing::TestWithParam<std::string> {
 protected:
  TaskPtr make() {
    return make_task(GetParam());
  }
};

#define SKIP_IF_CONSTANTS_MISSING()                                                     \
  do {                                                                                  \
    if (needs_data_to_construct(GetParam())) {                                          \
      AMOR_SKIP_WITHOUT_SBIBM(sbibm_folder(GetParam()));                                \
    }                                                                                   \
  } while (0)

TEST(SbibmTasks, AllRegistered) {
  const std::vector<std::string> names = task_names();
  for (const auto& n : kSbibmTasks)
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n << " is not registered";
}

TEST(SbibmTasks, MissingConstantsAreAnIOErrorNamingThePath) {
  TaskOptions o;
  o.data_dir = "/nonexistent/sbibm";
  for (const std::string name : {"slcp_distractors", "bernoulli_glm", "bernoulli_glm_raw"}) {
    try {
      make_task(name, o);
      ADD_FAILURE() << name << ": no IOError without the data";
    } catch (const IOError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("/nonexistent/sbibm/"), std::string::npos) << what;
      EXPECT_NE(what.find("AMOR_SBIBM_DIR"), std::string::npos) << what;
    }
  }
  // The data-free tasks construct; their reference data is an IOError on use.
  const TaskPtr t = make_task("two_moons", o);
  EXPECT_THROW(t->observation(1), IOError);
}

TEST_P(SbibmTaskTest, DimensionsNamesAndDescription) {
  SKIP_IF_CONSTANTS_MISSING();
  const TaskPtr task = make();
  const Dims want = expected_dims(GetParam());
  EXPECT_EQ(task->name(), GetParam());
  EXPECT_EQ(task->theta_dim(), want.theta);
  EXPECT_EQ(task->x_dim(), want.x);
  EXPECT_EQ(task->simulator()->theta_dim(), want.theta);
  EXPECT_FALSE(task->description().empty());
  const auto tn = task->theta_names(), xn = task->x_names();
  EXPECT_EQ(int64_t(tn.size()), want.theta);
  EXPECT_EQ(int64_t(xn.size()), want.x);
  std::set<std::string> all(tn.begin(), tn.end());
  all.insert(xn.begin(), xn.end());
  EXPECT_EQ(int64_t(all.size()), want.theta + want.x) << "variable names must be unique";
  EXPECT_EQ(task->num_observations(), 10);
}

// The graph is [T, T] bool, acyclic (a topological order exists), has no self-loops, every x
// has at least one parent except slcp's distractors and the first one, and no θ has an x parent.
TEST_P(SbibmTaskTest, DagIsAcyclicAndOrientedFromThetaToX) {
  SKIP_IF_CONSTANTS_MISSING();
  const TaskPtr task = make();
  const int64_t dt = task->theta_dim(), t = dt + task->x_dim();
  const Tensor g = task->dag();
  ASSERT_EQ(g.dtype(), DType::Bool);
  ASSERT_EQ(g.shape(), Shape({t, t}));
  const uint8_t* p = g.data<uint8_t>();
  for (int64_t i = 0; i < t; ++i) EXPECT_EQ(p[i * t + i], 0) << "self-loop at " << i;
  for (int64_t i = 0; i < dt; ++i)
    for (int64_t j = dt; j < t; ++j) EXPECT_EQ(p[i * t + j], 0) << "θ_" << i << " has x parent " << j;
  // Kahn's algorithm.
  std::vector<int64_t> indeg(size_t(t), 0);
  for (int64_t i = 0; i < t; ++i)
    for (int64_t j = 0; j < t; ++j) indeg[size_t(i)] += p[i * t + j];
  std::vector<int64_t> ready;
  for (int64_t i = 0; i < t; ++i)
    if (indeg[size_t(i)] == 0) ready.push_back(i);
  int64_t done = 0;
  while (!ready.empty()) {
    const int64_t v = ready.back();
    ready.pop_back();
    ++done;
    for (int64_t c = 0; c < t; ++c)
      if (p[c * t + v] && --indeg[size_t(c)] == 0) ready.push_back(c);
  }
  EXPECT_EQ(done, t) << "the graph has a cycle";
  // Every non-distractor x depends on at least one θ.
  const auto xn = task->x_names();
  for (int64_t j = 0; j < task->x_dim(); ++j) {
    if (xn[size_t(j)].rfind("distractor_", 0) == 0) continue;
    bool has_theta_parent = false;
    for (int64_t i = 0; i < dt; ++i) has_theta_parent |= p[(dt + j) * t + i] != 0;
    EXPECT_TRUE(has_theta_parent) << xn[size_t(j)];
  }
}

TEST_P(SbibmTaskTest, PriorSamplesInSupportWithFiniteLogProb) {
  SKIP_IF_CONSTANTS_MISSING();
  const TaskPtr task = make();
  const auto prior = task->prior();
  const Tensor theta = prior->sample(2000, 11);
  const Support s = prior->support();
  const double* p = theta.data<double>();
  for (int64_t i = 0; i < 2000; ++i) ASSERT_TRUE(s.contains(p + i * task->theta_dim())) << i;
  const auto lp = prior->log_prob(theta).to_vector<double>();
  for (double v : lp) ASSERT_TRUE(std::isfinite(v));
}

// All 10 observations: x_o [1, x_dim], θ_o [1, theta_dim] inside the prior's support, 10 000
// finite reference samples with finite prior log density (so inside the support too).
TEST_P(SbibmTaskTest, ReferenceDataLoadsForAllObservations) {
  AMOR_SKIP_WITHOUT_SBIBM(sbibm_folder(GetParam()));
  const TaskPtr task = make();
  const auto prior = task->prior();
  for (int k = 1; k <= 10; ++k) {
    SCOPED_TRACE("observation " + std::to_string(k));
    const Tensor x_o = task->observation(k);
    const Tensor theta_o = task->true_parameters(k);
    const Tensor ref = task->reference_samples(k);
    EXPECT_EQ(x_o.shape(), Shape({1, task->x_dim()}));
    EXPECT_EQ(theta_o.shape(), Shape({1, task->theta_dim()}));
    EXPECT_EQ(ref.shape(), Shape({10000, task->theta_dim()}));
    EXPECT_TRUE(all_finite(x_o));
    EXPECT_TRUE(all_finite(ref));
    EXPECT_TRUE(std::isfinite(prior->log_prob(theta_o).item<double>()));
    const auto lp = prior->log_prob(ref).to_vector<double>();
    int64_t bad = 0;
    for (double v : lp) bad += !std::isfinite(v);
    EXPECT_EQ(bad, 0) << "reference samples outside the prior";
  }
}

// Statistics for the typicality check: every coordinate, the mean and the mean square; for
// bernoulli_glm_raw also the 10 sufficient statistics of the spike train, and for
// slcp_distractors the mean of the 8 real values.
struct StatSet {
  test::StatFn fn;
  std::vector<std::string> names;
};

StatSet statistics_for(const Task& task) {
  const int64_t d = task.x_dim();
  StatSet s;
  s.names = task.x_names();
  s.names.push_back("mean");
  s.names.push_back("mean_square");
  std::vector<double> stimulus;
  std::vector<int64_t> real_pos;
  if (task.name() == "bernoulli_glm_raw") {
    stimulus = io::read_csv(default_data_dir() + "/bernoulli_glm/files/stimulus_I.csv").values.to_vector<double>();
    for (const char* n : {"num_spikes", "sta_0", "sta_1", "sta_2", "sta_3", "sta_4", "sta_5",
                          "sta_6", "sta_7", "sta_8"})
      s.names.emplace_back(n);
  }
  if (task.name() == "slcp_distractors") {
    const auto xn = task.x_names();
    for (int64_t j = 0; j < d; ++j)
      if (xn[size_t(j)].rfind("distractor_", 0) != 0) real_pos.push_back(j);
    EXPECT_EQ(real_pos.size(), 8u);
    s.names.push_back("mean_of_real");
  }
  s.fn = [d, stimulus, real_pos](const double* x) {
    std::vector<double> v(x, x + d);
    double m = 0.0, m2 = 0.0;
    for (int64_t j = 0; j < d; ++j) {
      m += x[j];
      m2 += x[j] * x[j];
    }
    v.push_back(m / double(d));
    v.push_back(m2 / double(d));
    if (!stimulus.empty()) {
      double summary[10];
      tasks::bernoulli_glm_summary(x, stimulus.data(), summary);
      v.insert(v.end(), summary, summary + 10);
    }
    if (!real_pos.empty()) {
      double r = 0.0;
      for (int64_t j : real_pos) r += x[j];
      v.push_back(r / double(real_pos.size()));
    }
    return v;
  };
  return s;
}

// Observation 1 must look like a draw of the simulator at its true parameters (see
// test::check_typical for why this is not flaky); a simulator that is wrong by more than
// sampling noise puts it outside at least one band.
TEST_P(SbibmTaskTest, ObservationOneIsTypicalAtTrueParameters) {
  AMOR_SKIP_WITHOUT_SBIBM(sbibm_folder(GetParam()));
  const TaskPtr task = make();
  const StatSet stats = statistics_for(*task);
  const auto r = test::check_typical(*task->simulator(), task->true_parameters(1).to_vector<double>(),
                                     task->observation(1).to_vector<double>(), stats.fn, stats.names, 2024);
  std::string outside;
  for (const auto& n : r.outside) outside += n + " ";
  EXPECT_TRUE(r.outside.empty()) << r.outside.size() << " of " << r.num_stats
                                 << " statistics outside the range of " << r.num_sims
                                 << " simulations: " << outside;
}

TEST_P(SbibmTaskTest, SimulateIsThreadCountIndependent) {
  SKIP_IF_CONSTANTS_MISSING();
  const TaskPtr task = make();
  const Tensor theta = task->prior()->sample(3000, 5);
  SimulateOptions one, two;
  one.num_threads = 1;
  two.num_threads = 2;
  const auto a = simulate(*task->simulator(), theta, 9, one).to_vector<double>();
  const auto b = simulate(*task->simulator(), theta, 9, two).to_vector<double>();
  ASSERT_EQ(a, b);
  for (double v : a) ASSERT_TRUE(std::isfinite(v));
}

INSTANTIATE_TEST_SUITE_P(Sbibm, SbibmTaskTest, ::testing::ValuesIn(kSbibmTasks),
                         [](const ::testing::TestParamInfo<std::string>& param) { return param.param; });

// ---- the typicality check itself ---------------------------------------------------------------

// gaussian_linear's x_o against a simulator whose mean is off by +1 (3 noise standard deviations
// per coordinate; 10 standard errors for the mean statistic): the check must catch it.
TEST(SbibmTypicality, ShiftedSimulatorFails) {
  AMOR_SKIP_WITHOUT_SBIBM("gaussian_linear");
  const TaskPtr task = make_task("gaussian_linear");
  const auto shifted = make_simulator(10, 10, [](const double* theta, double* x, Rng& rng) {
    for (int i = 0; i < 10; ++i) x[i] = theta[i] + 1.0 + std::sqrt(0.1) * rng.normal();
  });
  const StatSet stats = statistics_for(*task);
  const auto r = test::check_typical(*shifted, task->true_parameters(1).to_vector<double>(),
                                     task->observation(1).to_vector<double>(), stats.fn, stats.names, 2024);
  EXPECT_NE(std::find(r.outside.begin(), r.outside.end(), "mean"), r.outside.end());
  // The correct simulator with the same statistics and seed passes.
  const auto ok = test::check_typical(*task->simulator(), task->true_parameters(1).to_vector<double>(),
                                      task->observation(1).to_vector<double>(), stats.fn, stats.names, 2024);
  EXPECT_TRUE(ok.outside.empty());
}

// slcp with s = θ instead of s = θ² (a plausible transcription slip): at θ_o of observation 1
// (θ3 ≈ 2.95, θ4 ≈ 1.24) the first coordinate's standard deviation drops from ~8.7 to ~2.9,
// and x_o's mean square leaves the simulated range.
TEST(SbibmTypicality, WrongSlcpScaleFails) {
  AMOR_SKIP_WITHOUT_SBIBM("slcp");
  const TaskPtr task = make_task("slcp");
  const auto wrong = make_simulator(5, 8, [](const double* t, double* x, Rng& rng) {
    const double s1 = t[2], s2 = t[3], rho = std::tanh(t[4]);
    const double l00 = std::sqrt(s1 * s1 + 1e-6), l10 = rho * s1 * s2 / l00;
    const double l11 = std::sqrt(std::max(s2 * s2 + 1e-6 - l10 * l10, 0.0));
    for (int j = 0; j < 4; ++j) {
      const double z0 = rng.normal(), z1 = rng.normal();
      x[2 * j] = t[0] + l00 * z0;
      x[2 * j + 1] = t[1] + l10 * z0 + l11 * z1;
    }
  });
  const StatSet stats = statistics_for(*task);
  const auto r = test::check_typical(*wrong, task->true_parameters(1).to_vector<double>(),
                                     task->observation(1).to_vector<double>(), stats.fn, stats.names, 2024);
  EXPECT_FALSE(r.outside.empty());
}

}  // namespace
}  // namespace amor::sbi
