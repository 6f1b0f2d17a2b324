// conv1d as im2col + GEMM, composed of recorded ops (slices, concat, linear): the K shifted,
// strided views of the zero-padded input are concatenated along the channel axis into
// cols [B, L_out, K·C_in] (ordered k-major, then channel), and one linear() with the weight
// rearranged to [C_out, K·C_in] does the contraction. Autodiff differentiates the composition
// (the backward of a slice/concat is a col2im), so no hand-written backward can drift from the
// forward. The kernel sizes of summary networks are small (K ≤ ~7), so the K copies are cheap
// next to the GEMM.
#include "core/ops.h"
#include "core/ops/op_utils.h"

namespace amor {

Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t stride, int64_t pad_left,
              int64_t pad_right, int64_t dilation) {
  const char* op = "conv1d";
  ops::check_floating(op, x);
  ops::check_same_dtype(op, x, weight);
  ops::check_same_device(op, x, weight);
  AMOR_CHECK(x.dim() == 3, ShapeError, op, ": x must be [B, L, C_in], got ", x.shape());
  AMOR_CHECK(weight.dim() == 3, ShapeError, op, ": weight must be [C_out, C_in, K], got ", weight.shape());
  const int64_t B = x.size(0), L = x.size(1), C = x.size(2);
  const int64_t C_out = weight.size(0), K = weight.size(2);
  AMOR_CHECK(weight.size(1) == C, ShapeError, op, ": weight ", weight.shape(), " expects ", weight.size(1),
             " input channels but x ", x.shape(), " has ", C);
  AMOR_CHECK(K >= 1 && C_out >= 1, ShapeError, op, ": weight ", weight.shape(), " has an empty axis");
  if (bias.defined()) {
    ops::check_same_dtype(op, x, bias);
    AMOR_CHECK(bias.dim() == 1 && bias.size(0) == C_out, ShapeError, op, ": bias must be [", C_out, "], got ",
               bias.shape());
  }
  AMOR_CHECK(stride >= 1 && dilation >= 1, ValueError, op, ": stride (", stride, ") and dilation (", dilation,
             ") must be >= 1");
  AMOR_CHECK(pad_left >= 0 && pad_right >= 0, ValueError, op, ": padding must be >= 0, got (", pad_left, ", ",
             pad_right, ")");
  const int64_t L_pad = L + pad_left + pad_right;
  const int64_t span = dilation * (K - 1) + 1;  // input positions one output sees
  AMOR_CHECK(L_pad >= span, ShapeError, op, ": the padded length ", L_pad, " (L = ", L, ", padding ", pad_left,
             " + ", pad_right, ") is shorter than the kernel's span ", span, " (K = ", K, ", dilation ", dilation,
             ")");
  const int64_t L_out = (L_pad - span) / stride + 1;

  Tensor xp = x;
  if (pad_left > 0 || pad_right > 0) {
    std::vector<Tensor> parts;
    if (pad_left > 0) parts.push_back(zeros(Shape{B, pad_left, C}, {.dtype = x.dtype(), .device = x.device()}));
    parts.push_back(x);
    if (pad_right > 0) parts.push_back(zeros(Shape{B, pad_right, C}, {.dtype = x.dtype(), .device = x.device()}));
    xp = concat(parts, 1);  // [B, L_pad, C]
  }
  // cols[b, t, k·C + c] = xp[b, t·stride + k·dilation, c]
  std::vector<Tensor> taps;
  taps.reserve(size_t(K));
  for (int64_t k = 0; k < K; ++k) {
    const int64_t start = k * dilation;
    taps.push_back(xp.slice(1, start, start + stride * (L_out - 1) + 1, stride));  // [B, L_out, C]
  }
  const Tensor cols = K == 1 ? taps[0] : concat(taps, 2);             // [B, L_out, K·C]
  const Tensor w = weight.permute(Shape{0, 2, 1}).reshape(Shape{C_out, K * C});  // [C_out, K·C]
  return linear(cols, w, bias);                                        // [B, L_out, C_out]
}

}  // namespace amor
