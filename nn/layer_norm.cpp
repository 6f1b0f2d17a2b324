#include "nn/layer_norm.h"

#include "core/ops.h"

namespace amor::nn {

LayerNorm::LayerNorm(int64_t features, double eps, bool affine, DType dtype) : features_(features), eps_(eps) {
  AMOR_CHECK(features > 0, ValueError, "LayerNorm: features must be positive, got ", features);
  if (affine) {
    weight = ones(Shape{features}, {.dtype = dtype});
    bias = zeros(Shape{features}, {.dtype = dtype});
    register_parameter("weight", &weight);
    register_parameter("bias", &bias);
  }
}

Tensor LayerNorm::forward(const Tensor& x) {
  AMOR_CHECK(x.dim() >= 1 && x.shape().back() == features_, ShapeError, "LayerNorm(", features_,
             "): input ", x.shape(), " must end in ", features_);
  return layer_norm(x, weight, bias, eps_);
}

}  // namespace amor::nn
