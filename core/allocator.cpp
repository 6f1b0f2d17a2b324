#include "core/allocator.h"

#include <bit>
#include <cstdlib>
#include <new>
#include <vector>

#include "core/error.h"

namespace amor {
namespace {

constexpr size_t kAlign = 64;
// Blocks larger than this are not cached (rare, and caching them would hoard memory).
constexpr size_t kMaxCachedBlock = size_t(1) << 30;
// A thread never holds more than this many bytes in its free lists.
constexpr size_t kMaxCachedBytes = size_t(2) << 30;
constexpr int kClasses = 4 * 64;

// Class index: for sizes in [2^k, 2^(k+1)) four classes 2^k * {1, 1.25, 1.5, 1.75}.
int class_index(size_t n) {
  if (n <= kAlign) return 0;
  int k = std::bit_width(n - 1) - 1;  // 2^k < n <= 2^(k+1)
  size_t base = size_t(1) << k;
  size_t step = base / 4;
  size_t sub = (n - base + step - 1) / step;  // 1..4
  return 4 * k + static_cast<int>(sub) - 1 - 4 * 5;  // shift so that 64 B..128 B start near 0
}

size_t class_size(size_t n) {
  if (n <= kAlign) return kAlign;
  int k = std::bit_width(n - 1) - 1;
  size_t base = size_t(1) << k;
  size_t step = base / 4;
  size_t sub = (n - base + step - 1) / step;
  size_t size = base + sub * step;
  return (size + kAlign - 1) / kAlign * kAlign;
}

// Set once a thread's cache is destroyed: blocks freed later during thread teardown (by other
// thread_local objects) go straight to the system.
thread_local bool t_cache_destroyed = false;

struct ThreadCache {
  std::vector<void*> lists[kClasses];
  AllocatorStats stats;

  ~ThreadCache() {
    release();
    t_cache_destroyed = true;
  }
  void release() {
    for (auto& l : lists) {
      for (void* p : l) std::free(p);
      l.clear();
    }
    stats.cached_bytes = 0;
  }
};

ThreadCache& cache() {
  thread_local ThreadCache c;
  return c;
}

}  // namespace

size_t cpu_alloc_size_class(size_t nbytes) { return class_size(nbytes); }

void* cpu_alloc(size_t nbytes) {
  if (t_cache_destroyed) {
    void* p = std::aligned_alloc(kAlign, class_size(nbytes));
    if (!p) throw Error(detail::concat("out of memory allocating ", nbytes, " bytes"));
    return p;
  }
  ThreadCache& c = cache();
  ++c.stats.allocations;
  size_t size = class_size(nbytes);
  if (size <= kMaxCachedBlock) {
    int idx = class_index(size);
    AMOR_INTERNAL_CHECK(idx >= 0 && idx < kClasses);
    auto& l = c.lists[idx];
    if (!l.empty()) {
      void* p = l.back();
      l.pop_back();
      ++c.stats.cache_hits;
      c.stats.cached_bytes -= size;
      return p;
    }
  }
  ++c.stats.system_allocs;
  void* p = std::aligned_alloc(kAlign, size);
  if (!p) {
    c.release();  // give back what we hold and try once more before failing
    p = std::aligned_alloc(kAlign, size);
    if (!p) throw Error(detail::concat("out of memory allocating ", nbytes, " bytes"));
  }
  return p;
}

void cpu_free(void* p, size_t nbytes) {
  if (!p) return;
  if (t_cache_destroyed) {
    std::free(p);
    return;
  }
  ThreadCache& c = cache();
  size_t size = class_size(nbytes);
  if (size <= kMaxCachedBlock && c.stats.cached_bytes + size <= kMaxCachedBytes) {
    c.lists[class_index(size)].push_back(p);
    c.stats.cached_bytes += size;
    return;
  }
  std::free(p);
}

void cpu_empty_cache() { cache().release(); }

AllocatorStats cpu_allocator_stats() { return cache().stats; }

}  // namespace amor
