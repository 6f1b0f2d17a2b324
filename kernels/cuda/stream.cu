#include "kernels/cuda/stream.h"

#include <cuda_runtime.h>

#include <array>
#include <mutex>
#include <stdexcept>
#include <string>

#include "kernels/cuda/launch.cuh"

namespace amor::kernels::cuda {
namespace {

constexpr int kMaxDevices = 64;

thread_local int t_current_device = 0;
thread_local bool t_device_set = false;

struct Streams {
  std::mutex mutex;
  std::array<cudaStream_t, kMaxDevices> stream{};
  std::array<bool, kMaxDevices> created{};
};

Streams& streams() {
  static Streams s;  // leaked on purpose at exit: the driver may already be shutting down
  return s;
}

void check_index(int device, const char* what) {
  if (device < 0 || device >= kMaxDevices)
    throw std::invalid_argument(std::string(what) + ": invalid CUDA device index " +
                                std::to_string(device));
}

}  // namespace

void set_current_device(int device) {
  check_index(device, "set_current_device");
  if (t_device_set && t_current_device == device) return;
  throw_on_cuda_error(cudaSetDevice(device), "cudaSetDevice");
  t_current_device = device;
  t_device_set = true;
}

int current_device() { return t_current_device; }

void* device_stream(int device) {
  check_index(device, "device_stream");
  Streams& s = streams();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.created[size_t(device)]) {
    int previous = 0;
    throw_on_cuda_error(cudaGetDevice(&previous), "cudaGetDevice");
    throw_on_cuda_error(cudaSetDevice(device), "cudaSetDevice");
    cudaStream_t st = nullptr;
    const cudaError_t e = cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking);
    (void)cudaSetDevice(previous);
    throw_on_cuda_error(e, "cudaStreamCreateWithFlags");
    s.stream[size_t(device)] = st;
    s.created[size_t(device)] = true;
  }
  return s.stream[size_t(device)];
}

void synchronize(int device) {
  throw_on_cuda_error(cudaStreamSynchronize(static_cast<cudaStream_t>(device_stream(device))),
                      "cudaStreamSynchronize (a kernel failed, or an earlier asynchronous error)");
}

}  // namespace amor::kernels::cuda
