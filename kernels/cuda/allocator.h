// The CUDA caching allocator: device memory for amor tensors (core/storage.cpp calls it through
// cuda_allocator_hooks when the CUDA backend is built). Plain cudaMalloc'd device memory, never
// managed memory; the caching policy is kernels/cuda/block_cache.h (size classes, per-device free
// lists, empty-and-retry on out-of-memory). Plain C++ header; implementation in allocator.cu.
#pragma once

#include <cstddef>

#include "kernels/cuda/block_cache.h"

namespace amor::kernels::cuda {

// A block of at least `nbytes` on `device`. Throws std::invalid_argument when `device` is not a
// usable device and std::runtime_error when it is out of memory (after emptying the cache).
void* device_alloc(size_t nbytes, int device);
// Returns a block from device_alloc(nbytes, device) to the cache.
void device_free(void* p, size_t nbytes, int device);
// Gives every cached block of `device` back to the driver (waits for the device's stream first).
void device_empty_cache(int device);
DeviceAllocatorStats device_allocator_stats(int device);

}  // namespace amor::kernels::cuda
