// The CUDA caching allocator's policy (kernels/cuda/block_cache.h) on host memory: size classes,
// reuse from the free lists, statistics, empty(), and the empty-and-retry on out-of-memory.
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>
#include <vector>

#include "kernels/cuda/block_cache.h"

namespace amor::kernels::cuda {
namespace {

int g_raw_allocs = 0, g_raw_frees = 0;
size_t g_budget = size_t(-1);  // raw bytes the fake device may still hand out
size_t g_live = 0;

void* fake_alloc(size_t bytes, int) {
  if (bytes > g_budget - g_live) return nullptr;
  ++g_raw_allocs;
  g_live += bytes;
  auto* p = static_cast<size_t*>(std::malloc(bytes + sizeof(size_t)));
  *p = bytes;
  return p + 1;
}
void fake_free(void* p, int) {
  ++g_raw_frees;
  size_t* base = static_cast<size_t*>(p) - 1;
  g_live -= *base;
  std::free(base);
}

struct Reset {
  Reset() { g_raw_allocs = g_raw_frees = 0, g_budget = size_t(-1), g_live = 0; }
};

TEST(CudaBlockCache, SizeClasses) {
  EXPECT_EQ(BlockCache::size_class(0), 512u);
  EXPECT_EQ(BlockCache::size_class(1), 512u);
  EXPECT_EQ(BlockCache::size_class(512), 512u);
  EXPECT_EQ(BlockCache::size_class(513), 1024u);
  EXPECT_EQ(BlockCache::size_class(4097), 5120u);  // 4096 · 1.25
  EXPECT_EQ(BlockCache::size_class(6000), 6144u);  // 4096 · 1.5
  for (size_t n : {size_t(1), size_t(700), size_t(12345), size_t(1) << 20, (size_t(1) << 30) + 1}) {
    const size_t c = BlockCache::size_class(n);
    EXPECT_GE(c, n);
    EXPECT_EQ(c % 512, 0u);
    EXPECT_LE(c, n + n / 4 + 512) << n;  // at most 25% (plus alignment) wasted
    EXPECT_EQ(BlockCache::size_class(c), c) << "classes are fixed points";
  }
}

TEST(CudaBlockCache, FreedBlocksAreReusedAndCounted) {
  Reset r;
  BlockCache cache(0, fake_alloc, fake_free);
  void* a = cache.allocate(1000);
  void* b = cache.allocate(1000);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a, b);
  EXPECT_EQ(g_raw_allocs, 2);
  cache.release(a, 1000);
  DeviceAllocatorStats s = cache.stats();
  EXPECT_EQ(s.cached_bytes, 1024u);
  EXPECT_EQ(s.allocated_bytes, 1024u);
  void* c = cache.allocate(900);  // same class: the freed block comes back
  EXPECT_EQ(c, a);
  EXPECT_EQ(g_raw_allocs, 2);
  void* d = cache.allocate(3000);  // another class: a raw allocation
  EXPECT_EQ(g_raw_allocs, 3);
  s = cache.stats();
  EXPECT_EQ(s.allocations, 4u);
  EXPECT_EQ(s.cache_hits, 1u);
  EXPECT_EQ(s.device_allocs, 3u);
  EXPECT_EQ(s.cached_bytes, 0u);
  EXPECT_EQ(s.allocated_bytes, 1024u + 1024u + 3072u);
  EXPECT_EQ(s.peak_allocated_bytes, s.allocated_bytes);
  for (void* p : {b, c}) cache.release(p, 1000);
  cache.release(d, 3000);
  EXPECT_EQ(cache.stats().allocated_bytes, 0u);
  EXPECT_EQ(cache.stats().cached_bytes, 1024u + 1024u + 3072u);
  cache.empty();
  EXPECT_EQ(g_raw_frees, 3);
  EXPECT_EQ(g_live, 0u);
  s = cache.stats();
  EXPECT_EQ(s.cached_bytes, 0u);
  EXPECT_EQ(s.device_frees, 3u);
}

TEST(CudaBlockCache, OutOfMemoryEmptiesTheCacheAndRetries) {
  Reset r;
  BlockCache cache(0, fake_alloc, fake_free);
  g_budget = 8192;
  void* a = cache.allocate(4096);
  void* b = cache.allocate(2048);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  cache.release(a, 4096);  // 4096 cached, 2048 live: 6144 of 8192 raw bytes taken
  void* c = cache.allocate(5000);  // class 5120 does not fit beside them: the cache is emptied
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(g_raw_frees, 1);
  EXPECT_EQ(cache.stats().cached_bytes, 0u);
  EXPECT_EQ(cache.allocate(4096), nullptr);  // truly out of memory: null, nothing leaked
  cache.release(b, 2048);
  cache.release(c, 5000);
  cache.empty();
  EXPECT_EQ(g_live, 0u);
}

}  // namespace
}  // namespace amor::kernels::cuda
