// Elementwise binary ops with broadcasting, comparisons and where(). Backward beside forward:
// each gradient is computed at the broadcast shape and summed back down (sum_to) to its input.
#include <cmath>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/ops/op_utils.h"

namespace amor {
namespace {

using kernels::cpu::map_binary;
using kernels::cpu::map_ternary;
namespace kcu = kernels::cuda;

// out = f(a, b) over the broadcast shape; a and b share a floating dtype. On CUDA the same
// formula is `cuda_op` (kernels/cuda/elementwise_math.cuh).
template <class F>
Tensor binary_float(const char* op, [[maybe_unused]] kcu::BinaryOp cuda_op, const Tensor& a, const Tensor& b, F f) {
  ops::check_same_device(op, a, b);
  ops::check_same_dtype(op, a, b);
  ops::check_floating(op, a);
  Tensor out = Tensor::empty(broadcast_shapes(a.shape(), b.shape(), op), a.dtype(), a.device());
  if (ops::use_device_of(a)) {
    AMOR_CUDA_ONLY(op, dispatch_float(a.dtype(), op, [&]<class T>() {
      kcu::binary<T>(cuda_op, ops::strided_geometry(out, {&a, &b}), out.data<T>(), a.data<T>(),
                     b.data<T>(), T(1));
    }));
    return out;
  }
  auto g = ops::loop_geometry(out, {&a, &b});
  dispatch_float(a.dtype(), op, [&]<class T>() {
    map_binary(g, out.data<T>(), a.data<T>(), b.data<T>(), [f](T x, T y) -> T { return f(x, y); });
  });
  return out;
}

// out = f(x, y, z) for three tensors of one floating dtype broadcast together (used by backward).
template <class F>
Tensor ternary_float(const char* op, [[maybe_unused]] kcu::TernaryOp cuda_op, const Tensor& x, const Tensor& y,
                     const Tensor& z, F f) {
  Shape s = broadcast_shapes(broadcast_shapes(x.shape(), y.shape(), op), z.shape(), op);
  Tensor out = Tensor::empty(s, x.dtype(), x.device());
  if (ops::use_device_of(x)) {
    AMOR_CUDA_ONLY(op, dispatch_float(x.dtype(), op, [&]<class T>() {
      kcu::ternary<T>(cuda_op, ops::strided_geometry(out, {&x, &y, &z}), out.data<T>(), x.data<T>(),
                      y.data<T>(), z.data<T>());
    }));
    return out;
  }
  auto g = ops::loop_geometry(out, {&x, &y, &z});
  dispatch_float(x.dtype(), op, [&]<class T>() {
    map_ternary(g, out.data<T>(), x.data<T>(), y.data<T>(), z.data<T>(),
                [f](T p, T q, T r) -> T { return f(p, q, r); });
  });
  return out;
}

// A 0-d tensor of `like`'s dtype on `like`'s device.
Tensor as_scalar(double v, const Tensor& like) {
  return full(Shape{}, v, {.dtype = like.dtype(), .device = like.device()});
}

// ---- backward nodes -----------------------------------------------------------------------------

struct AddBackward final : Node {
  Shape a_shape, b_shape;
  double b_sign;  // +1 for add, -1 for sub
  AddBackward(Shape a, Shape b, double s) : a_shape(a), b_shape(b), b_sign(s) {}
  void backward(const Tensor* g, Tensor* gi) override {
    if (edges[0].valid()) gi[0] = sum_to(g[0], a_shape);
    if (edges[1].valid()) gi[1] = b_sign > 0 ? sum_to(g[0], b_shape) : neg(sum_to(g[0], b_shape));
  }
  const char* name() const override { return b_sign > 0 ? "AddBackward" : "SubBackward"; }
};

struct MulBackward final : Node {
  SavedTensor a, b;
  void backward(const Tensor* g, Tensor* gi) override {
    Tensor A = a.unpack(*this), B = b.unpack(*this);
    if (edges[0].valid()) gi[0] = sum_to(mul(g[0], B), A.shape());
    if (edges[1].valid()) gi[1] = sum_to(mul(g[0], A), B.shape());
  }
  void release() override { a.reset(); b.reset(); }
  const char* name() const override { return "MulBackward"; }
};

struct DivBackward final : Node {
  SavedTensor a, b;
  void backward(const Tensor* g, Tensor* gi) override {
    Tensor A = a.unpack(*this), B = b.unpack(*this);
    if (edges[0].valid()) gi[0] = sum_to(div(g[0], B), A.shape());
    if (edges[1].valid())  // d(a/b)/db = -a / b²
      gi[1] = sum_to(ternary_float("div_backward", kcu::TernaryOp::kDivGradB, g[0], A, B,
                                   [](auto gv, auto av, auto bv) { return -gv * av / (bv * bv); }),
                     B.shape());
  }
  void release() override { a.reset(); b.reset(); }
  const char* name() const override { return "DivBackward"; }
};

struct PowBackward final : Node {
  SavedTensor a, b, out;
  void backward(const Tensor* g, Tensor* gi) override {
    Tensor A = a.unpack(*this), B = b.unpack(*this), Y = out.unpack(*this);
    if (edges[0].valid())  // b·a^(b-1)
      gi[0] = sum_to(ternary_float("pow_backward", kcu::TernaryOp::kPowGradA, g[0], A, B,
                                   [](auto gv, auto av, auto bv) {
                                     return bv == 0 ? decltype(gv)(0) : gv * bv * std::pow(av, bv - 1);
                                   }),
                     A.shape());
    if (edges[1].valid())  // a^b·log a; defined as 0 where a == 0 (the limit for b > 0)
      gi[1] = sum_to(ternary_float("pow_backward", kcu::TernaryOp::kPowGradB, g[0], A, Y,
                                   [](auto gv, auto av, auto yv) {
                                     return av == 0 ? decltype(gv)(0) : gv * yv * std::log(av);
                                   }),
                     B.shape());
  }
  void release() override { a.reset(); b.reset(); out.reset(); }
  const char* name() const override { return "PowBackward"; }
};

struct MinMaxBackward final : Node {
  SavedTensor a, b;
  bool is_max;
  explicit MinMaxBackward(bool m) : is_max(m) {}
  void backward(const Tensor* g, Tensor* gi) override {
    Tensor A = a.unpack(*this), B = b.unpack(*this);
    const bool mx = is_max;
    // The winner takes the gradient; a tie splits it evenly.
    auto share = [mx](auto gv, auto self, auto other) {
      using T = decltype(gv);
      if (self == other) return gv * T(0.5);
      return (mx ? self > other : self < other) ? gv : T(0);
    };
    const kcu::TernaryOp cuda_share = mx ? kcu::TernaryOp::kMinMaxShareMax : kcu::TernaryOp::kMinMaxShareMin;
    if (edges[0].valid())
      gi[0] = sum_to(ternary_float("minmax_backward", cuda_share, g[0], A, B, share), A.shape());
    if (edges[1].valid())
      gi[1] = sum_to(ternary_float("minmax_backward", cuda_share, g[0], B, A, share), B.shape());
  }
  void release() override { a.reset(); b.reset(); }
  const char* name() const override { return is_max ? "MaximumBackward" : "MinimumBackward"; }
};

struct WhereBackward final : Node {
  SavedTensor mask;
  Shape a_shape, b_shape;
  WhereBackward(Shape a, Shape b) : a_shape(a), b_shape(b) {}
  void backward(const Tensor* g, Tensor* gi) override {
    Tensor M = mask.unpack(*this);
    if (edges[0].valid()) gi[0] = sum_to(where(M, g[0], 0.0), a_shape);
    if (edges[1].valid()) gi[1] = sum_to(where(M, as_scalar(0.0, g[0]), g[0]), b_shape);
  }
  void release() override { mask.reset(); }
  const char* name() const override { return "WhereBackward"; }
};

}  // namespace

// ---- arithmetic ---------------------------------------------------------------------------------

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = binary_float("add", kcu::BinaryOp::kAdd, a, b, [](auto x, auto y) { return x + y; });
  if (any_requires_grad({&a, &b})) record<AddBackward>(out, {&a, &b}, a.shape(), b.shape(), 1.0);
  return out;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor out = binary_float("sub", kcu::BinaryOp::kSub, a, b, [](auto x, auto y) { return x - y; });
  if (any_requires_grad({&a, &b})) record<AddBackward>(out, {&a, &b}, a.shape(), b.shape(), -1.0);
  return out;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = binary_float("mul", kcu::BinaryOp::kMul, a, b, [](auto x, auto y) { return x * y; });
  if (any_requires_grad({&a, &b})) {
    auto* n = record<MulBackward>(out, {&a, &b});
    n->a = SavedTensor(a);
    n->b = SavedTensor(b);
  }
  return out;
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor out = binary_float("div", kcu::BinaryOp::kDiv, a, b, [](auto x, auto y) { return x / y; });
  if (any_requires_grad({&a, &b})) {
    auto* n = record<DivBackward>(out, {&a, &b});
    n->a = SavedTensor(a);
    n->b = SavedTensor(b);
  }
  return out;
}

Tensor pow(const Tensor& a, const Tensor& b) {
  Tensor out = binary_float("pow", kcu::BinaryOp::kPow, a, b, [](auto x, auto y) { return std::pow(x, y); });
  if (any_requires_grad({&a, &b})) {
    auto* n = record<PowBackward>(out, {&a, &b});
    n->a = SavedTensor(a);
    n->b = SavedTensor(b);
    n->out = SavedTensor(out);
  }
  return out;
}

Tensor minimum(const Tensor& a, const Tensor& b) {
  Tensor out = binary_float("minimum", kcu::BinaryOp::kMinimum, a, b, [](auto x, auto y) { return (y < x || y != y) ? y : x; });
  if (any_requires_grad({&a, &b})) {
    auto* n = record<MinMaxBackward>(out, {&a, &b}, false);
    n->a = SavedTensor(a);
    n->b = SavedTensor(b);
  }
  return out;
}

Tensor maximum(const Tensor& a, const Tensor& b) {
  Tensor out = binary_float("maximum", kcu::BinaryOp::kMaximum, a, b, [](auto x, auto y) { return (y > x || y != y) ? y : x; });
  if (any_requires_grad({&a, &b})) {
    auto* n = record<MinMaxBackward>(out, {&a, &b}, true);
    n->a = SavedTensor(a);
    n->b = SavedTensor(b);
  }
  return out;
}

Tensor where(const Tensor& mask, const Tensor& a, const Tensor& b) {
  const char* op = "where";
  AMOR_CHECK(mask.dtype() == DType::Bool, DTypeError, op, ": mask must be bool, got ", mask.dtype());
  ops::check_same_dtype(op, a, b);
  ops::check_same_device(op, a, b);
  ops::check_same_device(op, mask, a);
  Shape s = broadcast_shapes(broadcast_shapes(mask.shape(), a.shape(), op), b.shape(), op);
  Tensor out = Tensor::empty(s, a.dtype(), a.device());
  if (ops::use_device_of(a)) {
    AMOR_CUDA_ONLY(op, dispatch_all(a.dtype(), [&]<class T>() {
      kcu::where<T>(ops::strided_geometry(out, {&mask, &a, &b}), out.data<T>(), mask.data<uint8_t>(),
                    a.data<T>(), b.data<T>());
    }));
  } else {
    auto g = ops::loop_geometry(out, {&mask, &a, &b});
    dispatch_all(a.dtype(), [&]<class T>() {
      map_ternary(g, out.data<T>(), mask.data<uint8_t>(), a.data<T>(), b.data<T>(),
                  [](uint8_t m, T x, T y) { return m ? x : y; });
    });
  }
  if (is_floating(a.dtype()) && any_requires_grad({&a, &b})) {
    auto* n = record<WhereBackward>(out, {&a, &b}, a.shape(), b.shape());
    n->mask = SavedTensor(mask);
  }
  return out;
}

Tensor where(const Tensor& mask, const Tensor& a, double b) { return where(mask, a, as_scalar(b, a)); }

Tensor pow(const Tensor& a, double exponent) { return pow(a, as_scalar(exponent, a)); }

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator+(const Tensor& a, double b) { return add(a, as_scalar(b, a)); }
Tensor operator-(const Tensor& a, double b) { return sub(a, as_scalar(b, a)); }
Tensor operator*(const Tensor& a, double b) { return mul(a, as_scalar(b, a)); }
Tensor operator/(const Tensor& a, double b) { return div(a, as_scalar(b, a)); }
Tensor operator+(double a, const Tensor& b) { return add(as_scalar(a, b), b); }
Tensor operator-(double a, const Tensor& b) { return sub(as_scalar(a, b), b); }
Tensor operator*(double a, const Tensor& b) { return mul(as_scalar(a, b), b); }
Tensor operator/(double a, const Tensor& b) { return div(as_scalar(a, b), b); }
Tensor operator-(const Tensor& a) { return neg(a); }

// ---- comparisons and logic ----------------------------------------------------------------------

namespace {
template <class F>
Tensor compare(const char* op, [[maybe_unused]] kcu::CompareOp cuda_op, const Tensor& a, const Tensor& b, F f) {
  ops::check_same_device(op, a, b);
  ops::check_same_dtype(op, a, b);
  Tensor out = Tensor::empty(broadcast_shapes(a.shape(), b.shape(), op), DType::Bool, a.device());
  if (ops::use_device_of(a)) {
    AMOR_CUDA_ONLY(op, dispatch_all(a.dtype(), [&]<class T>() {
      kcu::compare<T>(cuda_op, ops::strided_geometry(out, {&a, &b}), out.data<uint8_t>(), a.data<T>(),
                      b.data<T>());
    }));
    return out;
  }
  auto g = ops::loop_geometry(out, {&a, &b});
  dispatch_all(a.dtype(), [&]<class T>() {
    map_binary(g, out.data<uint8_t>(), a.data<T>(), b.data<T>(),
               [f](T x, T y) -> uint8_t { return f(x, y) ? 1 : 0; });
  });
  return out;
}
}  // namespace

Tensor eq(const Tensor& a, const Tensor& b) { return compare("eq", kcu::CompareOp::kEq, a, b, [](auto x, auto y) { return x == y; }); }
Tensor ne(const Tensor& a, const Tensor& b) { return compare("ne", kcu::CompareOp::kNe, a, b, [](auto x, auto y) { return x != y; }); }
Tensor lt(const Tensor& a, const Tensor& b) { return compare("lt", kcu::CompareOp::kLt, a, b, [](auto x, auto y) { return x < y; }); }
Tensor le(const Tensor& a, const Tensor& b) { return compare("le", kcu::CompareOp::kLe, a, b, [](auto x, auto y) { return x <= y; }); }
Tensor gt(const Tensor& a, const Tensor& b) { return compare("gt", kcu::CompareOp::kGt, a, b, [](auto x, auto y) { return x > y; }); }
Tensor ge(const Tensor& a, const Tensor& b) { return compare("ge", kcu::CompareOp::kGe, a, b, [](auto x, auto y) { return x >= y; }); }
Tensor lt(const Tensor& a, double b) { return lt(a, as_scalar(b, a)); }
Tensor gt(const Tensor& a, double b) { return gt(a, as_scalar(b, a)); }

Tensor logical_and(const Tensor& a, const Tensor& b) {
  AMOR_CHECK(a.dtype() == DType::Bool, DTypeError, "logical_and: expected bool, got ", a.dtype());
  return compare("logical_and", kcu::CompareOp::kAnd, a, b, [](auto x, auto y) { return x && y; });
}
Tensor logical_or(const Tensor& a, const Tensor& b) {
  AMOR_CHECK(a.dtype() == DType::Bool, DTypeError, "logical_or: expected bool, got ", a.dtype());
  return compare("logical_or", kcu::CompareOp::kOr, a, b, [](auto x, auto y) { return x || y; });
}
Tensor logical_not(const Tensor& a) {
  AMOR_CHECK(a.dtype() == DType::Bool, DTypeError, "logical_not: expected bool, got ", a.dtype());
  return eq(a, as_scalar(0.0, a));
}

Tensor isfinite(const Tensor& a) {
  Tensor out = Tensor::empty(a.shape(), DType::Bool, a.device());
  if (ops::use_device_of(a)) {
    AMOR_CUDA_ONLY("isfinite", dispatch_all(a.dtype(), [&]<class T>() {
      kcu::isfinite<T>(ops::strided_geometry(out, {&a}), out.data<uint8_t>(), a.data<T>());
    }));
    return out;
  }
  auto g = ops::loop_geometry(out, {&a});
  dispatch_all(a.dtype(), [&]<class T>() {
    kernels::cpu::map_unary(g, out.data<uint8_t>(), a.data<T>(), [](T x) -> uint8_t {
      if constexpr (std::is_floating_point_v<T>) return std::isfinite(x) ? 1 : 0;
      else return 1;
    });
  });
  return out;
}

bool all(const Tensor& mask) {
  AMOR_CHECK(mask.dtype() == DType::Bool, DTypeError, "all: expected bool, got ", mask.dtype());
  for (uint8_t v : mask.to_vector<uint8_t>())
    if (!v) return false;
  return true;
}

bool any(const Tensor& mask) {
  AMOR_CHECK(mask.dtype() == DType::Bool, DTypeError, "any: expected bool, got ", mask.dtype());
  for (uint8_t v : mask.to_vector<uint8_t>())
    if (v) return true;
  return false;
}

bool all_finite(const Tensor& a) {
  if (!is_floating(a.dtype())) return true;
  if (!a.device().is_cpu()) return all(isfinite(a));  // one bool per element copied back
  Tensor c = a.contiguous();
  return dispatch_float(a.dtype(), "all_finite", [&]<class T>() {
    const T* p = c.data<T>();
    bool ok = true;
    for (int64_t i = 0, n = c.numel(); i < n; ++i) ok &= std::isfinite(p[i]);
    return ok;
  });
}

}  // namespace amor
