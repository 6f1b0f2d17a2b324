#include "nn/time_embedding.h"

#include <cmath>
#include <numbers>

#include "core/ops.h"

namespace amor::nn {

namespace {
Tensor as_column(const Tensor& t, const char* who) {
  AMOR_CHECK(t.dim() == 1 || (t.dim() == 2 && t.shape()[1] == 1), ShapeError, who, ": t must be [B] or [B, 1], got ",
             t.shape());
  return t.reshape(Shape{-1, 1});
}
}  // namespace

GaussianFourierEmbedding::GaussianFourierEmbedding(int64_t dim, Generator& gen, double scale, DType dtype) : dim_(dim) {
  AMOR_CHECK(dim > 0 && dim % 2 == 0, ValueError, "GaussianFourierEmbedding: dim must be positive and even, got ", dim);
  frequencies = normal(Shape{dim / 2}, 0.0, scale, gen, {.dtype = dtype});
  register_buffer("frequencies", &frequencies);
}

Tensor GaussianFourierEmbedding::forward(const Tensor& t) const {
  Tensor arg = as_column(t, "GaussianFourierEmbedding") * frequencies * (2 * std::numbers::pi);  // [B, dim/2]
  return concat({cos(arg), sin(arg)}, 1);
}

Tensor sinusoidal_embedding(const Tensor& t, int64_t dim, double max_period) {
  AMOR_CHECK(dim > 0 && dim % 2 == 0, ValueError, "sinusoidal_embedding: dim must be positive and even, got ", dim);
  const int64_t half = dim / 2;
  Tensor freqs = exp(arange(0.0, double(half), 1.0, {.dtype = t.dtype(), .device = t.device()}) * (-std::log(max_period) / double(half)));
  Tensor arg = as_column(t, "sinusoidal_embedding") * freqs;
  return concat({cos(arg), sin(arg)}, 1);
}

}  // namespace amor::nn
