// Devices in nn without a device: Module::to(cpu) keeps every handle, a failed move leaves the
// module whole, transient buffers follow the module but stay out of its state, and the
// whole-tensor-op paths that CUDA parameters take (optimizers, clipping) match the fused host
// loops when run on the CPU. The same paths on a GPU: tests/gpu/test_nn_device.cpp.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/random.h"
#include "nn/checkpoint.h"
#include "nn/clip.h"
#include "nn/mlp.h"
#include "nn/optim.h"
#ifdef AMOR_HAS_CUDA
#include "kernels/cuda/device.h"
#endif

namespace amor::nn {
namespace {

std::shared_ptr<MLP> make_mlp(uint64_t seed, DType dtype = DType::F64) {
  Generator gen(seed);
  return std::make_shared<MLP>(std::vector<int64_t>{3, 8, 8, 2}, gen, MLPOptions{.activation = Act::Tanh, .dtype = dtype});
}

// Fills every parameter's gradient from a loss on a fixed batch.
void backprop(MLP& m, uint64_t seed) {
  Generator gen(seed, 7);
  const DType dt = m.parameters().front().dtype();
  const Tensor x = randn({16, 3}, gen, {.dtype = dt});
  m.zero_grad();
  square(m.forward(x)).sum().backward();
}

std::vector<double> flat(const std::vector<Tensor>& ts) {
  std::vector<double> out;
  for (const Tensor& t : ts)
    for (double v : t.detach().contiguous().to_vector<double>()) out.push_back(v);
  return out;
}

std::vector<Tensor> grads(const MLP& m) {
  std::vector<Tensor> g;
  for (const Tensor& p : m.parameters()) g.push_back(p.grad());
  return g;
}

void expect_close(const std::vector<double>& a, const std::vector<double>& b, double rel, const char* what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_NEAR(a[i], b[i], rel * (1.0 + std::abs(b[i]))) << what << " element " << i;
}

bool have_cuda_device() {
#ifdef AMOR_HAS_CUDA
  return cuda_device_count() > 0;
#else
  return false;
#endif
}

TEST(ModuleDevice, ToCpuIsANoOpThatKeepsIdentities) {
  auto m = make_mlp(1);
  backprop(*m, 1);
  std::vector<TensorImpl*> impls;
  std::vector<const void*> data, grad_data;
  for (const Tensor& p : m->parameters()) {
    impls.push_back(p.impl());
    data.push_back(p.raw_data());
    grad_data.push_back(p.grad().raw_data());
  }
  Adam opt(m->parameters(), 1e-2);
  m->to(Device::cpu());
  EXPECT_EQ(m->device(), Device::cpu());
  const auto params = m->parameters();
  ASSERT_EQ(params.size(), impls.size());
  for (size_t i = 0; i < params.size(); ++i) {
    EXPECT_EQ(params[i].impl(), impls[i]) << i;
    EXPECT_EQ(params[i].raw_data(), data[i]) << "no copy for a tensor already on the device, " << i;
    EXPECT_EQ(params[i].grad().raw_data(), grad_data[i]) << i;
    EXPECT_TRUE(params[i].requires_grad() && params[i].is_leaf()) << i;
    EXPECT_EQ(opt.params()[i].impl(), impls[i]) << "the optimizer holds the same handle, " << i;
  }
  // The optimizer still updates the module's own parameters.
  const std::vector<double> before = flat(m->parameters());
  opt.step();
  const std::vector<double> after = flat(m->parameters());
  EXPECT_NE(before, after);
}

TEST(ModuleDevice, AStatelessModuleIsOnTheCpu) {
  struct Empty : Module {
    std::string type_name() const override { return "Empty"; }
  } empty;
  EXPECT_EQ(empty.device(), Device::cpu());
  empty.to(Device::cpu());
}

TEST(ModuleDevice, TransientBuffersFollowTheModuleButAreNotState) {
  struct WithIndex : Module {
    Tensor weight = zeros({3}, {.dtype = DType::F64});
    Tensor index = from_vector(std::vector<int64_t>{2, 0, 1});
    WithIndex() {
      register_parameter("weight", &weight);
      register_transient_buffer(&index);
    }
    std::string type_name() const override { return "WithIndex"; }
  };
  auto m = std::make_shared<WithIndex>();
  struct Parent : Module {
    explicit Parent(std::shared_ptr<Module> child) { register_module("child", std::move(child)); }
    std::string type_name() const override { return "Parent"; }
  } parent(m);
  const auto state = parent.state();
  ASSERT_EQ(state.size(), 1u);
  EXPECT_EQ(state[0].first, "child.weight");
  const void* index_data = m->index.raw_data();
  parent.to(Device::cpu());
  EXPECT_EQ(m->index.raw_data(), index_data);
  EXPECT_EQ(parent.device(), Device::cpu());
}

TEST(ModuleDevice, AFailedMoveLeavesTheModuleWhole) {
  if (have_cuda_device()) GTEST_SKIP() << "a CUDA device is present: the move would succeed (tests/gpu covers it)";
  auto m = make_mlp(2);
  backprop(*m, 2);
  const std::vector<double> before = flat(m->parameters());
  std::vector<const void*> data;
  for (const Tensor& p : m->parameters()) data.push_back(p.raw_data());
  EXPECT_ANY_THROW(m->to(Device::cuda(0)));
  EXPECT_EQ(m->device(), Device::cpu());
  const auto params = m->parameters();
  for (size_t i = 0; i < params.size(); ++i) {
    EXPECT_EQ(params[i].device(), Device::cpu()) << i;
    EXPECT_EQ(params[i].raw_data(), data[i]) << i;
    EXPECT_TRUE(params[i].grad().defined()) << i;
  }
  EXPECT_EQ(flat(m->parameters()), before);
}

// The fused host loop and the whole-tensor-op path (the one device parameters take) from the same
// start: one step agrees to float64 rounding; after four, the few-ulp differences (the loop's
// multiply-adds are contracted to FMAs, the ops round one by one) have grown through the
// network's gradients, still far below any float32 effect.
template <class Opt, class Make>
void expect_tensor_ops_match_loop(Make make_opt, const char* what) {
  auto loop_model = make_mlp(3), ops_model = make_mlp(3);
  Opt loop = make_opt(loop_model->parameters());
  Opt ops = make_opt(ops_model->parameters());
  ops.use_tensor_ops();
  for (int step = 0; step < 4; ++step) {
    backprop(*loop_model, 10 + step);
    backprop(*ops_model, 10 + step);
    loop.step();
    ops.step();
    if (step == 0)
      expect_close(flat(ops_model->parameters()), flat(loop_model->parameters()), 1e-14,
                   (std::string(what) + ", one step").c_str());
  }
  expect_close(flat(ops_model->parameters()), flat(loop_model->parameters()), 1e-10, what);
  EXPECT_NE(flat(loop_model->parameters()), flat(make_mlp(3)->parameters())) << what << ": the steps changed nothing";
}

TEST(OptimizerTensorOps, AdamMatchesTheFusedLoop) {
  expect_tensor_ops_match_loop<Adam>([](std::vector<Tensor> p) { return Adam(std::move(p), 1e-2); }, "Adam");
  expect_tensor_ops_match_loop<Adam>(
      [](std::vector<Tensor> p) { return Adam(std::move(p), 1e-2, {.weight_decay = 0.1}); }, "Adam L2");
  expect_tensor_ops_match_loop<AdamW>([](std::vector<Tensor> p) { return AdamW(std::move(p), 1e-2, 0.05); }, "AdamW");
}

TEST(OptimizerTensorOps, SgdMatchesTheFusedLoop) {
  expect_tensor_ops_match_loop<SGD>([](std::vector<Tensor> p) { return SGD(std::move(p), 0.05); }, "SGD");
  expect_tensor_ops_match_loop<SGD>(
      [](std::vector<Tensor> p) { return SGD(std::move(p), 0.05, {.momentum = 0.9, .weight_decay = 0.01}); },
      "SGD momentum");
  expect_tensor_ops_match_loop<SGD>(
      [](std::vector<Tensor> p) { return SGD(std::move(p), 0.05, {.momentum = 0.9, .nesterov = true}); },
      "SGD Nesterov");
}

TEST(ClipTensorOps, GradNormMatchesTheHostLoop) {
  for (double max_norm : {1e-3, 1e6}) {  // clipping, and no clipping (gradients unchanged)
    auto a = make_mlp(4), b = make_mlp(4);
    backprop(*a, 4);
    backprop(*b, 4);
    const double host_norm = clip_grad_norm(a->parameters(), max_norm);
    const Tensor norm = clip_grad_norm_tensor(b->parameters(), max_norm);
    ASSERT_TRUE(norm.defined());
    EXPECT_EQ(norm.dim(), 0);
    EXPECT_EQ(norm.dtype(), DType::F64);
    EXPECT_NEAR(norm.item<double>(), host_norm, 1e-12 * host_norm);
    if (max_norm > host_norm) EXPECT_EQ(flat(grads(*b)), flat(grads(*a))) << "×1 must be exact";
    else expect_close(flat(grads(*b)), flat(grads(*a)), 1e-13, "clipped gradients");
  }
  auto none = make_mlp(5);
  EXPECT_FALSE(clip_grad_norm_tensor(none->parameters(), 1.0).defined()) << "no gradients: undefined norm";
}

TEST(ClipTensorOps, AdaptiveClipMatchesTheHostLoop) {
  for (DType dt : {DType::F64, DType::F32}) {
    for (double clipping : {1e-3, 0.05, 1e6}) {
      auto a = make_mlp(6, dt), b = make_mlp(6, dt);
      backprop(*a, 6);
      backprop(*b, 6);
      adaptive_clip_grad(a->parameters(), clipping);
      adaptive_clip_grad_tensor_ops(b->parameters(), clipping);
      expect_close(flat(grads(*b)), flat(grads(*a)), dt == DType::F64 ? 1e-13 : 1e-6, "adaptive clipping");
    }
  }
}

TEST(CheckpointDevice, LoadsOntoAChosenDevice) {
  auto m = make_mlp(7);
  const std::string path =
      (std::filesystem::temp_directory_path() / ("amor_module_device_" + std::to_string(::getpid()) + ".st")).string();
  save_checkpoint(*m, path);
  auto fresh = make_mlp(8);
  Adam opt(fresh->parameters(), 1e-3);
  const TensorImpl* first = fresh->parameters().front().impl();
  load_checkpoint(*fresh, path, Device::cpu());
  std::filesystem::remove(path);
  EXPECT_EQ(fresh->device(), Device::cpu());
  EXPECT_EQ(fresh->parameters().front().impl(), first);
  EXPECT_EQ(flat(fresh->parameters()), flat(m->parameters()));
}

}  // namespace
}  // namespace amor::nn
