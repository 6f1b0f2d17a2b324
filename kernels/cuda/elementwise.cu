#include "kernels/cuda/elementwise.h"

#include "kernels/cuda/elementwise_device.cuh"
#include "kernels/cuda/elementwise_math.cuh"
#include "kernels/cuda/launch.cuh"

namespace amor::kernels::cuda {

template <class T>
void unary(UnaryOp op, const StridedGeometry& g, T* out, const T* x) {
  math::visit_unary_op(op, [&](auto tag) {
    run_map1(g, out, x, math::UnaryForward<decltype(tag)::value>{}, GpuLaunch("cuda unary"));
  });
}

template <class T>
void unary_backward(UnaryOp op, const StridedGeometry& g, T* dx, const T* grad, const T* x,
                    const T* y) {
  math::visit_unary_op(op, [&](auto tag) {
    run_map3(g, dx, grad, x, y, math::UnaryBackward<decltype(tag)::value>{},
             GpuLaunch("cuda unary_backward"));
  });
}

template <class T>
void binary(BinaryOp op, const StridedGeometry& g, T* out, const T* a, const T* b, T alpha) {
  math::visit_binary_op(op, [&](auto tag) {
    run_map2(g, out, a, b, math::Binary<decltype(tag)::value, T>{alpha}, GpuLaunch("cuda binary"));
  });
}

template <class T>
void ternary(TernaryOp op, const StridedGeometry& g, T* out, const T* gr, const T* x, const T* y) {
  math::visit_ternary_op(op, [&](auto tag) {
    run_map3(g, out, gr, x, y, math::Ternary<decltype(tag)::value>{}, GpuLaunch("cuda ternary"));
  });
}

template <class T>
void clamp(const StridedGeometry& g, T* out, const T* x, T lo, T hi) {
  run_map1(g, out, x, math::Clamp<T>{lo, hi}, GpuLaunch("cuda clamp"));
}

template <class T>
void clamp_backward(const StridedGeometry& g, T* dx, const T* grad, const T* x, T lo, T hi) {
  run_map2(g, dx, grad, x, math::ClampBackward<T>{lo, hi}, GpuLaunch("cuda clamp_backward"));
}

template <class T>
void compare(CompareOp op, const StridedGeometry& g, uint8_t* out, const T* a, const T* b) {
  math::visit_compare_op(op, [&](auto tag) {
    run_map2(g, out, a, b, math::Compare<decltype(tag)::value>{}, GpuLaunch("cuda compare"));
  });
}

template <class T>
void where(const StridedGeometry& g, T* out, const uint8_t* mask, const T* a, const T* b) {
  run_map3(g, out, mask, a, b, math::Where{}, GpuLaunch("cuda where"));
}

template <class T>
void isfinite(const StridedGeometry& g, uint8_t* out, const T* x) {
  run_map1(g, out, x, math::IsFinite{}, GpuLaunch("cuda isfinite"));
}

template <class T>
void fill(const StridedGeometry& g, T* out, T value) {
  run_map0(g, out, Constant<T>{value}, GpuLaunch("cuda fill"));
}

template <class To, class Ti>
void cast(const StridedGeometry& g, To* out, const Ti* x) {
  run_map1(g, out, x, math::Cast<To>{}, GpuLaunch("cuda cast"));
}

#define AMOR_INSTANTIATE_FLOAT(T)                                                                 \
  template void unary<T>(UnaryOp, const StridedGeometry&, T*, const T*);                          \
  template void unary_backward<T>(UnaryOp, const StridedGeometry&, T*, const T*, const T*,        \
                                  const T*);                                                      \
  template void binary<T>(BinaryOp, const StridedGeometry&, T*, const T*, const T*, T);           \
  template void ternary<T>(TernaryOp, const StridedGeometry&, T*, const T*, const T*, const T*);  \
  template void clamp<T>(const StridedGeometry&, T*, const T*, T, T);                             \
  template void clamp_backward<T>(const StridedGeometry&, T*, const T*, const T*, T, T);
AMOR_INSTANTIATE_FLOAT(float)
AMOR_INSTANTIATE_FLOAT(double)
#undef AMOR_INSTANTIATE_FLOAT

#define AMOR_INSTANTIATE_CAST(To)                                                  \
  template void cast<To, float>(const StridedGeometry&, To*, const float*);        \
  template void cast<To, double>(const StridedGeometry&, To*, const double*);      \
  template void cast<To, int64_t>(const StridedGeometry&, To*, const int64_t*);    \
  template void cast<To, uint8_t>(const StridedGeometry&, To*, const uint8_t*);
#define AMOR_INSTANTIATE_ANY(T)                                                                  \
  template void compare<T>(CompareOp, const StridedGeometry&, uint8_t*, const T*, const T*);     \
  template void where<T>(const StridedGeometry&, T*, const uint8_t*, const T*, const T*);        \
  template void isfinite<T>(const StridedGeometry&, uint8_t*, const T*);                         \
  template void fill<T>(const StridedGeometry&, T*, T);                                          \
  AMOR_INSTANTIATE_CAST(T)
AMOR_INSTANTIATE_ANY(float)
AMOR_INSTANTIATE_ANY(double)
AMOR_INSTANTIATE_ANY(int64_t)
AMOR_INSTANTIATE_ANY(uint8_t)
#undef AMOR_INSTANTIATE_ANY
#undef AMOR_INSTANTIATE_CAST

}  // namespace amor::kernels::cuda
