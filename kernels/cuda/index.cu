#include "kernels/cuda/index.h"

#include "kernels/cuda/allocator.h"
#include "kernels/cuda/copy.h"
#include "kernels/cuda/index_device.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/stream.h"

namespace amor::kernels::cuda {
namespace {

// The first bad position of idx[0, count) for an axis of size n, or -1 (waits for the device).
int64_t first_bad_index(const int64_t* idx, int64_t count, int64_t n) {
  if (count <= 0) return -1;
  const int device = current_device();
  auto* slot = static_cast<int64_t*>(device_alloc(sizeof(int64_t), device));
  int64_t bad = -1;
  try {
    run_first_bad_index(idx, count, n, slot, GpuLaunch("cuda index check"));
    copy_device_to_host(&bad, slot, sizeof(int64_t), device);
  } catch (...) {
    device_free(slot, sizeof(int64_t), device);
    throw;
  }
  device_free(slot, sizeof(int64_t), device);
  return bad;
}

}  // namespace

template <class T>
int64_t index_select(const T* x, const int64_t* idx, T* out, int64_t outer, int64_t n_in,
                     int64_t inner, int64_t n_idx) {
  if (const int64_t bad = first_bad_index(idx, n_idx, n_in); bad >= 0) return bad;
  run_index_select(x, idx, out, outer, n_in, inner, n_idx, GpuLaunch("cuda index_select"));
  return -1;
}

template <class T>
int64_t gather(const T* x, const int64_t* idx, T* out, int64_t outer, int64_t n_in, int64_t inner,
               int64_t n_idx) {
  if (const int64_t bad = first_bad_index(idx, outer * n_idx * inner, n_in); bad >= 0) return bad;
  run_gather(x, idx, out, outer, n_in, inner, n_idx, GpuLaunch("cuda gather"));
  return -1;
}

template <class T>
int64_t scatter_add(T* out, const int64_t* idx, const T* src, int64_t outer, int64_t n_out,
                    int64_t inner, int64_t n_idx) {
  if (const int64_t bad = first_bad_index(idx, outer * n_idx * inner, n_out); bad >= 0) return bad;
  run_scatter_add(out, idx, src, outer, n_out, inner, n_idx, GpuLaunch("cuda scatter_add"));
  return -1;
}

template <class T>
int64_t index_add(T* out, const int64_t* idx, const T* src, int64_t outer, int64_t n_out,
                  int64_t inner, int64_t n_idx) {
  if (const int64_t bad = first_bad_index(idx, n_idx, n_out); bad >= 0) return bad;
  run_index_add(out, idx, src, outer, n_out, inner, n_idx, GpuLaunch("cuda index_add"));
  return -1;
}

template <class T>
void cumsum(const T* x, T* y, int64_t outer, int64_t n, int64_t inner) {
  run_cumsum(x, y, outer, n, inner, GpuLaunch("cuda cumsum"));
}

template <class T>
void searchsorted(const T* sorted, int64_t sorted_row_stride, int64_t K, const T* values,
                  int64_t rows, int64_t M, int64_t* out, bool right) {
  run_searchsorted(sorted, sorted_row_stride, K, values, rows, M, out, right,
                   GpuLaunch("cuda searchsorted"));
}

#define AMOR_INSTANTIATE_READ(T)                                                                 \
  template int64_t index_select<T>(const T*, const int64_t*, T*, int64_t, int64_t, int64_t,      \
                                   int64_t);                                                     \
  template int64_t gather<T>(const T*, const int64_t*, T*, int64_t, int64_t, int64_t, int64_t);
#define AMOR_INSTANTIATE_ADD(T)                                                                  \
  template int64_t scatter_add<T>(T*, const int64_t*, const T*, int64_t, int64_t, int64_t,       \
                                  int64_t);                                                      \
  template int64_t index_add<T>(T*, const int64_t*, const T*, int64_t, int64_t, int64_t,         \
                                int64_t);                                                        \
  template void searchsorted<T>(const T*, int64_t, int64_t, const T*, int64_t, int64_t, int64_t*, \
                                bool);
AMOR_INSTANTIATE_READ(float)
AMOR_INSTANTIATE_READ(double)
AMOR_INSTANTIATE_READ(int64_t)
AMOR_INSTANTIATE_READ(uint8_t)
AMOR_INSTANTIATE_ADD(float)
AMOR_INSTANTIATE_ADD(double)
AMOR_INSTANTIATE_ADD(int64_t)
template void cumsum<float>(const float*, float*, int64_t, int64_t, int64_t);
template void cumsum<double>(const double*, double*, int64_t, int64_t, int64_t);
#undef AMOR_INSTANTIATE_READ
#undef AMOR_INSTANTIATE_ADD

}  // namespace amor::kernels::cuda
