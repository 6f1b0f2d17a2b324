// The device model of the CUDA backend: one stream per device, on which every amor kernel, copy
// and cuBLAS call for that device is queued, and a per-host-thread current device that picks the
// stream a launch goes to. Work on one device is therefore ordered: a block the caching allocator
// (kernels/cuda/allocator.h) hands out again after a free is only touched by work queued after
// everything that used it before, without events.
//
// Plain C++ header (a cudaStream_t is passed around as void*); implementation in stream.cu,
// built only with AMOR_CUDA. Errors are std::runtime_error naming the call and the CUDA error.
#pragma once

namespace amor::kernels::cuda {

// Makes `device` current for the calling host thread (cudaSetDevice only when it changes).
void set_current_device(int device);
// The calling thread's current device (0 until set).
int current_device();

// The stream of `device` (a cudaStream_t), created non-blocking on first use.
void* device_stream(int device);
// The stream of the current device: where GpuLaunch queues kernels.
inline void* current_stream() { return device_stream(current_device()); }

// Blocks until everything queued on `device`'s stream has run; a kernel's execution error
// surfaces here as std::runtime_error.
void synchronize(int device);

// Makes `device` current for a scope and restores the previous device after it.
class DeviceGuard {
 public:
  explicit DeviceGuard(int device) : previous_(current_device()) { set_current_device(device); }
  ~DeviceGuard() {
    try {
      set_current_device(previous_);
    } catch (...) {  // a destructor must not throw; the next set_current_device retries
    }
  }
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_;
};

}  // namespace amor::kernels::cuda
