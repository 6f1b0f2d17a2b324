#include "nn/set_pooling.h"

#include "core/ops.h"

namespace amor::nn {

Tensor set_pool(const Tensor& x, Pool kind, const Tensor& mask) {
  AMOR_CHECK(x.dim() == 3, ShapeError, "set_pool: x must be [B, N, C], got ", x.shape());
  if (!mask.defined()) {
    switch (kind) {
      case Pool::Mean: return mean(x, {1});
      case Pool::Sum: return sum(x, {1});
      case Pool::Max: return max(x, 1);
    }
  }
  AMOR_CHECK(mask.dtype() == DType::Bool && (mask.shape() == Shape{x.shape()[0], x.shape()[1]}), ShapeError,
             "set_pool: mask must be bool [B, N] = [", x.shape()[0], ", ", x.shape()[1], "], got ", mask.dtype(),
             " ", mask.shape());
  Tensor m = mask.unsqueeze(2);  // [B, N, 1]
  switch (kind) {
    case Pool::Sum: return sum(where(m, x, 0.0), {1});
    case Pool::Mean: {
      Tensor count = sum(where(m, ones(Shape{}, {.dtype = x.dtype(), .device = x.device()}), 0.0), {1});  // [B, 1]
      return sum(where(m, x, 0.0), {1}) / clamp(count, 1.0, std::nullopt);
    }
    case Pool::Max: {
      // Padding gets -inf-like values; an empty set then yields 0 via the has-any mask.
      Tensor filled = where(m, x, -1e30);
      Tensor mx = max(filled, 1);
      Tensor any_real = gt(sum(where(m, ones(Shape{}, {.dtype = x.dtype(), .device = x.device()}), 0.0), {1}), 0.0);  // [B, 1]
      return where(any_real, mx, 0.0);
    }
  }
  return x;
}

}  // namespace amor::nn
