// Asking for a CUDA tensor where there is none is a DeviceError that names the op and says why:
// this build has no CUDA backend, or the machine has no (such) device. Runs on CPU-only machines
// (the unit suite); on a machine with a GPU the "no device" cases cannot happen and skip.
#include <gtest/gtest.h>

#include <string>

#include "core/core.h"
#include "core/random.h"
#ifdef AMOR_HAS_CUDA
#include "kernels/cuda/device.h"
#endif

namespace amor {
namespace {

// The reason every message must give: what is missing.
std::string missing() {
#ifdef AMOR_HAS_CUDA
  return "no CUDA device is present";
#else
  return "CUDA backend";
#endif
}

bool has_device() {
#ifdef AMOR_HAS_CUDA
  return cuda_device_count() > 0;
#else
  return false;
#endif
}

template <class F>
void expect_device_error(const char* what, F&& f, const std::string& op) {
  try {
    (void)f();
    ADD_FAILURE() << what << ": no DeviceError";
  } catch (const DeviceError& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.rfind(op + ": ", 0), 0u) << what << ": \"" << m << "\" should start with \"" << op << ": \"";
    EXPECT_NE(m.find(missing()), std::string::npos) << what << ": \"" << m << "\" should say \"" << missing() << "\"";
    EXPECT_NE(m.find("cuda:"), std::string::npos) << what << ": \"" << m << "\" should name the device";
  }
}

TEST(DeviceErrors, CudaTensorsWithoutADevice) {
  if (has_device()) GTEST_SKIP() << "this machine has a CUDA device: the tests/gpu suite covers it";
  const Tensor x = ones({2, 3});
  expect_device_error("to", [&] { return x.to(Device::cuda()); }, "to");
  expect_device_error("to (strided, requires grad)", [&] {
    Tensor y = ones({3, 2}).requires_grad_();
    return y.t().to(Device::cuda(1));
  }, "to");
  expect_device_error("zeros", [] { return zeros({2}, {.device = Device::cuda()}); }, "full");
  expect_device_error("full", [] { return full({2}, 3.0, {.device = Device::cuda()}); }, "full");
  expect_device_error("arange", [] { return arange(0.0, 3.0, 1.0, {.device = Device::cuda()}); }, "to");
  Generator g(1);
  expect_device_error("rand", [&] { return rand({2}, g, {.device = Device::cuda()}); }, "uniform");
  expect_device_error("randn", [&] { return randn({2}, g, {.device = Device::cuda()}); }, "normal");
  expect_device_error("gamma", [&] { return gamma({2}, 1.5, g, {.device = Device::cuda()}); }, "gamma");
  // A copy into a device tensor cannot be attempted either: no such tensor can be made.
  expect_device_error("copy_ source", [&] { return Tensor::empty({2}).copy_(x.to(Device::cuda())); }, "to");
}

TEST(DeviceErrors, AllocationNamesTheDevice) {
  if (has_device()) GTEST_SKIP() << "this machine has a CUDA device: the tests/gpu suite covers it";
  try {
    (void)Tensor::empty({4}, DType::F32, Device::cuda(2));
    ADD_FAILURE() << "no DeviceError";
  } catch (const DeviceError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("cuda:2"), std::string::npos) << m;
    EXPECT_NE(m.find(missing() == "CUDA backend" ? "CUDA backend" : "no CUDA device"), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace amor
