#include "core/storage.h"

#include "core/allocator.h"
#include "core/error.h"

namespace amor {

DeviceAllocatorHooks& cuda_allocator_hooks() {
  static DeviceAllocatorHooks hooks;
  return hooks;
}

Storage::Storage(size_t nbytes, Device device) : nbytes_(nbytes), device_(device), owns_(true) {
  if (device.is_cpu()) {
    data_ = cpu_alloc(nbytes);
  } else {
    auto& h = cuda_allocator_hooks();
    AMOR_CHECK(h.alloc != nullptr, DeviceError, "cannot allocate on ", device.str(),
               ": amor was built without CUDA support or the CUDA backend is not loaded");
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
