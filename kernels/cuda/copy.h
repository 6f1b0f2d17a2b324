// Copies between host memory and device memory, and between devices, queued on the devices'
// amor streams (kernels/cuda/stream.h) so that they are ordered with the kernels there. Strided
// and converting copies on one device are elementwise kernels (kernels/cuda/elementwise.h); these
// move contiguous bytes. Plain C++ header; errors are std::runtime_error.
#pragma once

#include <cstddef>

namespace amor::kernels::cuda {

// dst (device memory of `device`) <- src (pageable host memory). Returns once `src` may be
// reused; the device-side write completes in stream order.
void copy_host_to_device(void* dst, const void* src, size_t bytes, int device);
// dst (host memory) <- src (device memory of `device`), after all work queued on the device's
// stream: waits for it, so a kernel's execution error surfaces here.
void copy_device_to_host(void* dst, const void* src, size_t bytes, int device);
// dst on dst_device <- src on src_device (the same device or peers). Waits for src_device's
// stream first when the devices differ.
void copy_device_to_device(void* dst, int dst_device, const void* src, int src_device,
                           size_t bytes);

}  // namespace amor::kernels::cuda
