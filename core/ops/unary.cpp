// Elementwise unary ops. Each op is one row of the table below: its forward f(x) and its
// derivative written as the gradient of the input given the upstream gradient g, the input x
// and the output y (whichever is cheaper; the node saves only what the formula uses).
#include <cmath>
#include <numbers>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/ops/op_utils.h"
#include "kernels/cpu/fast_math.h"

namespace amor {
namespace {

using kernels::cpu::map_unary;
namespace fm = kernels::cpu::fast_math;

template <class T> [[gnu::always_inline]] inline T sigmoid_of(T x) {
  if constexpr (std::is_same_v<T, float>) return fm::sigmoid(x);
  else return x >= 0 ? T(1) / (T(1) + std::exp(-x)) : std::exp(x) / (T(1) + std::exp(x));
}
template <class T> [[gnu::always_inline]] inline T exp_of(T x) {
  if constexpr (std::is_same_v<T, float>) return fm::exp(x);
  else return std::exp(x);
}
template <class T> [[gnu::always_inline]] inline T tanh_of(T x) {
  if constexpr (std::is_same_v<T, float>) return fm::tanh(x);
  else return std::tanh(x);
}

enum Uses { kX = 1, kY = 2 };

#define AMOR_UNARY(NAME, USES, FWD, BWD)                                  \
  struct NAME {                                                           \
    static constexpr const char* name = #NAME;                            \
    static constexpr int uses = USES;                                     \
    static constexpr kernels::cuda::UnaryOp cuda_op = kernels::cuda::UnaryOp::k##NAME; \
    template <class T> [[gnu::always_inline]] static T f(T x) { FWD; }    \
    template <class T> [[gnu::always_inline]] static T df(T g, [[maybe_unused]] T x, [[maybe_unused]] T y) { BWD; } \
  };

// clang-format off
AMOR_UNARY(Neg,   0,  return -x,                 return -g)
AMOR_UNARY(Exp,   kY, return exp_of(x),          return g * y)
AMOR_UNARY(Log,   kX, return std::log(x),        return g / x)
AMOR_UNARY(Log1p, kX, return std::log1p(x),      return g / (T(1) + x))
AMOR_UNARY(Expm1, kY, return std::expm1(x),      return g * (y + T(1)))
AMOR_UNARY(Sqrt,  kY, return std::sqrt(x),       return g / (T(2) * y))
AMOR_UNARY(Rsqrt, kY, return T(1) / std::sqrt(x), return T(-0.5) * g * y * y * y)
AMOR_UNARY(Abs,   kX, return std::abs(x),        return x > 0 ? g : (x < 0 ? -g : T(0)))
AMOR_UNARY(Square, kX, return x * x,             return T(2) * g * x)
AMOR_UNARY(Tanh,  kY, return tanh_of(x),         return g * (T(1) - y * y))
AMOR_UNARY(Sigmoid, kY, return sigmoid_of(x),    return g * y * (T(1) - y))
// log σ(x) = min(x, 0) - log1p(e^{-|x|});  d/dx = σ(-x)
AMOR_UNARY(LogSigmoid, kX, return std::min(x, T(0)) - std::log1p(exp_of(-std::abs(x))),
           return g * sigmoid_of(-x))
// softplus(x) = max(x, 0) + log1p(e^{-|x|});  d/dx = σ(x)
AMOR_UNARY(Softplus, kX, return std::max(x, T(0)) + std::log1p(exp_of(-std::abs(x))),
           return g * sigmoid_of(x))
AMOR_UNARY(Relu,  kX, return x > 0 ? x : T(0),   return x > 0 ? g : T(0))
// Exact GELU: x Φ(x);  d/dx = Φ(x) + x φ(x)
AMOR_UNARY(Gelu, kX,
           return T(0.5) * x * (T(1) + std::erf(x * T(std::numbers::sqrt2 / 2))),
           return g * (T(0.5) * (T(1) + std::erf(x * T(std::numbers::sqrt2 / 2))) +
                       x * std::exp(T(-0.5) * x * x) * T(0.5 * std::numbers::inv_sqrtpi * std::numbers::sqrt2)))
// tanh GELU: 0.5 x (1 + tanh(u)) = x σ(2u),  u = k (x + c x³), k = √(2/π), c = 0.044715;
// d/dx = σ(2u) + 2 x σ(2u) (1 − σ(2u)) k (1 + 3 c x²)   (1 + tanh u = 2σ(2u), 1 − tanh² u =
// 4σ(2u)(1 − σ(2u))): one exp and one division per element, where tanh costs an exp, a division
// and a polynomial.
AMOR_UNARY(GeluTanh, kX,
           const T k = T(std::numbers::sqrt2 * std::numbers::inv_sqrtpi); const T c = T(0.044715);
           return x * sigmoid_of(T(2) * k * (x + c * x * x * x)),
           const T k = T(std::numbers::sqrt2 * std::numbers::inv_sqrtpi); const T c = T(0.044715);
           const T s = sigmoid_of(T(2) * k * (x + c * x * x * x));
           return g * (s + T(2) * x * s * (T(1) - s) * k * (T(1) + T(3) * c * x * x)))
// silu(x) = x σ(x);  d/dx = σ(x) (1 + x (1 - σ(x)))
AMOR_UNARY(Silu, kX, return x * sigmoid_of(x),
           const T s = sigmoid_of(x); return g * s * (T(1) + x * (T(1) - s)))
AMOR_UNARY(Sin, kX, return std::sin(x), return g * std::cos(x))
AMOR_UNARY(Cos, kX, return std::cos(x), return -g * std::sin(x))
// clang-format on
#undef AMOR_UNARY

template <class Math>
struct UnaryBackward final : Node {
  SavedTensor x, y;
  void backward(const Tensor* g, Tensor* gi) override {
    Tensor X = (Math::uses & kX) ? x.unpack(*this) : g[0];
    Tensor Y = (Math::uses & kY) ? y.unpack(*this) : g[0];
    Tensor out = Tensor::empty(g[0].shape(), g[0].dtype(), g[0].device());
    if (ops::use_device_of(out)) {
      AMOR_CUDA_ONLY(Math::name, dispatch_float(out.dtype(), Math::name, [&]<class T>() {
        kernels::cuda::unary_backward<T>(Math::cuda_op, ops::strided_geometry(out, {&g[0], &X, &Y}),
                                         out.data<T>(), g[0].data<T>(), X.data<T>(), Y.data<T>());
      }));
      gi[0] = out;
      return;
    }
    auto geo = ops::loop_geometry(out, {&g[0], &X, &Y});
    dispatch_float(out.dtype(), Math::name, [&]<class T>() {
      kernels::cpu::map_ternary(geo, out.data<T>(), g[0].data<T>(), X.data<T>(), Y.data<T>(),
                                [](T gv, T xv, T yv) [[gnu::always_inline]] { return Math::template df<T>(gv, xv, yv); });
    });
    gi[0] = out;
  }
  void release() override { x.reset(); y.reset(); }
  const char* name() const override { return Math::name; }
};

template <class Math>
Tensor unary(const Tensor& a) {
  ops::check_floating(Math::name, a);
  Tensor out = Tensor::empty(a.shape(), a.dtype(), a.device());
  if (ops::use_device_of(a)) {
    AMOR_CUDA_ONLY(Math::name, dispatch_float(a.dtype(), Math::name, [&]<class T>() {
      kernels::cuda::unary<T>(Math::cuda_op, ops::strided_geometry(out, {&a}), out.data<T>(), a.data<T>());
    }));
  } else {
    auto g = ops::loop_geometry(out, {&a});
    dispatch_float(a.dtype(), Math::name, [&]<class T>() {
      map_unary(g, out.data<T>(), a.data<T>(), [](T v) [[gnu::always_inline]] { return Math::template f<T>(v); });
    });
  }
  if (any_requires_grad({&a})) {
    auto* n = record<UnaryBackward<Math>>(out, {&a});
    if (Math::uses & kX) n->x = SavedTensor(a);
    if (Math::uses & kY) n->y = SavedTensor(out);
  }
  return out;
}

struct ClampBackward final : Node {
  SavedTensor x;
  double lo, hi;
  ClampBackward(double l, double h) : lo(l), hi(h) {}
  void backward(const Tensor* g, Tensor* gi) override {
    Tensor X = x.unpack(*this);
    Tensor out = Tensor::empty(g[0].shape(), g[0].dtype(), g[0].device());
    if (ops::use_device_of(out)) {
      AMOR_CUDA_ONLY("clamp", dispatch_float(out.dtype(), "clamp", [&]<class T>() {
        kernels::cuda::clamp_backward<T>(ops::strided_geometry(out, {&g[0], &X}), out.data<T>(),
                                         g[0].data<T>(), X.data<T>(), T(lo), T(hi));
      }));
      gi[0] = out;
      return;
    }
    auto geo = ops::loop_geometry(out, {&g[0], &X});
    dispatch_float(out.dtype(), "clamp", [&]<class T>() {
      const T l = T(lo), h = T(hi);
      kernels::cpu::map_binary(geo, out.data<T>(), g[0].data<T>(), X.data<T>(),
                               [l, h](T gv, T xv) { return (xv >= l && xv <= h) ? gv : T(0); });
    });
    gi[0] = out;
  }
  void release() override { x.reset(); }
  const char* name() const override { return "ClampBackward"; }
};

}  // namespace

Tensor neg(const Tensor& a) { return unary<Neg>(a); }
Tensor exp(const Tensor& a) { return unary<Exp>(a); }
Tensor log(const Tensor& a) { return unary<Log>(a); }
Tensor log1p(const Tensor& a) { return unary<Log1p>(a); }
Tensor expm1(const Tensor& a) { return unary<Expm1>(a); }
Tensor sqrt(const Tensor& a) { return unary<Sqrt>(a); }
Tensor rsqrt(const Tensor& a) { return unary<Rsqrt>(a); }
Tensor abs(const Tensor& a) { return unary<Abs>(a); }
Tensor square(const Tensor& a) { return unary<Square>(a); }
Tensor tanh(const Tensor& a) { return unary<Tanh>(a); }
Tensor sigmoid(const Tensor& a) { return unary<Sigmoid>(a); }
Tensor logsigmoid(const Tensor& a) { return unary<LogSigmoid>(a); }
Tensor softplus(const Tensor& a) { return unary<Softplus>(a); }
Tensor relu(const Tensor& a) { return unary<Relu>(a); }
Tensor gelu(const Tensor& a, bool tanh_approximation) {
  return tanh_approximation ? unary<GeluTanh>(a) : unary<Gelu>(a);
}
Tensor silu(const Tensor& a) { return unary<Silu>(a); }
Tensor sin(const Tensor& a) { return unary<Sin>(a); }
Tensor cos(const Tensor& a) { return unary<Cos>(a); }

Tensor clamp(const Tensor& a, std::optional<double> lo_opt, std::optional<double> hi_opt) {
  ops::check_floating("clamp", a);
  const double lo = lo_opt.value_or(-INFINITY), hi = hi_opt.value_or(INFINITY);
  AMOR_CHECK(!(lo > hi), ValueError, "clamp: lower bound ", lo, " above upper bound ", hi);
  Tensor out = Tensor::empty(a.shape(), a.dtype(), a.device());
  if (ops::use_device_of(a)) {
    AMOR_CUDA_ONLY("clamp", dispatch_float(a.dtype(), "clamp", [&]<class T>() {
      kernels::cuda::clamp<T>(ops::strided_geometry(out, {&a}), out.data<T>(), a.data<T>(), T(lo), T(hi));
    }));
  } else {
    auto g = ops::loop_geometry(out, {&a});
    dispatch_float(a.dtype(), "clamp", [&]<class T>() {
      const T l = T(lo), h = T(hi);
      map_unary(g, out.data<T>(), a.data<T>(), [l, h](T v) { return v < l ? l : (v > h ? h : v); });
    });
  }
  if (any_requires_grad({&a})) record<ClampBackward>(out, {&a}, lo, hi)->x = SavedTensor(a);
  return out;
}

}  // namespace amor
