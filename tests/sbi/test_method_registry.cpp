// Method registry and load_posterior's dispatch on checkpoint metadata.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/tensor.h"
#include "nn/checkpoint.h"
#include "sbi/method.h"

namespace amor::sbi {
namespace {

namespace fs = std::filesystem;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

class DummyPosterior final : public Posterior {
 public:
  explicit DummyPosterior(std::string task) : task_(std::move(task)) {}
  std::string method() const override { return "test_dummy"; }
  std::string task_name() const override { return task_; }
  int64_t theta_dim() const override { return 1; }
  int64_t x_dim() const override { return 1; }
  Tensor sample(const Tensor&, int64_t n, uint64_t) override { return zeros({n, 1}, {.dtype = DType::F64}); }
  void save(const std::string&) const override {}

 private:
  std::string task_;
};

class DummyMethod final : public Method {
 public:
  std::string name() const override { return "test_dummy"; }
  PosteriorPtr train(const Task&, const Dataset&, const TrainOptions&, TrainReport*) const override {
    return std::make_unique<DummyPosterior>("toy");
  }
  PosteriorPtr load(const std::string& path) const override {
    return std::make_unique<DummyPosterior>(nn::read_safetensors_metadata(path).at("task").get<std::string>());
  }
};

TEST(MethodRegistry, KnownUnknownAndNotYetAvailable) {
  const auto names = method_names();
  ASSERT_GE(names.size(), 3u);
  EXPECT_EQ(names[0], "npe");
  EXPECT_EQ(names[1], "nle");
  EXPECT_EQ(names[2], "simformer");
  for (const std::string n : {"npe", "nle", "simformer"}) {
    try {
      EXPECT_EQ(find_method(n).name(), n);  // landed: registered from the built-in table
    } catch (const NotImplementedError& e) {
      EXPECT_EQ(std::string(e.what()), "method '" + n + "' is not available yet");
    }
  }
  try {
    find_method("abc");
    ADD_FAILURE();
  } catch (const ValueError& e) {
    EXPECT_TRUE(contains(e.what(), "unknown method 'abc'")) << e.what();
    EXPECT_TRUE(contains(e.what(), "npe, nle, simformer")) << e.what();
  }
}

TEST(MethodRegistry, RegisterAndLoadPosteriorDispatch) {
  static bool registered = false;  // the registry is process-wide; --gtest_repeat runs this again
  if (!registered) {
    register_method(std::make_shared<DummyMethod>());
    registered = true;
  }
  EXPECT_THROW(register_method(std::make_shared<DummyMethod>()), ValueError);
  EXPECT_THROW(register_method(nullptr), ValueError);
  EXPECT_EQ(find_method("test_dummy").name(), "test_dummy");
  EXPECT_EQ(method_names().back(), "test_dummy");

  const fs::path dir = fs::path(::testing::TempDir()) / ("amor_method_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto write = [&](const std::string& name, const nlohmann::json& meta) {
    const std::string p = (dir / name).string();
    nn::write_safetensors(p, {{"w", zeros({2}, {.dtype = DType::F32})}}, meta);
    return p;
  };
  const std::string good = write("good.safetensors", {{"format", "amor"}, {"method", "test_dummy"}, {"task", "toy"}});
  auto post = load_posterior(good);
  EXPECT_EQ(post->method(), "test_dummy");
  EXPECT_EQ(post->task_name(), "toy");
  EXPECT_EQ(load_posterior(good, "toy")->task_name(), "toy");
  try {
    load_posterior(good, "two_moons");
    ADD_FAILURE();
  } catch (const ValueError& e) {
    EXPECT_TRUE(contains(e.what(), "trained for task 'toy', not 'two_moons'")) << e.what();
  }
  EXPECT_THROW(load_posterior(write("fmt.safetensors", {{"format", "other"}, {"method", "test_dummy"}, {"task", "t"}})),
               IOError);
  EXPECT_THROW(load_posterior(write("nometh.safetensors", {{"format", "amor"}, {"task", "t"}})), IOError);
  EXPECT_THROW(load_posterior(write("notask.safetensors", {{"format", "amor"}, {"method", "test_dummy"}})), IOError);
  try {
    load_posterior(write("unk.safetensors", {{"format", "amor"}, {"method", "xyz"}, {"task", "t"}}));
    ADD_FAILURE();
  } catch (const IOError& e) {
    EXPECT_TRUE(contains(e.what(), "unknown method 'xyz'")) << e.what();
  }
  EXPECT_THROW(load_posterior(write("nometa.safetensors", nullptr)), IOError);
  const std::string junk = (dir / "junk.safetensors").string();
  std::ofstream(junk) << "definitely not safetensors";
  EXPECT_THROW(load_posterior(junk), IOError);
  EXPECT_THROW(load_posterior((dir / "missing.safetensors").string()), IOError);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace amor::sbi
