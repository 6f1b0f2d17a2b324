// The device plumbing of core/ops/op_utils.h: which CUDA device an op's kernels launch on.
#include "core/ops/op_utils.h"

#ifdef AMOR_HAS_CUDA
#include "kernels/cuda/device.h"
#include "kernels/cuda/stream.h"
#endif

namespace amor::ops {

void throw_no_cuda(const char* op) {
  throw DeviceError(detail::concat(op, ": CUDA tensors need the CUDA backend, which this build of amor "
                                       "does not have (configure with -DAMOR_CUDA=ON and nvcc)"));
}

void check_device_usable(const char* op, Device d) {
  if (d.is_cpu()) return;
#ifdef AMOR_HAS_CUDA
  const int count = cuda_device_count();
  AMOR_CHECK(d.index >= 0 && d.index < count, DeviceError, op, ": cannot use ", d.str(), ": ",
             count == 0 ? std::string("no CUDA device is present on this machine (or no usable driver)")
                        : detail::concat("this machine has ", count, " CUDA device(s)"));
#else
  throw DeviceError(detail::concat(op, ": cannot use ", d.str(), ": this build of amor has no CUDA backend "
                                       "(configure with -DAMOR_CUDA=ON and nvcc)"));
#endif
}

bool use_device_of(const Tensor& t) {
  const Device d = t.device();
  if (d.is_cpu()) [[likely]] return false;
#ifdef AMOR_HAS_CUDA
  kernels::cuda::set_current_device(d.index);
#endif
  return true;
}

}  // namespace amor::ops
