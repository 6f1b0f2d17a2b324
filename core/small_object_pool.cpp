#include "core/small_object_pool.h"

#include <new>

namespace amor {
namespace {

constexpr size_t kGranule = 16;
constexpr size_t kClasses = kMaxPooledSize / kGranule;
// A thread keeps at most this many free objects per size class.
constexpr size_t kMaxFreePerClass = 8192;

struct FreeNode {
  FreeNode* next;
};

struct Pool {
  FreeNode* heads[kClasses] = {};
  size_t counts[kClasses] = {};
  ~Pool();
};

// Trivially destructible flag: tells a late free (during thread teardown, after the pool's
// destructor ran) to go straight to the global allocator.
thread_local bool t_pool_destroyed = false;

Pool::~Pool() {
  for (size_t c = 0; c < kClasses; ++c)
    for (FreeNode* n = heads[c]; n;) {
      FreeNode* next = n->next;
      ::operator delete(n);
      n = next;
    }
  t_pool_destroyed = true;
}

Pool& pool() {
  thread_local Pool p;
  return p;
}

size_t class_of(size_t n) { return (n + kGranule - 1) / kGranule - 1; }

}  // namespace

void* pool_alloc(size_t n) {
  if (n == 0 || n > kMaxPooledSize || t_pool_destroyed) return ::operator new(n);
  const size_t c = class_of(n);
  Pool& p = pool();
  if (FreeNode* head = p.heads[c]) {
    p.heads[c] = head->next;
    --p.counts[c];
    return head;
  }
  return ::operator new((c + 1) * kGranule);
}

void pool_free(void* ptr, size_t n) noexcept {
  if (!ptr) return;
  if (n == 0 || n > kMaxPooledSize || t_pool_destroyed) {
    ::operator delete(ptr);
    return;
  }
  const size_t c = class_of(n);
  Pool& p = pool();
  if (p.counts[c] >= kMaxFreePerClass) {
    ::operator delete(ptr);
    return;
  }
  auto* node = static_cast<FreeNode*>(ptr);
  node->next = p.heads[c];
  p.heads[c] = node;
  ++p.counts[c];
}

}  // namespace amor
