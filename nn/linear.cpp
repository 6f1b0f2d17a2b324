#include "nn/linear.h"

#include "core/ops.h"
#include "nn/init.h"

namespace amor::nn {

Linear::Linear(int64_t in_features, int64_t out_features, Generator& gen, LinearOptions o)
    : in_(in_features), out_(out_features) {
  AMOR_CHECK(in_features > 0 && out_features > 0, ValueError, "Linear: sizes must be positive, got in=",
             in_features, " out=", out_features);
  if (o.zero_init) {
    weight = zeros(Shape{out_, in_}, {.dtype = o.dtype});
    if (o.bias) bias = zeros(Shape{out_}, {.dtype = o.dtype});
  } else {
    weight = init::linear_default(Shape{out_, in_}, in_, gen, o.dtype);
    if (o.bias) bias = init::linear_default(Shape{out_}, in_, gen, o.dtype);
  }
  register_parameter("weight", &weight);
  if (o.bias) register_parameter("bias", &bias);
}

Tensor Linear::forward(const Tensor& x) {
  AMOR_CHECK(x.dim() >= 1 && x.shape().back() == in_, ShapeError, "Linear(", in_, " -> ", out_,
             "): input ", x.shape(), " must end in ", in_);
  return linear(x, weight, bias);
}

}  // namespace amor::nn
