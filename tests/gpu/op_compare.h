// Runs a core op on the CPU and on a CUDA device and compares the two, forward and backward:
// the CUDA inputs are copies of the CPU inputs, the upstream gradient is random (the same on
// both), and every output and every input gradient must agree within the dtype's tolerance.
// Labelled `gpu` with the rest of tests/gpu; callers start with AMOR_REQUIRE_GPU().
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "core/core.h"
#include "core/random.h"

namespace amor::testing {

// float32: the GPU's libm and FMA contraction against the CPU's fast_math and separate
// multiply-add; float64: rounding-order differences only.
struct OpTol {
  double atol, rtol;
};
inline OpTol op_tol(DType dt) { return dt == DType::F32 ? OpTol{2e-5, 1e-4} : OpTol{1e-11, 1e-10}; }

inline void expect_same_values(const std::string& what, const Tensor& got, const Tensor& want,
                               OpTol tol) {
  ASSERT_TRUE(got.defined() && want.defined()) << what << ": undefined tensor";
  EXPECT_TRUE(got.device().is_cuda()) << what << " should live on the device, got " << got.str();
  ASSERT_EQ(got.shape(), want.shape()) << what;
  ASSERT_EQ(got.dtype(), want.dtype()) << what;
  const std::vector<double> g = got.to_vector<double>(), w = want.to_vector<double>();
  int bad = 0;
  for (size_t i = 0; i < g.size() && bad < 5; ++i) {
    const bool ok = (std::isnan(g[i]) && std::isnan(w[i])) ||
                    (std::isinf(w[i]) ? g[i] == w[i]
                                      : std::fabs(g[i] - w[i]) <= tol.atol + tol.rtol * std::fabs(w[i]));
    if (!ok) {
      ++bad;
      ADD_FAILURE() << what << "[" << i << "]: cuda " << g[i] << " vs cpu " << w[i];
    }
  }
}

// One input of an op: its CPU value and whether gradients flow into it.
struct OpInput {
  Tensor value;
  bool differentiable = true;
};

using OpFn = std::function<Tensor(const std::vector<Tensor>&)>;

// f on CPU copies and on CUDA copies of `inputs` (floating inputs converted to dt), compared
// forward and backward (for a floating output when any input is differentiable).
inline void compare_op(const std::string& name, DType dt, const std::vector<OpInput>& inputs,
                       const OpFn& f, uint64_t seed = 1) {
  SCOPED_TRACE(name + " (" + dtype_name(dt) + ")");
  std::vector<Tensor> cpu_in, dev_in, cpu_diff, dev_diff;
  for (const OpInput& in : inputs) {
    Tensor c = is_floating(in.value.dtype()) ? in.value.to(dt).detach() : in.value.detach();
    Tensor d = c.to(Device::cuda(0));
    if (in.differentiable) {
      c.requires_grad_();
      d.requires_grad_();
      cpu_diff.push_back(c);
      dev_diff.push_back(d);
    }
    cpu_in.push_back(c);
    dev_in.push_back(d);
  }
  const Tensor out = f(cpu_in);
  const Tensor out_d = f(dev_in);
  const OpTol tol = op_tol(dt);
  expect_same_values("forward", out_d, out, tol);
  if (cpu_diff.empty() || !is_floating(out.dtype()) || !out.requires_grad()) return;
  Generator gen(seed);
  const Tensor g = randn(out.shape(), gen, {.dtype = out.dtype()});
  const std::vector<Tensor> grads = amor::grad({out}, cpu_diff, {g}, false, true);
  const std::vector<Tensor> grads_d = amor::grad({out_d}, dev_diff, {g.to(Device::cuda(0))}, false, true);
  ASSERT_EQ(grads.size(), grads_d.size());
  for (size_t i = 0; i < grads.size(); ++i) {
    if (!grads[i].defined()) {
      EXPECT_FALSE(grads_d[i].defined()) << "gradient " << i;
      continue;
    }
    expect_same_values("gradient of input " + std::to_string(i), grads_d[i], grads[i], tol);
  }
}

}  // namespace amor::testing
