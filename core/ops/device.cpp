// The device plumbing of core/ops/op_utils.h: which CUDA device an op's kernels launch on.
#include "core/ops/op_utils.h"

#ifdef AMOR_HAS_CUDA
#include "kernels/cuda/stream.h"
#endif

namespace amor::ops {

void throw_no_cuda(const char* op) {
  throw DeviceError(detail::concat(op, ": CUDA tensors need the CUDA backend, which this build of amor "
                                       "does not have (configure with -DAMOR_CUDA=ON and nvcc)"));
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
