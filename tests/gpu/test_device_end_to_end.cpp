// Modules, optimizers and the three inference methods on a CUDA device against the same work on
// the CPU (issue #8, part 2). Labelled `gpu`; every test skips without a device.
//
// Tolerances: float64 updates agree to rounding (the device rounds op by op where the CPU fuses);
// float32 training runs the same batches (every random piece is drawn on the host from the same
// streams) but the device's reductions and GEMMs round differently, so a few steps' losses agree
// to ~1e-3 relative, not bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/random.h"
#include "nn/clip.h"
#include "nn/mlp.h"
#include "nn/optim.h"
#include "sbi/method.h"
#include "sbi/simulator.h"
#include "sbi/task.h"
#include "tests/gpu/device_buffer.h"

namespace amor {
namespace {

std::vector<double> host_values(const Tensor& t) { return t.detach().to(Device::cpu()).contiguous().to_vector<double>(); }

std::vector<double> host_values(const std::vector<Tensor>& ts) {
  std::vector<double> out;
  for (const Tensor& t : ts)
    for (double v : host_values(t)) out.push_back(v);
  return out;
}

void expect_close(const std::vector<double>& got, const std::vector<double>& want, double rel, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], rel * (1.0 + std::abs(want[i]))) << what << " element " << i;
}

std::shared_ptr<nn::MLP> make_mlp(uint64_t seed, DType dtype) {
  Generator gen(seed);
  return std::make_shared<nn::MLP>(std::vector<int64_t>{4, 16, 16, 3}, gen,
                                   nn::MLPOptions{.activation = nn::Act::Tanh, .dtype = dtype});
}

// Gradients of a fixed loss, on whichever device the module lives.
void backprop(nn::MLP& m, uint64_t seed) {
  Generator gen(seed, 3);
  const DType dt = m.parameters().front().dtype();
  const Tensor x = randn({32, 4}, gen, {.dtype = dt}).to(m.device());
  m.zero_grad();
  square(m.forward(x)).sum().backward();
}

TEST(GpuModule, ToRoundTripKeepsIdentitiesValuesAndGradients) {
  AMOR_REQUIRE_GPU();
  auto m = make_mlp(1, DType::F64);
  backprop(*m, 1);
  const std::vector<double> values = host_values(m->parameters());
  std::vector<Tensor> grads;
  for (const Tensor& p : m->parameters()) grads.push_back(p.grad());
  const std::vector<double> grad_values = host_values(grads);
  std::vector<TensorImpl*> impls;
  for (const Tensor& p : m->parameters()) impls.push_back(p.impl());

  m->to(Device::cuda(0));
  EXPECT_EQ(m->device(), Device::cuda(0));
  const auto on_gpu = m->parameters();
  for (size_t i = 0; i < on_gpu.size(); ++i) {
    EXPECT_EQ(on_gpu[i].impl(), impls[i]) << i;
    EXPECT_EQ(on_gpu[i].device(), Device::cuda(0)) << i;
    EXPECT_TRUE(on_gpu[i].requires_grad() && on_gpu[i].is_leaf()) << i;
    ASSERT_TRUE(on_gpu[i].grad().defined()) << i;
    EXPECT_EQ(on_gpu[i].grad().device(), Device::cuda(0)) << i;
  }
  EXPECT_EQ(host_values(on_gpu), values);

  m->to(Device::cpu());
  const auto back = m->parameters();
  std::vector<Tensor> back_grads;
  for (size_t i = 0; i < back.size(); ++i) {
    EXPECT_EQ(back[i].impl(), impls[i]) << i;
    EXPECT_EQ(back[i].device(), Device::cpu()) << i;
    back_grads.push_back(back[i].grad());
  }
  EXPECT_EQ(host_values(back), values);
  EXPECT_EQ(host_values(back_grads), grad_values);
}

// An optimizer made before the move updates the moved parameters (it holds the same handles).
TEST(GpuModule, OptimizerMadeBeforeTheMoveFollowsIt) {
  AMOR_REQUIRE_GPU();
  auto m = make_mlp(2, DType::F32);
  nn::Adam opt(m->parameters(), 1e-2);
  m->to(Device::cuda(0));
  const std::vector<double> before = host_values(m->parameters());
  backprop(*m, 2);
  opt.step();
  EXPECT_NE(host_values(m->parameters()), before);
  for (const Tensor& p : opt.params()) EXPECT_EQ(p.device(), Device::cuda(0));
}

template <class Opt, class Make>
void expect_gpu_steps_match_cpu(Make make_opt, int steps, const std::string& what) {
  auto cpu = make_mlp(3, DType::F64), gpu = make_mlp(3, DType::F64);
  gpu->to(Device::cuda(0));
  Opt cpu_opt = make_opt(cpu->parameters()), gpu_opt = make_opt(gpu->parameters());
  for (int s = 0; s < steps; ++s) {
    backprop(*cpu, 10 + uint64_t(s));
    backprop(*gpu, 10 + uint64_t(s));
    expect_close(host_values(gpu->parameters()), host_values(cpu->parameters()), 1e-12, what + " before step");
    cpu_opt.step();
    gpu_opt.step();
  }
  expect_close(host_values(gpu->parameters()), host_values(cpu->parameters()), 1e-11, what);
}

TEST(GpuOptimizers, OneAdamStepOnCudaEqualsOneOnCpu) {
  AMOR_REQUIRE_GPU();
  expect_gpu_steps_match_cpu<nn::Adam>([](std::vector<Tensor> p) { return nn::Adam(std::move(p), 1e-2); }, 1,
                                       "Adam, one step");
  expect_gpu_steps_match_cpu<nn::Adam>([](std::vector<Tensor> p) { return nn::Adam(std::move(p), 1e-2); }, 5,
                                       "Adam, five steps");
  expect_gpu_steps_match_cpu<nn::AdamW>([](std::vector<Tensor> p) { return nn::AdamW(std::move(p), 1e-2, 0.05); },
                                        3, "AdamW");
  expect_gpu_steps_match_cpu<nn::SGD>(
      [](std::vector<Tensor> p) { return nn::SGD(std::move(p), 0.05, {.momentum = 0.9, .nesterov = true}); }, 3,
      "SGD Nesterov");
}

TEST(GpuOptimizers, StateLivesOnTheParametersDevice) {
  AMOR_REQUIRE_GPU();
  auto m = make_mlp(4, DType::F32);
  m->to(Device::cuda(0));
  nn::Adam opt(m->parameters(), 1e-3);
  backprop(*m, 4);
  opt.step();
  // Moving after the state exists is refused rather than silently mixing devices.
  m->to(Device::cpu());
  backprop(*m, 5);
  EXPECT_THROW(opt.step(), DeviceError);
}

TEST(GpuClipping, NormAndAdaptiveClippingMatchTheCpu) {
  AMOR_REQUIRE_GPU();
  for (double max_norm : {1e-3, 1e6}) {
    auto cpu = make_mlp(5, DType::F64), gpu = make_mlp(5, DType::F64);
    gpu->to(Device::cuda(0));
    backprop(*cpu, 5);
    backprop(*gpu, 5);
    const double cpu_norm = nn::clip_grad_norm(cpu->parameters(), max_norm);
    const Tensor gpu_norm = nn::clip_grad_norm_tensor(gpu->parameters(), max_norm);
    EXPECT_EQ(gpu_norm.device(), Device::cuda(0));
    EXPECT_NEAR(host_values(gpu_norm)[0], cpu_norm, 1e-11 * cpu_norm);
    std::vector<Tensor> cg, gg;
    for (const Tensor& p : cpu->parameters()) cg.push_back(p.grad());
    for (const Tensor& p : gpu->parameters()) gg.push_back(p.grad());
    expect_close(host_values(gg), host_values(cg), 1e-11, "clip_grad_norm");
  }
  auto cpu = make_mlp(6, DType::F64), gpu = make_mlp(6, DType::F64);
  gpu->to(Device::cuda(0));
  backprop(*cpu, 6);
  backprop(*gpu, 6);
  nn::adaptive_clip_grad(cpu->parameters(), 0.01);
  nn::adaptive_clip_grad(gpu->parameters(), 0.01);
  std::vector<Tensor> cg, gg;
  for (const Tensor& p : cpu->parameters()) cg.push_back(p.grad());
  for (const Tensor& p : gpu->parameters()) gg.push_back(p.grad());
  expect_close(host_values(gg), host_values(cg), 1e-11, "adaptive_clip_grad");
}

// ---- the methods: a few training steps on CUDA and on the CPU from the same seed --------------

struct Trained {
  sbi::PosteriorPtr posterior;
  sbi::TrainReport report;
};

Trained train(const std::string& method, const std::string& task_name, nlohmann::json config, int64_t n) {
  const sbi::TaskPtr task = sbi::make_task(task_name);
  const sbi::Dataset data = sbi::simulate_dataset(*task->prior(), *task->simulator(), n, 11);
  sbi::TrainOptions options;
  options.seed = 5;
  options.config = std::move(config);
  Trained t;
  t.posterior = sbi::find_method(method).train(*task, data, options, &t.report);
  return t;
}

// Trains `method` on the CPU and on cuda:0 with the same configuration and seed; the losses must
// agree to float32 tolerance and both posteriors must sample host tensors of the right shape.
void expect_method_matches(const std::string& method, const std::string& task_name, nlohmann::json config,
                           int64_t n) {
  nlohmann::json on_gpu = config;
  on_gpu["device"] = "cuda";
  const Trained cpu = train(method, task_name, config, n);
  const Trained gpu = train(method, task_name, on_gpu, n);
  EXPECT_EQ(cpu.posterior->device(), Device::cpu());
  EXPECT_EQ(gpu.posterior->device(), Device::cuda(0));
  EXPECT_EQ(gpu.report.steps, cpu.report.steps) << method;
  EXPECT_EQ(gpu.report.epochs, cpu.report.epochs) << method;
  EXPECT_NEAR(gpu.report.best_val_loss, cpu.report.best_val_loss, 2e-3 * (1 + std::abs(cpu.report.best_val_loss)))
      << method << " on " << task_name;

  const sbi::TaskPtr task = sbi::make_task(task_name);
  const sbi::Dataset one = sbi::simulate_dataset(*task->prior(), *task->simulator(), 1, 99);
  const Tensor x_o = one.x;  // [1, x_dim] on the host
  const Tensor samples = gpu.posterior->sample(x_o, 37, 3);
  EXPECT_EQ(samples.device(), Device::cpu()) << method;
  EXPECT_EQ(samples.dtype(), DType::F64) << method;
  EXPECT_EQ(samples.shape(), (Shape{37, task->theta_dim()})) << method;
  for (double v : samples.to_vector<double>()) EXPECT_TRUE(std::isfinite(v)) << method;
  // A device observation is accepted too (copied to the host for its checks).
  EXPECT_EQ(gpu.posterior->sample(x_o.to(Device::cuda(0)), 5, 4).device(), Device::cpu()) << method;
  // And a CPU posterior moved to the device samples there.
  cpu.posterior->to(Device::cuda(0));
  EXPECT_EQ(cpu.posterior->sample(x_o, 5, 4).shape(), (Shape{5, task->theta_dim()})) << method;
}

nlohmann::json short_flow_training() {
  return {{"max_epochs", 3}, {"batch_size", 50}, {"stop_after_epochs", 3}};
}

TEST(GpuMethods, NpeMafTrainsAndSamplesOnCudaLikeOnCpu) {
  AMOR_REQUIRE_GPU();
  expect_method_matches("npe", "two_moons",
                        {{"estimator", "maf"},
                         {"estimator_options", {{"hidden_features", 20}, {"num_transforms", 2}}},
                         {"training", short_flow_training()}},
                        600);
}

TEST(GpuMethods, NpeNsfTrainsAndSamplesOnCudaLikeOnCpu) {
  AMOR_REQUIRE_GPU();
  expect_method_matches("npe", "two_moons",
                        {{"estimator", "nsf"},
                         {"estimator_options", {{"hidden_features", 20}, {"num_transforms", 2}}},
                         {"training", short_flow_training()}},
                        600);
}

TEST(GpuMethods, NpeCouplingTrainsAndSamplesOnCudaLikeOnCpu) {
  AMOR_REQUIRE_GPU();
  expect_method_matches("npe", "gaussian_linear",
                        {{"estimator", "coupling"}, {"training", short_flow_training()}}, 600);
}

TEST(GpuMethods, NpeWithSummaryNetworkTrainsOnCudaLikeOnCpu) {
  AMOR_REQUIRE_GPU();
  // gaussian_linear's x [10] read as a set of 10 one-dimensional elements.
  expect_method_matches("npe", "gaussian_linear",
                        {{"estimator", "maf"},
                         {"estimator_options", {{"hidden_features", 20}, {"num_transforms", 2}}},
                         {"summary", {{"type", "deepset"}, {"input_shape", {10, 1}}}},
                         {"training", short_flow_training()}},
                        600);
}

TEST(GpuMethods, NleTrainsOnCudaAndRunsItsLikelihoodThereInsideMcmc) {
  AMOR_REQUIRE_GPU();
  expect_method_matches("nle", "two_moons",
                        {{"estimator_options", {{"hidden_features", 20}, {"num_transforms", 2}}},
                         {"training", short_flow_training()},
                         {"mcmc", {{"num_chains", 4}, {"warmup", 5}, {"thin", 2}, {"candidates", 200}}}},
                        600);
}

TEST(GpuMethods, SimformerTrainsAndSamplesOnCudaLikeOnCpu) {
  AMOR_REQUIRE_GPU();
  // gaussian_linear: an unbounded prior, so a barely trained model's samples need no rejection.
  expect_method_matches("simformer", "gaussian_linear",
                        {{"network", {{"layers", 2}, {"time_embedding_dim", 16}}},
                         {"training", {{"steps", 6}, {"batch_size", 64}, {"validation_checks", 3}}},
                         {"sampling", {{"steps", 20}}}},
                        400);
}

}  // namespace
}  // namespace amor
