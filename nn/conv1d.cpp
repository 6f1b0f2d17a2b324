#include "nn/conv1d.h"

#include <cmath>

#include "core/ops.h"
#include "nn/init.h"

namespace amor::nn {

Conv1d::Conv1d(int64_t in_channels, int64_t out_channels, int64_t kernel_size, Generator& gen, Conv1dOptions o)
    : in_(in_channels), out_(out_channels), k_(kernel_size), o_(o) {
  AMOR_CHECK(in_ > 0 && out_ > 0 && k_ > 0, ValueError, "Conv1d: sizes must be positive, got in=", in_,
             " out=", out_, " kernel=", k_);
  AMOR_CHECK(o.stride >= 1 && o.dilation >= 1, ValueError, "Conv1d: stride (", o.stride, ") and dilation (",
             o.dilation, ") must be >= 1");
  if (o.padding == "same") {
    AMOR_CHECK(o.stride == 1, ValueError, "Conv1d: padding \"same\" needs stride 1, got ", o.stride);
    const int64_t total = (k_ - 1) * o.dilation;
    pad_left_ = total / 2;
    pad_right_ = total - pad_left_;
  } else {
    AMOR_CHECK(o.padding == "valid", ValueError, "Conv1d: padding must be \"same\" or \"valid\", got \"",
               o.padding, "\"");
  }
  const int64_t fan_in = in_ * k_;
  weight = init::linear_default(Shape{out_, in_, k_}, fan_in, gen, o.dtype);
  register_parameter("weight", &weight);
  if (o.bias) {
    bias = init::linear_default(Shape{out_}, fan_in, gen, o.dtype);
    register_parameter("bias", &bias);
  }
}

Tensor Conv1d::forward(const Tensor& x) {
  AMOR_CHECK(x.dim() == 3 && x.size(2) == in_, ShapeError, "Conv1d(", in_, " -> ", out_, "): input ", x.shape(),
             " must be [B, L, ", in_, "]");
  return conv1d(x, weight, bias, o_.stride, pad_left_, pad_right_, o_.dilation);
}

}  // namespace amor::nn
