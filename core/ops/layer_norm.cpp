// layer_norm over the last axis: one fused kernel forward (saving mean and 1/std per row) and
// one fused kernel backward (kernels/cpu/layer_norm).
#include "core/autograd.h"
#include "core/ops.h"
#include "core/ops/op_utils.h"
#include "kernels/cpu/layer_norm.h"
#include "kernels/cuda/layer_norm.h"

namespace amor {
namespace {

namespace kc = kernels::cpu;

struct LayerNormBackward final : Node {
  SavedTensor x, w, mean, rstd;  // x: [rows, C]; mean, rstd: [rows]
  Shape x_shape;
  explicit LayerNormBackward(Shape s) : x_shape(s) {}
  void backward(const Tensor* g, Tensor* gi) override {
    Tensor X = x.unpack(*this), Mu = mean.unpack(*this), R = rstd.unpack(*this);
    Tensor W = w.defined() ? w.unpack(*this) : Tensor();
    const int64_t rows = X.shape()[0], C = X.shape()[1];
    Tensor dy = g[0].reshape(Shape{rows, C}).contiguous();
    const Device dev = X.device();
    Tensor dx = Tensor::empty(Shape{rows, C}, X.dtype(), dev);
    const bool want_w = edges.size() > 1 && edges[1].valid();
    const bool want_b = edges.size() > 2 && edges[2].valid();
    Tensor dw = want_w ? Tensor::empty(Shape{C}, X.dtype(), dev) : Tensor();
    Tensor db = want_b ? Tensor::empty(Shape{C}, X.dtype(), dev) : Tensor();
    const bool cuda = ops::use_device_of(X);
    dispatch_float(X.dtype(), "layer_norm_backward", [&]<class T>() {
      if (cuda) {
        AMOR_CUDA_ONLY("layer_norm_backward",
                       kernels::cuda::layer_norm_bwd<T>(
                           dy.data<T>(), X.data<T>(), W.defined() ? W.data<T>() : nullptr, Mu.data<T>(),
                           R.data<T>(), dx.data<T>(), want_w ? dw.data<T>() : nullptr,
                           want_b ? db.data<T>() : nullptr, rows, C));
        return;
      }
      kc::layer_norm_bwd<T>(dy.data<T>(), X.data<T>(), W.defined() ? W.data<T>() : nullptr,
                            Mu.data<T>(), R.data<T>(), dx.data<T>(), want_w ? dw.data<T>() : nullptr,
                            want_b ? db.data<T>() : nullptr, rows, C);
    });
    gi[0] = dx.reshape(x_shape);
    if (want_w) gi[1] = dw;
    if (want_b) gi[2] = db;
  }
  void release() override { x.reset(); w.reset(); mean.reset(); rstd.reset(); }
  const char* name() const override { return "LayerNormBackward"; }
};

}  // namespace

Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps) {
  const char* op = "layer_norm";
  ops::check_floating(op, x);
  ops::check_same_devices(op, x, {&weight, &bias});
  AMOR_CHECK(x.dim() >= 1, ShapeError, op, ": input must have at least one axis");
  AMOR_CHECK(eps >= 0, ValueError, op, ": eps must be >= 0, got ", eps);
  const int64_t C = x.shape().back(), rows = x.numel() / std::max<int64_t>(C, 1);
  for (const Tensor* p : {&weight, &bias}) {
    if (!p->defined()) continue;
    ops::check_same_dtype(op, x, *p);
    AMOR_CHECK(p->dim() == 1 && p->shape()[0] == C, ShapeError, op, ": weight/bias ", p->shape(),
               " must be [", C, "] for input ", x.shape());
  }
  Tensor X, W, B;
  {
    NoGradGuard no_grad;
    X = x.contiguous().reshape(Shape{rows, C});
    if (weight.defined()) W = weight.contiguous();
    if (bias.defined()) B = bias.contiguous();
  }
  const Device dev = x.device();
  Tensor y = Tensor::empty(x.shape(), x.dtype(), dev);
  Tensor mu = Tensor::empty(Shape{rows}, x.dtype(), dev), rstd = Tensor::empty(Shape{rows}, x.dtype(), dev);
  const bool cuda = ops::use_device_of(x);
  dispatch_float(x.dtype(), op, [&]<class T>() {
    if (cuda) {
      AMOR_CUDA_ONLY(op, kernels::cuda::layer_norm_fwd<T>(X.data<T>(), W.defined() ? W.data<T>() : nullptr,
                                                          B.defined() ? B.data<T>() : nullptr, y.data<T>(),
                                                          mu.data<T>(), rstd.data<T>(), rows, C, T(eps)));
      return;
    }
    kc::layer_norm_fwd<T>(X.data<T>(), W.defined() ? W.data<T>() : nullptr,
                          B.defined() ? B.data<T>() : nullptr, y.data<T>(), mu.data<T>(),
                          rstd.data<T>(), rows, C, T(eps));
  });
  if (any_requires_grad({&x, &weight, &bias})) {
    auto* n = record<LayerNormBackward>(y, {&x, &weight, &bias}, x.shape());
    n->x = SavedTensor(X);
    if (W.defined()) n->w = SavedTensor(W);
    n->mean = SavedTensor(mu);
    n->rstd = SavedTensor(rstd);
  }
  return y;
}

}  // namespace amor
