// affine_coupling: one fused kernel forward and one backward (kernels/cpu/affine_coupling), with
// two outputs (y and the per-row log-det) recorded on a single node.
#include "core/autograd.h"
#include "core/ops.h"
#include "core/ops/op_utils.h"
#include "kernels/cpu/affine_coupling.h"
#include "kernels/cuda/affine_coupling.h"

namespace amor {
namespace {

namespace kc = kernels::cpu;

// A [n, k] operand as (pointer base, row stride): unit column stride required.
bool row_strided(const Tensor& t) { return t.shape()[1] <= 1 || t.strides()[1] == 1; }
int64_t row_stride(const Tensor& t) { return t.shape()[0] <= 1 ? t.shape()[1] : t.strides()[0]; }

struct AffineCouplingBackward final : Node {
  SavedTensor x, raw, shift;  // [n, k], unit column stride
  bool inverse;
  explicit AffineCouplingBackward(bool inv) : inverse(inv) { num_outputs = 2; }
  void backward(const Tensor* g, Tensor* gi) override {
    Tensor X = x.unpack(*this), R = raw.unpack(*this), S = shift.unpack(*this);
    const int64_t n = X.shape()[0], k = X.shape()[1];
    Tensor gy = g[0].defined() ? g[0].contiguous() : Tensor();
    Tensor gl = g[1].defined() ? g[1].contiguous() : Tensor();
    Tensor dx, dr, dt;
    const DType dt_ = X.dtype();
    const Device dev = X.device();
    if (edges[0].valid()) dx = Tensor::empty(Shape{n, k}, dt_, dev);
    if (edges[1].valid()) dr = Tensor::empty(Shape{n, k}, dt_, dev);
    if (edges[2].valid()) dt = Tensor::empty(Shape{n, k}, dt_, dev);
    const bool cuda = ops::use_device_of(X);
    dispatch_float(dt_, "affine_coupling_backward", [&]<class T>() {
      if (cuda) {
        AMOR_CUDA_ONLY("affine_coupling_backward",
                       kernels::cuda::affine_coupling_bwd<T>(
                           gy.defined() ? gy.data<T>() : nullptr, gl.defined() ? gl.data<T>() : nullptr,
                           X.data<T>(), row_stride(X), R.data<T>(), row_stride(R), S.data<T>(), row_stride(S),
                           dx.defined() ? dx.data<T>() : nullptr, dr.defined() ? dr.data<T>() : nullptr,
                           dt.defined() ? dt.data<T>() : nullptr, n, k, inverse));
        return;
      }
      kc::affine_coupling_bwd<T>(gy.defined() ? gy.data<T>() : nullptr, gl.defined() ? gl.data<T>() : nullptr,
                                 X.data<T>(), row_stride(X), R.data<T>(), row_stride(R), S.data<T>(),
                                 row_stride(S), dx.defined() ? dx.data<T>() : nullptr,
                                 dr.defined() ? dr.data<T>() : nullptr, dt.defined() ? dt.data<T>() : nullptr,
                                 n, k, inverse);
    });
    gi[0] = dx;
    gi[1] = dr;
    gi[2] = dt;
  }
  void release() override { x.reset(); raw.reset(); shift.reset(); }
  const char* name() const override { return "AffineCouplingBackward"; }
};

}  // namespace

std::pair<Tensor, Tensor> affine_coupling(const Tensor& x_in, const Tensor& raw_in, const Tensor& shift_in,
                                          bool inverse) {
  const char* op = "affine_coupling";
  for (const Tensor* t : {&x_in, &raw_in, &shift_in}) {
    AMOR_CHECK(t->defined(), ValueError, op, ": undefined input");
    ops::check_same_device(op, x_in, *t);
    ops::check_floating(op, *t);
  }
  ops::check_same_dtype(op, x_in, raw_in);
  ops::check_same_dtype(op, x_in, shift_in);
  AMOR_CHECK(x_in.dim() == 2 && raw_in.shape() == x_in.shape() && shift_in.shape() == x_in.shape(),
             ShapeError, op, ": x, raw_scale and shift must all be [n, k], got ", x_in.shape(), ", ",
             raw_in.shape(), " and ", shift_in.shape());
  // Operands without a unit column stride are copied (a recorded clone: gradients still flow).
  auto usable = [](const Tensor& t) { return row_strided(t) ? t : t.contiguous(); };
  const Tensor x = usable(x_in), raw = usable(raw_in), shift = usable(shift_in);
  const int64_t n = x.shape()[0], k = x.shape()[1];
  Tensor y = Tensor::empty(Shape{n, k}, x.dtype(), x.device());
  Tensor logdet = Tensor::empty(Shape{n}, x.dtype(), x.device());
  const bool cuda = ops::use_device_of(x);
  if (n > 0) {
    dispatch_float(x.dtype(), op, [&]<class T>() {
      if (cuda) {
        AMOR_CUDA_ONLY(op, kernels::cuda::affine_coupling_fwd<T>(
                               x.data<T>(), row_stride(x), raw.data<T>(), row_stride(raw), shift.data<T>(),
                               row_stride(shift), y.data<T>(), logdet.data<T>(), n, k, inverse));
        return;
      }
      kc::affine_coupling_fwd<T>(x.data<T>(), row_stride(x), raw.data<T>(), row_stride(raw), shift.data<T>(),
                                 row_stride(shift), y.data<T>(), logdet.data<T>(), n, k, inverse);
    });
  }
  if (any_requires_grad({&x, &raw, &shift})) {
    auto* node = new AffineCouplingBackward(inverse);
    Ptr<Node> p(node);
    collect_edges(*node, {&x, &raw, &shift});
    set_history(y, p, 0);
    set_history(logdet, p, 1);
    node->x = SavedTensor(x);
    node->raw = SavedTensor(raw);
    node->shift = SavedTensor(shift);
  }
  return {y, logdet};
}

}  // namespace amor
