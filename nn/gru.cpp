#include "nn/gru.h"

#include <vector>

#include "core/ops.h"
#include "nn/init.h"

namespace amor::nn {

GRU::GRU(int64_t input_size, int64_t hidden_size, Generator& gen, DType dtype)
    : in_(input_size), hidden_(hidden_size) {
  AMOR_CHECK(in_ > 0 && hidden_ > 0, ValueError, "GRU: sizes must be positive, got input=", in_, " hidden=",
             hidden_);
  weight_ih = init::linear_default(Shape{3 * hidden_, in_}, hidden_, gen, dtype);
  weight_hh = init::linear_default(Shape{3 * hidden_, hidden_}, hidden_, gen, dtype);
  bias_ih = init::linear_default(Shape{3 * hidden_}, hidden_, gen, dtype);
  bias_hh = init::linear_default(Shape{3 * hidden_}, hidden_, gen, dtype);
  register_parameter("weight_ih", &weight_ih);
  register_parameter("weight_hh", &weight_hh);
  register_parameter("bias_ih", &bias_ih);
  register_parameter("bias_hh", &bias_hh);
}

Tensor GRU::forward(const Tensor& x, const Tensor& mask, bool reverse, Tensor* states) const {
  AMOR_CHECK(x.dim() == 3 && x.size(2) == in_, ShapeError, "GRU(", in_, " -> ", hidden_, "): input ", x.shape(),
             " must be [B, L, ", in_, "]");
  const int64_t B = x.size(0), L = x.size(1), H = hidden_;
  if (mask.defined())
    AMOR_CHECK(mask.dtype() == DType::Bool && mask.shape() == (Shape{B, L}), ShapeError, "GRU: mask must be bool [",
               B, ", ", L, "], got ", mask.dtype(), " ", mask.shape());
  const Tensor gates_x = linear(x, weight_ih, bias_ih);  // [B, L, 3H]
  Tensor h = zeros(Shape{B, H}, {.dtype = x.dtype(), .device = x.device()});
  std::vector<Tensor> out(states ? size_t(L) : 0);
  for (int64_t s = 0; s < L; ++s) {
    const int64_t t = reverse ? L - 1 - s : s;
    const Tensor gx = gates_x.select(1, t);                 // [B, 3H]
    const Tensor gh = linear(h, weight_hh, bias_hh);         // [B, 3H]
    const Tensor r = sigmoid(gx.narrow(1, 0, H) + gh.narrow(1, 0, H));
    const Tensor z = sigmoid(gx.narrow(1, H, H) + gh.narrow(1, H, H));
    const Tensor n = tanh(gx.narrow(1, 2 * H, H) + r * gh.narrow(1, 2 * H, H));
    Tensor h_new = n + z * (h - n);
    h = mask.defined() ? where(mask.narrow(1, t, 1), h_new, h) : h_new;  // mask column [B, 1]
    if (states) out[size_t(t)] = h;
  }
  if (states) *states = L > 0 ? stack(out, 1) : zeros(Shape{B, 0, H}, {.dtype = x.dtype(), .device = x.device()});
  return h;
}

}  // namespace amor::nn
