// attention(): the recorded op around the fused kernels in kernels/cpu/attention. The forward
// saves q, k, v, the output and the per-row logsumexp; the backward recomputes probabilities
// from them (no [B, H, T, T] tensor is ever kept).
#include <cmath>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/ops/op_utils.h"
#include "kernels/cpu/attention.h"

namespace amor {
namespace {

namespace kc = kernels::cpu;

// Kernel parameters for q/k/v that share one [B, T, H, D] layout.
kc::AttentionParams params_for(const Tensor& q, const Tensor& mask, double scale) {
  kc::AttentionParams p{};
  p.B = q.shape()[0];
  p.T = q.shape()[1];
  p.H = q.shape()[2];
  p.D = q.shape()[3];
  p.sb = q.strides()[0];
  p.st = q.strides()[1];
  p.sh = q.strides()[2];
  p.mask = mask.defined() ? mask.data<uint8_t>() : nullptr;
  p.mask_sb = mask.defined() && mask.dim() == 3 ? p.T * p.T : 0;
  p.scale = scale;
  return p;
}

struct AttentionBackward final : Node {
  SavedTensor q, k, v, mask, out, lse;
  double scale;
  explicit AttentionBackward(double s) : scale(s) {}
  void backward(const Tensor* g, Tensor* gi) override {
    Tensor Q = q.unpack(*this), K = k.unpack(*this), V = v.unpack(*this), O = out.unpack(*this);
    Tensor L = lse.unpack(*this), M = mask.defined() ? mask.unpack(*this) : Tensor();
    Tensor dO = g[0].contiguous();
    Tensor dq = Tensor::empty(Q.shape(), Q.dtype()), dk = Tensor::empty(Q.shape(), Q.dtype()),
           dv = Tensor::empty(Q.shape(), Q.dtype());
    kc::AttentionParams p = params_for(Q, M, scale);
    dispatch_float(Q.dtype(), "attention_backward", [&]<class T>() {
      kc::attention_bwd<T>(p, Q.data<T>(), K.data<T>(), V.data<T>(), O.data<T>(), L.data<T>(),
                           dO.data<T>(), dq.data<T>(), dk.data<T>(), dv.data<T>());
    });
    gi[0] = dq;
    gi[1] = dk;
    gi[2] = dv;
  }
  void release() override {
    q.reset(); k.reset(); v.reset(); mask.reset(); out.reset(); lse.reset();
  }
  const char* name() const override { return "AttentionBackward"; }
};

}  // namespace

Tensor attention(const Tensor& q_in, const Tensor& k_in, const Tensor& v_in, const Tensor& mask_in,
                 double scale) {
  const char* op = "attention";
  for (const Tensor* t : {&k_in, &v_in}) {
    ops::check_same_dtype(op, q_in, *t);
    ops::check_same_device(op, q_in, *t);
    AMOR_CHECK(t->shape() == q_in.shape(), ShapeError, op, ": q ", q_in.shape(), ", k ", k_in.shape(),
               " and v ", v_in.shape(), " must have the same shape [B, T, H, D]");
  }
  ops::check_cpu(op, q_in);
  ops::check_floating(op, q_in);
  AMOR_CHECK(q_in.dim() == 4, ShapeError, op, ": q must be [B, T, H, D], got ", q_in.shape());
  const int64_t B = q_in.shape()[0], T = q_in.shape()[1];
  Tensor mask;
  if (mask_in.defined()) {
    AMOR_CHECK(mask_in.dtype() == DType::Bool, DTypeError, op, ": mask must be bool, got ", mask_in.dtype());
    const bool ok2 = mask_in.dim() == 2 && mask_in.shape() == Shape{T, T};
    const bool ok3 = mask_in.dim() == 3 && mask_in.shape() == Shape{B, T, T};
    AMOR_CHECK(ok2 || ok3, ShapeError, op, ": mask ", mask_in.shape(), " must be [T, T] = [", T, ", ", T,
               "] or [B, T, T] = [", B, ", ", T, ", ", T, "]");
    mask = mask_in.contiguous();
  }
  if (scale <= 0) scale = 1.0 / std::sqrt(double(std::max<int64_t>(q_in.shape()[3], 1)));

  // The kernel addresses q, k, v, the output and all gradients with one set of strides, so
  // everything is made contiguous [B, T, H, D] here (a no-op for the usual contiguous inputs).
  Tensor q, k, v;
  {
    NoGradGuard no_grad;
    q = q_in.contiguous();
    k = k_in.contiguous();
    v = v_in.contiguous();
  }
  Tensor out = Tensor::empty(q.shape(), q.dtype());
  Tensor lse = Tensor::empty(Shape{B, q.shape()[2], T}, q.dtype());
  kc::AttentionParams p = params_for(q, mask, scale);
  dispatch_float(q.dtype(), op, [&]<class T>() {
    kc::attention_fwd<T>(p, q.data<T>(), k.data<T>(), v.data<T>(), out.data<T>(), lse.data<T>());
  });
  if (any_requires_grad({&q_in, &k_in, &v_in})) {
    auto* n = record<AttentionBackward>(out, {&q_in, &k_in, &v_in}, scale);
    n->q = SavedTensor(q);
    n->k = SavedTensor(k);
    n->v = SavedTensor(v);
    if (mask.defined()) n->mask = SavedTensor(mask);
    n->out = SavedTensor(out);
    n->lse = SavedTensor(lse);
  }
  return out;
}

}  // namespace amor
