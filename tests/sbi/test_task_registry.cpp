// Task defaults, the task registry, the data directory, and SbibmTask's reference-data loading
// (the real sbibm files when present, and a fabricated directory through AMOR_SBIBM_DIR).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "core/tensor.h"
#include "sbi/io/csv.h"
#include "sbi/task.h"
#include "sbi/tasks/sbibm_task.h"

namespace amor::sbi {
namespace {

namespace fs = std::filesystem;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// Sets an environment variable for the scope of a test and restores it afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (had_)
      ::setenv(name_, old_.c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

// A 2-θ, 3-x task with no reference data.
class ToyTask final : public Task {
 public:
  std::string name() const override { return "toy"; }
  DistributionPtr prior() const override { return box_uniform({0.0, 0.0}, {1.0, 1.0}); }
  SimulatorPtr simulator() const override {
    return make_simulator(2, 3, [](const double* t, double* x, Rng&) { x[0] = t[0], x[1] = t[1], x[2] = 0; });
  }
};

// A task over an sbibm folder with the given x width and observation file.
class FolderTask final : public tasks::SbibmTask {
 public:
  FolderTask(const std::string& folder, int64_t theta_dim, int64_t x_dim, const TaskOptions& o,
             const std::string& obs_file = "observation.csv")
      : SbibmTask(folder, o, obs_file), theta_dim_(theta_dim), x_dim_(x_dim) {}
  std::string name() const override { return "folder_task"; }
  DistributionPtr prior() const override {
    return box_uniform(std::vector<double>(size_t(theta_dim_), -1.0), std::vector<double>(size_t(theta_dim_), 1.0));
  }
  SimulatorPtr simulator() const override {
    return make_simulator(theta_dim_, x_dim_, [](const double*, double*, Rng&) {});
  }

 private:
  int64_t theta_dim_, x_dim_;
};

TEST(Task, DefaultNamesDagAndMissingReferenceData) {
  const ToyTask t;
  EXPECT_EQ(t.theta_dim(), 2);
  EXPECT_EQ(t.x_dim(), 3);
  EXPECT_EQ(t.theta_names(), (std::vector<std::string>{"theta_1", "theta_2"}));
  EXPECT_EQ(t.x_names(), (std::vector<std::string>{"x_1", "x_2", "x_3"}));
  const Tensor g = t.dag();
  ASSERT_EQ(g.shape(), Shape({5, 5}));
  ASSERT_EQ(g.dtype(), DType::Bool);
  const auto v = g.to_vector<uint8_t>();
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 5; ++j) EXPECT_EQ(v[size_t(i * 5 + j)], (i >= 2 && j < 2) ? 1 : 0) << i << "," << j;
  EXPECT_EQ(t.num_observations(), 0);
  try {
    t.observation(1);
    ADD_FAILURE();
  } catch (const ValueError& e) {
    EXPECT_TRUE(contains(e.what(), "task 'toy' has no reference data")) << e.what();
  }
  EXPECT_THROW(t.true_parameters(1), ValueError);
  EXPECT_THROW(t.reference_samples(1), ValueError);
  EXPECT_FALSE(t.has_analytic_posterior());
  EXPECT_THROW(t.analytic_posterior_samples(zeros({1, 3}, {.dtype = DType::F64}), 10, 0), NotImplementedError);
}

TEST(TaskRegistry, RegisterMakeAndListSorted) {
  register_task("zz_test_toy", [](const TaskOptions&) { return std::make_shared<ToyTask>(); });
  register_task("aa_test_toy", [](const TaskOptions&) { return std::make_shared<ToyTask>(); });
  const auto names = task_names();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_NE(std::find(names.begin(), names.end(), "zz_test_toy"), names.end());
  EXPECT_EQ(make_task("zz_test_toy")->name(), "toy");
  try {
    make_task("no_such_task");
    ADD_FAILURE();
  } catch (const ValueError& e) {
    EXPECT_TRUE(contains(e.what(), "'no_such_task'")) << e.what();
    EXPECT_TRUE(contains(e.what(), "aa_test_toy")) << e.what();  // lists the known names
  }
  EXPECT_THROW(register_task("", [](const TaskOptions&) { return std::make_shared<ToyTask>(); }), ValueError);
  EXPECT_THROW(register_task("x", nullptr), ValueError);
  register_task("null_test_task", [](const TaskOptions&) { return TaskPtr(); });
  EXPECT_THROW(make_task("null_test_task"), ValueError);
  // Built-in names cannot be replaced (checked once the built-in two_moons is in the table).
  if (std::find(names.begin(), names.end(), "two_moons") != names.end()) {
    EXPECT_THROW(register_task("two_moons", [](const TaskOptions&) { return std::make_shared<ToyTask>(); }),
                 ValueError);
  }
}

TEST(TaskData, DefaultDirHonoursEnvironment) {
  {
    ScopedEnv env("AMOR_SBIBM_DIR", "/some/where");
    EXPECT_EQ(default_data_dir(), "/some/where");
  }
  {
    ScopedEnv env("AMOR_SBIBM_DIR", "");  // empty: the compiled-in default
    EXPECT_EQ(default_data_dir(), AMOR_DEFAULT_SBIBM_DIR);
  }
  ScopedEnv env("AMOR_SBIBM_DIR", nullptr);
  EXPECT_EQ(default_data_dir(), AMOR_DEFAULT_SBIBM_DIR);
  EXPECT_TRUE(contains(default_data_dir(), "sbibm"));
}

// Reads the real two_moons data: 10 000 reference samples of dimension 2 for observation 1.
TEST(TaskData, TwoMoonsObservationOneFromSbibm) {
  ScopedEnv env("AMOR_SBIBM_DIR", nullptr);
  const std::string dir = default_data_dir();
  if (!fs::is_directory(dir + "/two_moons")) GTEST_SKIP() << "sbibm data not found at " << dir << " (set AMOR_SBIBM_DIR)";
  const FolderTask t("two_moons", 2, 2, {});
  const Tensor ref = t.reference_samples(1);
  ASSERT_EQ(ref.shape(), Shape({10000, 2}));
  EXPECT_EQ(ref.dtype(), DType::F64);
  const auto v = ref.to_vector<double>();
  EXPECT_EQ(float(v[0]), -0.8059562f);  // first data row of the file
  EXPECT_EQ(float(v[1]), -0.5836492f);
  const auto obs = t.observation(1).to_vector<double>();
  EXPECT_EQ(obs, (std::vector<double>{-0.6396706, 0.16234657}));
  EXPECT_EQ(t.true_parameters(1).to_vector<double>(), (std::vector<double>{-0.8176656, -0.5756806}));
  // Cached, and callers get copies.
  Tensor a = t.observation(1);
  a.fill_(7.0);
  EXPECT_EQ(t.observation(1).to_vector<double>(), obs);
  // Two threads loading the same observation concurrently agree.
  const FolderTask fresh("two_moons", 2, 2, {});
  std::vector<double> r1, r2;
  std::thread th([&] { r1 = fresh.reference_samples(2).to_vector<double>(); });
  r2 = fresh.reference_samples(2).to_vector<double>();
  th.join();
  EXPECT_EQ(r1, r2);
  EXPECT_EQ(r1.size(), 20000u);
  // A task whose x width disagrees with the file: IOError naming the mismatch.
  const FolderTask wrong("two_moons", 2, 3, {});
  try {
    wrong.observation(1);
    ADD_FAILURE();
  } catch (const IOError& e) {
    EXPECT_TRUE(contains(e.what(), "expected 3 columns")) << e.what();
  }
  EXPECT_THROW(t.observation(0), ValueError);
  EXPECT_THROW(t.observation(11), ValueError);
}

TEST(TaskData, ObservationFileNameIsConfigurable) {
  ScopedEnv env("AMOR_SBIBM_DIR", nullptr);
  const std::string dir = default_data_dir();
  if (!fs::is_directory(dir + "/slcp")) GTEST_SKIP() << "sbibm data not found at " << dir;
  const FolderTask t("slcp", 5, 100, {}, "observation_distractors.csv");
  EXPECT_EQ(t.observation(3).shape(), Shape({1, 100}));
  EXPECT_EQ(t.reference_samples(3).shape(), Shape({10000, 5}));
}

TEST(TaskData, EnvironmentOverrideAndMissingFiles) {
  const fs::path root = fs::path(::testing::TempDir()) / ("amor_sbibm_" + std::to_string(::getpid()));
  const fs::path obs_dir = root / "fake" / "num_observation_4";
  fs::create_directories(obs_dir);
  io::write_csv((obs_dir / "observation.csv").string(), {"data_1", "data_2"}, from_vector<double>({1.5, -2.0}, {1, 2}));
  io::write_csv((obs_dir / "true_parameters.csv").string(), {"parameter_1"}, from_vector<double>({0.25}, {1, 1}));
  io::write_csv((obs_dir / "reference_posterior_samples.csv.bz2").string(), {"parameter_1"},
                from_vector<double>({0.1, 0.2, 0.3}, {3, 1}));
  {
    ScopedEnv env("AMOR_SBIBM_DIR", root.c_str());
    const FolderTask t("fake", 1, 2, {});
    EXPECT_EQ(t.data_dir(), root.string());
    EXPECT_EQ(t.observation(4).to_vector<double>(), (std::vector<double>{1.5, -2.0}));
    EXPECT_EQ(t.true_parameters(4).to_vector<double>(), std::vector<double>{0.25});
    EXPECT_EQ(t.reference_samples(4).shape(), Shape({3, 1}));
    // Observation 5 does not exist: IOError naming the path and how to configure the directory.
    try {
      t.observation(5);
      ADD_FAILURE();
    } catch (const IOError& e) {
      EXPECT_TRUE(contains(e.what(), (root / "fake" / "num_observation_5" / "observation.csv").string())) << e.what();
      EXPECT_TRUE(contains(e.what(), "AMOR_SBIBM_DIR")) << e.what();
      EXPECT_TRUE(contains(e.what(), "TaskOptions::data_dir")) << e.what();
    }
  }
  // TaskOptions::data_dir wins over the environment.
  ScopedEnv env("AMOR_SBIBM_DIR", "/nonexistent/amor");
  TaskOptions o;
  o.data_dir = root.string();
  EXPECT_EQ(FolderTask("fake", 1, 2, o).observation(4).to_vector<double>(), (std::vector<double>{1.5, -2.0}));
  try {
    FolderTask("fake", 1, 2, {}).observation(4);
    ADD_FAILURE();
  } catch (const IOError& e) {
    EXPECT_TRUE(contains(e.what(), "'/nonexistent/amor' does not exist")) << e.what();
  }
  fs::remove_all(root);
}

}  // namespace
}  // namespace amor::sbi
