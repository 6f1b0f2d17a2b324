// Per-thread free lists for the small objects every op creates (TensorImpl, Storage, autodiff
// nodes): after warm-up, recording an op reuses memory instead of calling malloc/free for each.
// Sizes are rounded to 16-byte classes up to kMaxPooledSize; larger requests go to the global
// operator new. Memory freed on another thread than it was allocated on joins that thread's lists.
#pragma once

#include <cstddef>

namespace amor {

inline constexpr size_t kMaxPooledSize = 512;

void* pool_alloc(size_t nbytes);
void pool_free(void* p, size_t nbytes) noexcept;

}  // namespace amor
