// Storage: a reference-counted block of memory that one or more tensors view.
//
// Owning storages come from the caching allocator; non-owning storages wrap a caller's buffer
// (zero-copy embedding in research codes) and never free it. The version counter is bumped by
// every in-place write and checked when autodiff unpacks a saved tensor (see Note [Saved tensors]
// in core/autograd.h); all views of one storage share it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/dtype.h"
#include "core/intrusive_ptr.h"

namespace amor {

class Storage final : public RefCounted {
 public:
  // Allocates `nbytes` on `device`.
  Storage(size_t nbytes, Device device);
  // Wraps an external buffer; amor never frees it.
  static Ptr<Storage> borrow(void* data, size_t nbytes, Device device);
  ~Storage() override;

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }
  bool owns() const { return owns_; }

  uint64_t version() const { return version_; }
  void bump_version() { ++version_; }

 private:
  Storage() = default;
  void* data_ = nullptr;
  size_t nbytes_ = 0;
  Device device_{};
  bool owns_ = false;
  uint64_t version_ = 0;
};

// Hooks through which a device backend (CUDA) provides its allocator without core depending on
// it. Registered by the backend at load time; null when the backend is not built.
struct DeviceAllocatorHooks {
  void* (*alloc)(size_t nbytes, int device_index) = nullptr;
  void (*free)(void* p, size_t nbytes, int device_index) = nullptr;
};
DeviceAllocatorHooks& cuda_allocator_hooks();

}  // namespace amor
