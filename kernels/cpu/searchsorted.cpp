#include "kernels/cpu/searchsorted.h"

#include <bit>

#include "kernels/cpu/loops.h"

namespace amor::kernels::cpu {

namespace {

// a < b in the total order where NaN is the largest value (and equal to itself).
template <class T>
bool less_nan_last(T a, T b) {
  return a < b || (b != b && a == a);
}

}  // namespace

template <class T>
void searchsorted(const T* sorted, int64_t sorted_row_stride, int64_t K, const T* values,
                  int64_t rows, int64_t M, int64_t* out, bool right) {
  const int64_t depth = std::bit_width(static_cast<uint64_t>(K)) + 1;
  detail::for_each_row(rows * M, rows * M * depth, [&](int64_t p) {
    const T* s = sorted + (p / M) * sorted_row_stride;
    const T v = values[p];
    int64_t lo = 0, hi = K;
    while (lo < hi) {
      const int64_t mid = lo + (hi - lo) / 2;
      // left: advance past s[mid] < v; right: advance past s[mid] <= v.
      const bool advance = right ? !less_nan_last(v, s[mid]) : less_nan_last(s[mid], v);
      if (advance)
        lo = mid + 1;
      else
        hi = mid;
    }
    out[p] = lo;
  });
}

template void searchsorted<float>(const float*, int64_t, int64_t, const float*, int64_t, int64_t,
                                  int64_t*, bool);
template void searchsorted<double>(const double*, int64_t, int64_t, const double*, int64_t, int64_t,
                                   int64_t*, bool);
template void searchsorted<int64_t>(const int64_t*, int64_t, int64_t, const int64_t*, int64_t,
                                    int64_t, int64_t*, bool);

}  // namespace amor::kernels::cpu
