#include "kernels/cuda/device.h"

#include <cuda_runtime.h>

#include <string>
#include <vector>

namespace amor {
namespace {

__global__ void axpy_kernel(int n, float a, const float* x, float* y) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = a * x[i] + y[i];
}

std::string describe(cudaError_t e) {
  return std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
}

}  // namespace

int cuda_device_count() noexcept {
  // Asked once per process: the runtime enumerates its devices at initialisation and the answer
  // cannot change afterwards, while every device allocation and op dispatch checks it (a driver
  // call each time was a cost on the allocation path).
  static const int count = [] {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
      (void)cudaGetLastError();  // clear the sticky error so later calls start clean
      return 0;
    }
    return n;
  }();
  return count;
}

std::string cuda_device_name(int index) {
  if (index < 0 || index >= cuda_device_count()) return {};
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, index) != cudaSuccess) {
    (void)cudaGetLastError();
    return {};
  }
  return std::string(prop.name);
}

bool cuda_smoke_test(int index, std::string* error) {
  auto fail = [&](const std::string& what) {
    if (error) *error = what;
    (void)cudaGetLastError();
    return false;
  };
  if (index < 0 || index >= cuda_device_count()) return fail("no CUDA device " + std::to_string(index));
  if (cudaError_t e = cudaSetDevice(index); e != cudaSuccess) return fail("cudaSetDevice: " + describe(e));

  constexpr int n = 1024;
  std::vector<float> x(n), y(n);
  for (int i = 0; i < n; ++i) {
    x[i] = static_cast<float>(i);
    y[i] = 1.0f;
  }
  float* dx = nullptr;
  float* dy = nullptr;
  auto release = [&] {
    if (dx) cudaFree(dx);
    if (dy) cudaFree(dy);
  };
  const size_t bytes = n * sizeof(float);
  cudaError_t e = cudaMalloc(&dx, bytes);
  if (e == cudaSuccess) e = cudaMalloc(&dy, bytes);
  if (e == cudaSuccess) e = cudaMemcpy(dx, x.data(), bytes, cudaMemcpyHostToDevice);
  if (e == cudaSuccess) e = cudaMemcpy(dy, y.data(), bytes, cudaMemcpyHostToDevice);
  if (e == cudaSuccess) {
    axpy_kernel<<<(n + 255) / 256, 256>>>(n, 2.0f, dx, dy);
    e = cudaGetLastError();
  }
  if (e == cudaSuccess) e = cudaMemcpy(y.data(), dy, bytes, cudaMemcpyDeviceToHost);
  release();
  if (e != cudaSuccess) return fail(describe(e));
  for (int i = 0; i < n; ++i) {
    const float expected = 2.0f * static_cast<float>(i) + 1.0f;
    if (y[i] != expected) {
      return fail("axpy mismatch at " + std::to_string(i) + ": got " + std::to_string(y[i]) +
                  ", expected " + std::to_string(expected));
    }
  }
  return true;
}

}  // namespace amor
