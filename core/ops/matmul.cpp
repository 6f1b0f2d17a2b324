// matmul and linear on top of kernels/cpu/gemm. Transposed operands are passed to BLAS as
// flags, never copied; batch axes broadcast (a fully broadcast operand gets batch stride 0).
//
// Backward of C = A·B:  dA = dC·Bᵀ,  dB = Aᵀ·dC  (then summed over broadcast batch axes).
// Backward of y = x·Wᵀ + b:  dx = dy·W,  dW = dyᵀ·x,  db = Σ_rows dy.
#include "core/autograd.h"
#include "core/ops.h"
#include "core/ops/op_utils.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/reduce.h"
#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/gemm.h"
#include "kernels/cuda/reduce.h"

namespace amor {
namespace {

namespace kc = kernels::cpu;
namespace kcu = kernels::cuda;

// A matrix operand as BLAS wants it: the innermost two axes either row-major (trans = false)
// or column-major (trans = true), with leading dimension ld.
struct GemmOperand {
  Tensor t;  // keeps the data alive (may be a contiguous copy)
  bool trans = false;
  int64_t ld = 0;
};

GemmOperand as_gemm_operand(const Tensor& m) {
  const int n = m.dim();
  const int64_t rows = m.shape()[n - 2], cols = m.shape()[n - 1];
  const int64_t s_row = m.strides()[n - 2], s_col = m.strides()[n - 1];
  if ((s_col == 1 || cols == 1) && s_row >= std::max<int64_t>(cols, 1)) return {m, false, s_row};
  if ((s_row == 1 || rows == 1) && s_col >= std::max<int64_t>(rows, 1)) return {m, true, s_col};
  Tensor c = m.contiguous();
  return {c, false, std::max<int64_t>(cols, 1)};
}

// Raw C[..., M, N] = A[..., M, K] · B[..., K, N] for tensors with >= 2 axes (no autodiff).
Tensor matmul_raw(const Tensor& a, const Tensor& b) {
  const char* op = "matmul";
  NoGradGuard no_grad;  // layout helpers only; matmul_nd records the op
  const int64_t M = a.shape()[a.dim() - 2], K = a.shape()[a.dim() - 1];
  const int64_t K2 = b.shape()[b.dim() - 2], N = b.shape()[b.dim() - 1];
  AMOR_CHECK(K == K2, ShapeError, op, ": inner sizes differ: ", a.shape(), " · ", b.shape());
  Shape a_batch(std::span<const int64_t>(a.shape().data(), size_t(a.dim() - 2)));
  Shape b_batch(std::span<const int64_t>(b.shape().data(), size_t(b.dim() - 2)));
  Shape batch = broadcast_shapes(a_batch, b_batch, op);
  const int64_t nbatch = batch.numel();
  Shape out_shape = batch;
  out_shape.push_back(M);
  out_shape.push_back(N);
  Tensor out = Tensor::empty(out_shape, a.dtype(), a.device());

  // Each operand: either it has all batch axes (made contiguous over them) or none (stride 0).
  auto prepare = [&](const Tensor& x, const Shape& xb, int64_t rows, int64_t cols, int64_t& stride) {
    if (xb.numel() == 1 && nbatch > 1) {
      stride = 0;
      return as_gemm_operand(x.reshape(Shape{rows, cols}));
    }
    Shape full = batch;
    full.push_back(rows);
    full.push_back(cols);
    Tensor e = x.expand(full).reshape(Shape{nbatch, rows, cols});
    GemmOperand g = as_gemm_operand(e);
    // Batch stride must be uniform; the reshape above made the batch axis a single axis.
    stride = g.t.strides()[0];
    if (g.t.dim() == 3 && g.t.shape()[0] > 1 && stride == 0) {  // broadcast partly: materialise
      g = as_gemm_operand(e.contiguous());
      stride = g.t.strides()[0];
    }
    return g;
  };
  int64_t sa = 0, sb = 0;
  GemmOperand A = prepare(a, a_batch, M, K, sa);
  GemmOperand B = prepare(b, b_batch, K, N, sb);
  dispatch_float(a.dtype(), op, [&]<class T>() {
    if (ops::use_device_of(a)) {  // cuBLAS, strided-batched (one matrix: batch of 1)
      AMOR_CUDA_ONLY(op, kcu::gemm_batched<T>(nbatch, A.trans, B.trans, M, N, K, T(1), A.t.data<T>(), A.ld,
                                              nbatch == 1 ? 0 : sa, B.t.data<T>(), B.ld, nbatch == 1 ? 0 : sb,
                                              T(0), out.data<T>(), std::max<int64_t>(N, 1), M * N));
      return;
    }
    if (nbatch == 1)
      kc::gemm<T>(A.trans, B.trans, M, N, K, T(1), A.t.data<T>(), A.ld, B.t.data<T>(), B.ld, T(0),
                  out.data<T>(), std::max<int64_t>(N, 1));
    else
      kc::gemm_batched<T>(nbatch, A.trans, B.trans, M, N, K, T(1), A.t.data<T>(), A.ld, sa,
                          B.t.data<T>(), B.ld, sb, T(0), out.data<T>(), std::max<int64_t>(N, 1), M * N);
  });
  return out;
}

struct MatmulBackward final : Node {
  SavedTensor a, b;
  void backward(const Tensor* g, Tensor* gi) override {
    Tensor A = a.unpack(*this), B = b.unpack(*this);
    if (edges[0].valid()) gi[0] = sum_to(matmul_raw(g[0], B.transpose(-1, -2)), A.shape());
    if (edges[1].valid()) gi[1] = sum_to(matmul_raw(A.transpose(-1, -2), g[0]), B.shape());
  }
  void release() override { a.reset(); b.reset(); }
  const char* name() const override { return "MatmulBackward"; }
};

// Matmul for operands with >= 2 axes, recorded.
Tensor matmul_nd(const Tensor& a, const Tensor& b) {
  Tensor out = matmul_raw(a, b);
  if (any_requires_grad({&a, &b})) {
    auto* n = record<MatmulBackward>(out, {&a, &b});
    n->a = SavedTensor(a);
    n->b = SavedTensor(b);
  }
  return out;
}

struct LinearBackward final : Node {
  SavedTensor x, w;  // x: [N, in], w: [out, in]
  Shape x_shape;
  explicit LinearBackward(Shape s) : x_shape(s) {}
  void backward(const Tensor* g, Tensor* gi) override {
    Tensor X = x.unpack(*this), W = w.unpack(*this);
    const int64_t out_f = W.shape()[0], in_f = W.shape()[1], rows = X.shape()[0];
    Tensor dy = g[0].reshape(Shape{rows, out_f}).contiguous();
    if (ops::use_device_of(X)) {
      AMOR_CUDA_ONLY("linear_backward", backward_cuda(dy, X, W, gi));
      return;
    }
    dispatch_float(X.dtype(), "linear_backward", [&]<class T>() {
      if (edges[0].valid()) {  // dx[N, in] = dy[N, out] · W[out, in]
        Tensor dx = Tensor::empty(Shape{rows, in_f}, X.dtype());
        kc::gemm<T>(false, false, rows, in_f, out_f, T(1), dy.data<T>(), out_f, W.data<T>(), in_f,
                    T(0), dx.data<T>(), in_f);
        gi[0] = dx.reshape(x_shape);
      }
      const bool want_db = edges.size() > 2 && edges[2].valid();
      Tensor db = want_db ? Tensor::empty(Shape{out_f}, X.dtype()) : Tensor();
      if (edges[1].valid()) {  // dW[out, in] = dyᵀ · x, and db[out] = Σ_rows dy in the same pass
        Tensor dw = Tensor::empty(Shape{out_f, in_f}, X.dtype());
        kc::linear_weight_grad<T>(rows, out_f, in_f, dy.data<T>(), X.data<T>(), dw.data<T>(),
                                  want_db ? db.data<T>() : nullptr);
        gi[1] = dw;
      } else if (want_db) {
        kc::sum_axis<T>(dy.data<T>(), db.data<T>(), 1, rows, out_f);
      }
      if (want_db) gi[2] = db;
    });
  }
  void release() override { x.reset(); w.reset(); }
  const char* name() const override { return "LinearBackward"; }

#ifdef AMOR_HAS_CUDA
  // The same products on cuBLAS; db is a column sum of dy (kernels/cuda/reduce.h).
  void backward_cuda(const Tensor& dy, const Tensor& X, const Tensor& W, Tensor* gi) {
    const int64_t out_f = W.shape()[0], in_f = W.shape()[1], rows = X.shape()[0];
    const Device dev = X.device();
    dispatch_float(X.dtype(), "linear_backward", [&]<class T>() {
      if (edges[0].valid()) {  // dx[N, in] = dy[N, out] · W[out, in]
        Tensor dx = Tensor::empty(Shape{rows, in_f}, X.dtype(), dev);
        kcu::gemm<T>(false, false, rows, in_f, out_f, T(1), dy.data<T>(), out_f, W.data<T>(), in_f, T(0),
                     dx.data<T>(), in_f);
        gi[0] = dx.reshape(x_shape);
      }
      if (edges[1].valid()) {  // dW[out, in] = dyᵀ · x
        Tensor dw = Tensor::empty(Shape{out_f, in_f}, X.dtype(), dev);
        kcu::gemm<T>(true, false, out_f, in_f, rows, T(1), dy.data<T>(), out_f, X.data<T>(), in_f, T(0),
                     dw.data<T>(), in_f);
        gi[1] = dw;
      }
      if (edges.size() > 2 && edges[2].valid()) {  // db[out] = Σ_rows dy
        Tensor db = Tensor::empty(Shape{out_f}, X.dtype(), dev);
        kcu::sum_axis<T>(dy.data<T>(), db.data<T>(), 1, rows, out_f);
        gi[2] = db;
      }
    });
  }
#endif
};

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  const char* op = "matmul";
  ops::check_same_device(op, a, b);
  ops::check_same_dtype(op, a, b);
  ops::check_floating(op, a);
  AMOR_CHECK(a.dim() >= 1 && b.dim() >= 1, ShapeError, op, ": scalars are not matrices (", a.shape(),
             " · ", b.shape(), ")");
  if (a.dim() == 1 && b.dim() == 1) {
    AMOR_CHECK(a.shape()[0] == b.shape()[0], ShapeError, op, ": vector sizes differ: ", a.shape(),
               " · ", b.shape());
    return matmul_nd(a.unsqueeze(0), b.unsqueeze(1)).reshape(Shape{});
  }
  if (a.dim() == 1) return matmul_nd(a.unsqueeze(0), b).squeeze(-2);
  if (b.dim() == 1) return matmul_nd(a, b.unsqueeze(1)).squeeze(-1);
  return matmul_nd(a, b);
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  const char* op = "linear";
  ops::check_floating(op, x);
  ops::check_same_dtype(op, x, weight);
  ops::check_same_device(op, x, weight);
  AMOR_CHECK(weight.dim() == 2 && x.dim() >= 1 && x.shape().back() == weight.shape()[1], ShapeError,
             op, ": input ", x.shape(), " does not match weight ", weight.shape(), " ([out, in])");
  const int64_t out_f = weight.shape()[0], in_f = weight.shape()[1];
  if (bias.defined()) {
    ops::check_same_dtype(op, x, bias);
    ops::check_same_device(op, x, bias);
    AMOR_CHECK(bias.dim() == 1 && bias.shape()[0] == out_f, ShapeError, op, ": bias ", bias.shape(),
               " does not match weight ", weight.shape());
  }
  Tensor X, W, b;
  {
    NoGradGuard no_grad;  // layout helpers only; the op records one LinearBackward below
    X = x.contiguous().reshape(Shape{-1, in_f});
    W = weight.contiguous();
    if (bias.defined()) b = bias.contiguous();
  }
  const int64_t rows = X.shape()[0];
  Shape out_shape = x.shape();
  out_shape[out_shape.size() - 1] = out_f;
  Tensor y = Tensor::empty(out_shape, x.dtype(), x.device());
  dispatch_float(x.dtype(), op, [&]<class T>() {
    if (ops::use_device_of(x)) {  // y = X·Wᵀ on cuBLAS, then y += b broadcast over the rows
      AMOR_CUDA_ONLY(op, {
        kcu::gemm<T>(false, true, rows, out_f, in_f, T(1), X.data<T>(), in_f, W.data<T>(), in_f, T(0),
                     y.data<T>(), out_f);
        if (b.defined()) {
          const Tensor y2 = y.view(Shape{rows, out_f});
          kcu::binary<T>(kcu::BinaryOp::kAdd, ops::strided_geometry(y2, {&y2, &b}), y2.data<T>(),
                         y2.data<T>(), b.data<T>(), T(1));
        }
      });
      return;
    }
    // y = X·Wᵀ + b, the bias added by the GEMM's epilogue.
    kc::gemm<T>(false, true, rows, out_f, in_f, T(1), X.data<T>(), in_f, W.data<T>(), in_f, T(0), y.data<T>(),
                out_f, b.defined() ? b.data<T>() : nullptr);
  });
  if (bias.defined() ? any_requires_grad({&x, &weight, &bias}) : any_requires_grad({&x, &weight})) {
    auto* n = bias.defined() ? record<LinearBackward>(y, {&x, &weight, &bias}, x.shape())
                             : record<LinearBackward>(y, {&x, &weight}, x.shape());
    n->x = SavedTensor(X);
    n->w = SavedTensor(W);
  }
  return y;
}

}  // namespace amor
