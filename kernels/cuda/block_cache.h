// The policy of the CUDA caching allocator (kernels/cuda/allocator.h), kept free of CUDA so the
// CPU unit tests exercise it with malloc: requests are rounded up to a size class (512 B, then
// powers of two split in four steps, as core/allocator's classes), and a freed block goes onto its
// class's free list instead of back to the device, so steady-state training (the same shapes
// every step) calls no cudaMalloc. One BlockCache per device, guarded by a mutex (tensors may be
// freed on any host thread).
//
// Reuse without events is safe because all work on a device runs on its one stream
// (kernels/cuda/stream.h): a reused block is only touched by work queued after the work that used
// it before. When the raw allocation fails, the cache is emptied and the allocation retried once.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace amor::kernels::cuda {

struct DeviceAllocatorStats {
  uint64_t allocations = 0;       // calls to allocate
  uint64_t cache_hits = 0;        // served from a free list
  uint64_t device_allocs = 0;     // raw allocations (cudaMalloc)
  uint64_t device_frees = 0;      // raw frees (cudaFree, by empty_cache or an out-of-memory retry)
  size_t cached_bytes = 0;        // bytes in the free lists now
  size_t allocated_bytes = 0;     // bytes handed out and not yet returned (size classes)
  size_t peak_allocated_bytes = 0;
};

class BlockCache {
 public:
  using RawAlloc = void* (*)(size_t bytes, int device);  // null when out of memory
  using RawFree = void (*)(void* p, int device);

  BlockCache(int device, RawAlloc raw_alloc, RawFree raw_free)
      : device_(device), raw_alloc_(raw_alloc), raw_free_(raw_free) {}
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;
  ~BlockCache() = default;  // cached blocks are left to the driver at exit (see allocator.cu)

  static constexpr size_t kMinBlock = 512;

  // The size class a request of `nbytes` is rounded up to (>= kMinBlock, a multiple of it).
  static size_t size_class(size_t nbytes) {
    if (nbytes <= kMinBlock) return kMinBlock;
    const int k = std::bit_width(nbytes - 1) - 1;  // 2^k < nbytes <= 2^(k+1)
    const size_t base = size_t(1) << k, step = base / 4;
    const size_t size = base + (nbytes - base + step - 1) / step * step;
    return (size + kMinBlock - 1) / kMinBlock * kMinBlock;
  }

  // A block of at least `nbytes`; null when even an emptied cache cannot get one.
  void* allocate(size_t nbytes) {
    const size_t size = size_class(nbytes);
    std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.allocations;
    void* p = nullptr;
    if (auto it = free_.find(size); it != free_.end() && !it->second.empty()) {
      p = it->second.back();
      it->second.pop_back();
      ++stats_.cache_hits;
      stats_.cached_bytes -= size;
    } else {
      p = raw_alloc_(size, device_);
      if (!p && stats_.cached_bytes > 0) {
        empty_locked();
        p = raw_alloc_(size, device_);
      }
      if (!p) return nullptr;
      ++stats_.device_allocs;
    }
    stats_.allocated_bytes += size;
    if (stats_.allocated_bytes > stats_.peak_allocated_bytes)
      stats_.peak_allocated_bytes = stats_.allocated_bytes;
    return p;
  }

  // Returns a block from allocate(nbytes) to its free list.
  void release(void* p, size_t nbytes) {
    if (!p) return;
    const size_t size = size_class(nbytes);
    std::lock_guard<std::mutex> lock(mutex_);
    free_[size].push_back(p);
    stats_.cached_bytes += size;
    stats_.allocated_bytes -= size;
  }

  // Gives every cached block back to the device.
  void empty() {
    std::lock_guard<std::mutex> lock(mutex_);
    empty_locked();
  }

  DeviceAllocatorStats stats() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }

 private:
  void empty_locked() {
    for (auto& [size, blocks] : free_) {
      for (void* p : blocks) {
        raw_free_(p, device_);
        ++stats_.device_frees;
      }
      blocks.clear();
    }
    stats_.cached_bytes = 0;
  }

  int device_;
  RawAlloc raw_alloc_;
  RawFree raw_free_;
  mutable std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  DeviceAllocatorStats stats_;
};

}  // namespace amor::kernels::cuda
