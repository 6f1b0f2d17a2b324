// attention() and attention_qkv(): the recorded ops around the fused kernels in
// kernels/cpu/attention. The forward saves its inputs, the output and the per-row logsumexp; the
// backward recomputes probabilities from them (no [B, H, T, T] tensor is ever kept).
//
// The kernel addresses every operand through its own strides, so nothing is copied: q, k, v are
// read where they are (slices of a packed projection, transposed views, ...), and attention_qkv's
// backward writes dq, dk and dv straight into the three slices of one [B, T, 3, H, D] gradient.
// With separate q, k, v views of a packed tensor, the backward instead returns three gradients
// that autograd scatters back through each view (a zero-filled [B, T, 3, H, D] per view, then two
// full-size adds): attention_qkv exists to avoid that.
#include <cmath>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/ops/op_utils.h"
#include "kernels/cpu/attention.h"
#include "kernels/cuda/attention.h"

namespace amor {
namespace {

namespace kc = kernels::cpu;

// Strides of a [B, T, H, D] tensor for the kernel; the head-dim stride must be 1 (or D == 1).
kc::AttentionStrides strides_of(const Tensor& t) {
  return {t.strides()[0], t.strides()[1], t.strides()[2]};
}

// t itself when the kernel can address it, else a contiguous copy (not recorded).
Tensor addressable(const Tensor& t) {
  if (t.strides()[3] == 1 || t.shape()[3] <= 1) return t;
  NoGradGuard no_grad;
  return t.contiguous();
}

void check_mask_and_scale(const char* op, const Shape& q_shape, const Tensor& mask_in,
                                 Tensor& mask, double& scale) {
  const int64_t B = q_shape[0], T = q_shape[1];
  if (mask_in.defined()) {
    AMOR_CHECK(mask_in.dtype() == DType::Bool, DTypeError, op, ": mask must be bool, got ", mask_in.dtype());
    const bool ok2 = mask_in.dim() == 2 && mask_in.shape() == Shape{T, T};
    const bool ok3 = mask_in.dim() == 3 && mask_in.shape() == Shape{B, T, T};
    AMOR_CHECK(ok2 || ok3, ShapeError, op, ": mask ", mask_in.shape(), " must be [T, T] = [", T, ", ", T,
               "] or [B, T, T] = [", B, ", ", T, ", ", T, "]");
    mask = mask_in.contiguous();
  }
  if (scale <= 0) scale = 1.0 / std::sqrt(double(std::max<int64_t>(q_shape[3], 1)));
}

// Kernel parameters for q, k, v, out (strides of each) and the mask; gradients set by callers.
kc::AttentionParams params_for(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out,
                               const Tensor& mask, double scale) {
  kc::AttentionParams p;
  p.B = q.shape()[0];
  p.T = q.shape()[1];
  p.H = q.shape()[2];
  p.D = q.shape()[3];
  p.q = strides_of(q);
  p.k = strides_of(k);
  p.v = strides_of(v);
  p.out = strides_of(out);
  p.mask = mask.defined() ? mask.data<uint8_t>() : nullptr;
  p.mask_sb = mask.defined() && mask.dim() == 3 ? p.T * p.T : 0;
  p.scale = scale;
  return p;
}

// out [B, T, H, D] contiguous and lse [B, H, T] from q, k, v (addressable views).
void run_forward(const char* op, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                 double scale, Tensor& out, Tensor& lse) {
  out = Tensor::empty(q.shape(), q.dtype(), q.device());
  lse = Tensor::empty(Shape{q.shape()[0], q.shape()[2], q.shape()[1]}, q.dtype(), q.device());
  kc::AttentionParams p = params_for(q, k, v, out, mask, scale);
  if (ops::use_device_of(q)) {
    AMOR_CUDA_ONLY(op, dispatch_float(q.dtype(), op, [&]<class T>() {
      kernels::cuda::attention_fwd<T>(p, q.data<T>(), k.data<T>(), v.data<T>(), out.data<T>(), lse.data<T>());
    }));
    return;
  }
  dispatch_float(q.dtype(), op, [&]<class T>() {
    kc::attention_fwd<T>(p, q.data<T>(), k.data<T>(), v.data<T>(), out.data<T>(), lse.data<T>());
  });
}

// Saved state and the kernel's backward call shared by both ops.
struct AttentionSaved {
  SavedTensor q, k, v, mask, out, lse;
  double scale = 0;

  void save(const Tensor& q_, const Tensor& k_, const Tensor& v_, const Tensor& mask_, const Tensor& out_,
            const Tensor& lse_) {
    q = SavedTensor(q_);
    k = SavedTensor(k_);
    v = SavedTensor(v_);
    if (mask_.defined()) mask = SavedTensor(mask_);
    out = SavedTensor(out_);
    lse = SavedTensor(lse_);
  }
  // dq, dk, dv: pointers (with their strides) the kernel overwrites.
  template <class T>
  void backward(const Node& owner, const Tensor& g, T* dq, kc::AttentionStrides sq, T* dk,
                kc::AttentionStrides sk, T* dv, kc::AttentionStrides sv) const {
    Tensor Q = q.unpack(owner), K = k.unpack(owner), V = v.unpack(owner), O = out.unpack(owner);
    Tensor L = lse.unpack(owner), M = mask.defined() ? mask.unpack(owner) : Tensor();
    Tensor dO = addressable(g);
    kc::AttentionParams p = params_for(Q, K, V, O, M, scale);
    p.dout = strides_of(dO);
    p.dq = sq;
    p.dk = sk;
    p.dv = sv;
    if (ops::use_device_of(Q)) {
      AMOR_CUDA_ONLY("attention_backward",
                     kernels::cuda::attention_bwd<T>(p, Q.data<T>(), K.data<T>(), V.data<T>(), O.data<T>(),
                                                     L.data<T>(), dO.data<T>(), dq, dk, dv));
      return;
    }
    kc::attention_bwd<T>(p, Q.data<T>(), K.data<T>(), V.data<T>(), O.data<T>(), L.data<T>(), dO.data<T>(), dq,
                         dk, dv);
  }
  void release() {
    q.reset(); k.reset(); v.reset(); mask.reset(); out.reset(); lse.reset();
  }
};

struct AttentionBackward final : Node {
  AttentionSaved s;
  void backward(const Tensor* g, Tensor* gi) override {
    const Shape shape = g[0].shape();
    const DType dt = g[0].dtype();
    const Device dev = g[0].device();
    Tensor dq = Tensor::empty(shape, dt, dev), dk = Tensor::empty(shape, dt, dev), dv = Tensor::empty(shape, dt, dev);
    dispatch_float(dt, "attention_backward", [&]<class T>() {
      s.backward<T>(*this, g[0], dq.data<T>(), strides_of(dq), dk.data<T>(), strides_of(dk), dv.data<T>(),
                    strides_of(dv));
    });
    gi[0] = dq;
    gi[1] = dk;
    gi[2] = dv;
  }
  void release() override { s.release(); }
  const char* name() const override { return "AttentionBackward"; }
};

struct AttentionQKVBackward final : Node {
  AttentionSaved s;
  Shape qkv_shape;  // [B, T, 3, H, D]
  explicit AttentionQKVBackward(Shape shape) : qkv_shape(std::move(shape)) {}
  void backward(const Tensor* g, Tensor* gi) override {
    // One contiguous [B, T, 3, H, D] gradient; the kernel writes every element of its slices.
    Tensor dqkv = Tensor::empty(qkv_shape, g[0].dtype(), g[0].device());
    const int64_t T = qkv_shape[1], H = qkv_shape[3], D = qkv_shape[4];
    const kc::AttentionStrides packed{T * 3 * H * D, 3 * H * D, D};
    dispatch_float(g[0].dtype(), "attention_qkv_backward", [&]<class T>() {
      T* base = dqkv.data<T>();
      s.backward<T>(*this, g[0], base, packed, base + H * D, packed, base + 2 * H * D, packed);
    });
    gi[0] = dqkv;
  }
  void release() override { s.release(); }
  const char* name() const override { return "AttentionQKVBackward"; }
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
  ops::check_floating(op, q_in);
  ops::check_same_devices(op, q_in, {&mask_in});
  AMOR_CHECK(q_in.dim() == 4, ShapeError, op, ": q must be [B, T, H, D], got ", q_in.shape());
  Tensor mask;
  check_mask_and_scale(op, q_in.shape(), mask_in, mask, scale);
  const Tensor q = addressable(q_in), k = addressable(k_in), v = addressable(v_in);
  Tensor out, lse;
  run_forward(op, q, k, v, mask, scale, out, lse);
  if (any_requires_grad({&q_in, &k_in, &v_in})) {
    auto* n = record<AttentionBackward>(out, {&q_in, &k_in, &v_in});
    n->s.scale = scale;
    n->s.save(q, k, v, mask, out, lse);
  }
  return out;
}

Tensor attention_qkv(const Tensor& qkv_in, const Tensor& mask_in, double scale) {
  const char* op = "attention_qkv";
  ops::check_floating(op, qkv_in);
  ops::check_same_devices(op, qkv_in, {&mask_in});
  AMOR_CHECK(qkv_in.dim() == 5 && qkv_in.shape()[2] == 3, ShapeError, op, ": qkv must be [B, T, 3, H, D], got ",
             qkv_in.shape());
  Tensor q, k, v;
  {
    NoGradGuard no_grad;  // views for the kernel; the op records one node on qkv
    const Tensor qkv = qkv_in.strides()[4] == 1 || qkv_in.shape()[4] <= 1 ? qkv_in : qkv_in.contiguous();
    q = qkv.select(2, 0);
    k = qkv.select(2, 1);
    v = qkv.select(2, 2);
  }
  Tensor mask;
  check_mask_and_scale(op, q.shape(), mask_in, mask, scale);
  Tensor out, lse;
  run_forward(op, q, k, v, mask, scale, out, lse);
  if (any_requires_grad({&qkv_in})) {
    auto* n = record<AttentionQKVBackward>(out, {&qkv_in}, qkv_in.shape());
    n->s.scale = scale;
    n->s.save(q, k, v, mask, out, lse);
  }
  return out;
}

}  // namespace amor
