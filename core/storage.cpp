#include "core/storage.h"

#include "core/allocator.h"
#include "core/error.h"

#ifdef AMOR_HAS_CUDA
#include <stdexcept>

#include "kernels/cuda/allocator.h"
#include "kernels/cuda/device.h"
#endif

namespace amor {

namespace {

#ifdef AMOR_HAS_CUDA
// The CUDA backend's caching allocator (kernels/cuda/allocator.h), its errors as DeviceError.
void* cuda_alloc(size_t nbytes, int device_index) {
  const int count = cuda_device_count();
  AMOR_CHECK(device_index >= 0 && device_index < count, DeviceError, "cannot allocate on cuda:",
             device_index, ": ",
             count == 0 ? std::string("no CUDA device is present (or no usable driver)")
                        : detail::concat("this machine has ", count, " CUDA device(s)"));
  try {
    return kernels::cuda::device_alloc(nbytes, device_index);
  } catch (const std::exception& e) {
    throw DeviceError(detail::concat("cannot allocate ", nbytes, " bytes on cuda:", device_index,
                                     ": ", e.what()));
  }
}
void cuda_free(void* p, size_t nbytes, int device_index) {
  kernels::cuda::device_free(p, nbytes, device_index);
}
#endif

DeviceAllocatorHooks default_cuda_hooks() {
  DeviceAllocatorHooks h;
#ifdef AMOR_HAS_CUDA
  h.alloc = cuda_alloc;
  h.free = cuda_free;
#endif
  return h;
}

}  // namespace

DeviceAllocatorHooks& cuda_allocator_hooks() {
  static DeviceAllocatorHooks hooks = default_cuda_hooks();
  return hooks;
}

Storage::Storage(size_t nbytes, Device device) : nbytes_(nbytes), device_(device), owns_(true) {
  if (device.is_cpu()) {
    data_ = cpu_alloc(nbytes);
  } else {
    auto& h = cuda_allocator_hooks();
    AMOR_CHECK(h.alloc != nullptr, DeviceError, "cannot allocate on ", device.str(),
               ": this build of amor has no CUDA backend (configure with -DAMOR_CUDA=ON and nvcc)");
    data_ = h.alloc(nbytes, device.index);
  }
}

Ptr<Storage> Storage::borrow(void* data, size_t nbytes, Device device) {
  auto* s = new Storage();
  s->data_ = data;
  s->nbytes_ = nbytes;
  s->device_ = device;
  s->owns_ = false;
  return Ptr<Storage>(s);
}

Storage::~Storage() {
  if (!owns_ || !data_) return;
  if (device_.is_cpu()) {
    cpu_free(data_, nbytes_);
  } else if (auto& h = cuda_allocator_hooks(); h.free) {
    h.free(data_, nbytes_, device_.index);
  }
}

}  // namespace amor
