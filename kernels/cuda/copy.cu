#include "kernels/cuda/copy.h"

#include <cuda_runtime.h>

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/stream.h"

namespace amor::kernels::cuda {
namespace {
cudaStream_t stream_of(int device) { return static_cast<cudaStream_t>(device_stream(device)); }
}  // namespace

void copy_host_to_device(void* dst, const void* src, size_t bytes, int device) {
  if (bytes == 0) return;
  DeviceGuard guard(device);
  // From pageable memory the call returns once src has been staged, so src may then be freed.
  throw_on_cuda_error(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream_of(device)),
                      "copy to device (cudaMemcpyAsync)");
}

void copy_device_to_host(void* dst, const void* src, size_t bytes, int device) {
  DeviceGuard guard(device);
  if (bytes > 0)
    throw_on_cuda_error(
        cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream_of(device)),
        "copy to host (cudaMemcpyAsync)");
  synchronize(device);
}

void copy_device_to_device(void* dst, int dst_device, const void* src, int src_device,
                           size_t bytes) {
  if (bytes == 0) return;
  if (dst_device == src_device) {
    DeviceGuard guard(dst_device);
    throw_on_cuda_error(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice,
                                        stream_of(dst_device)),
                        "device copy (cudaMemcpyAsync)");
    return;
  }
  synchronize(src_device);
  DeviceGuard guard(dst_device);
  throw_on_cuda_error(
      cudaMemcpyPeerAsync(dst, dst_device, src, src_device, bytes, stream_of(dst_device)),
      "copy between devices (cudaMemcpyPeerAsync)");
}

}  // namespace amor::kernels::cuda
