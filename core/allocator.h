// CPU caching allocator. Requests are rounded up to a size class (powers of two split in four
// steps: 64 B, 80 B, 96 B, 112 B, 128 B, ...) and freed blocks go back onto a per-class free
// list, so steady-state training (the same shapes every step) calls no malloc. Blocks are
// 64-byte aligned. Each thread keeps its own free lists (no locks on the hot path); a block
// freed on another thread than it was allocated on simply joins that thread's lists.
#pragma once

#include <cstddef>
#include <cstdint>

namespace amor {

struct AllocatorStats {
  uint64_t allocations = 0;    // calls to cpu_alloc
  uint64_t cache_hits = 0;     // served from a free list
  uint64_t system_allocs = 0;  // calls that reached the system allocator
  size_t cached_bytes = 0;     // bytes held in this thread's free lists now
};

// Returns a 64-byte-aligned block of at least `nbytes` bytes (nbytes may be 0).
void* cpu_alloc(size_t nbytes);
// Returns a block obtained from cpu_alloc(nbytes) to the cache.
void cpu_free(void* p, size_t nbytes);
// Releases every cached block of the calling thread to the system.
void cpu_empty_cache();
// Statistics of the calling thread's cache.
AllocatorStats cpu_allocator_stats();

// The size class a request of `nbytes` is rounded up to (exposed for tests).
size_t cpu_alloc_size_class(size_t nbytes);

}  // namespace amor
