// CUDA device discovery and a kernel round trip. Labelled `gpu`; skips without a device.
#include <gtest/gtest.h>

#include <string>

#include "kernels/cuda/device.h"

namespace {

TEST(CudaDevice, CountNeverFails) {
  const int n = amor::cuda_device_count();
  EXPECT_GE(n, 0);
  EXPECT_EQ(amor::cuda_device_name(-1), "");
  EXPECT_EQ(amor::cuda_device_name(n), "");  // one past the last device
}

TEST(CudaDevice, NamesAndSmokeKernel) {
  const int n = amor::cuda_device_count();
  if (n == 0) GTEST_SKIP() << "no CUDA device (or no driver) on this machine; skipping GPU test";
  for (int i = 0; i < n; ++i) {
    const std::string name = amor::cuda_device_name(i);
    EXPECT_FALSE(name.empty()) << "device " << i;
    std::string error;
    EXPECT_TRUE(amor::cuda_smoke_test(i, &error)) << "device " << i << " (" << name << "): " << error;
  }
}

}  // namespace
