// Per-element math of the elementwise kernels (kernels/cuda/elementwise.h): the device twins of
// the op table in core/ops/unary.cpp and the lambdas of core/ops/binary.cpp, formula for formula
// (same branches for ±0, NaN and the tails), with the C math library of the device (nvcc) or of
// the host (the CPU execution harness). The CPU ops use fast_math polynomials for float exp,
// tanh and sigmoid, so GPU and CPU results agree to rounding, not bit for bit; the harness tests
// check these functors against core's CPU ops within tolerances.
#pragma once

#include <numbers>
#include <stdexcept>

#include "kernels/cuda/elementwise.h"
#include "kernels/cuda/kernel_support.cuh"

namespace amor::kernels::cuda::math {

// ---- libm overloads (float -> the *f function; qualified: amor::exp etc. are tensor ops) -----------
AMOR_DEVICE float exp_(float x) { return ::expf(x); }
AMOR_DEVICE double exp_(double x) { return ::exp(x); }
AMOR_DEVICE float log_(float x) { return ::logf(x); }
AMOR_DEVICE double log_(double x) { return ::log(x); }
AMOR_DEVICE float log1p_(float x) { return ::log1pf(x); }
AMOR_DEVICE double log1p_(double x) { return ::log1p(x); }
AMOR_DEVICE float expm1_(float x) { return ::expm1f(x); }
AMOR_DEVICE double expm1_(double x) { return ::expm1(x); }
AMOR_DEVICE float sqrt_(float x) { return ::sqrtf(x); }
AMOR_DEVICE double sqrt_(double x) { return ::sqrt(x); }
AMOR_DEVICE float fabs_(float x) { return ::fabsf(x); }
AMOR_DEVICE double fabs_(double x) { return ::fabs(x); }
AMOR_DEVICE float tanh_(float x) { return ::tanhf(x); }
AMOR_DEVICE double tanh_(double x) { return ::tanh(x); }
AMOR_DEVICE float erf_(float x) { return ::erff(x); }
AMOR_DEVICE double erf_(double x) { return ::erf(x); }
AMOR_DEVICE float sin_(float x) { return ::sinf(x); }
AMOR_DEVICE double sin_(double x) { return ::sin(x); }
AMOR_DEVICE float cos_(float x) { return ::cosf(x); }
AMOR_DEVICE double cos_(double x) { return ::cos(x); }
AMOR_DEVICE float pow_(float x, float y) { return ::powf(x, y); }
AMOR_DEVICE double pow_(double x, double y) { return ::pow(x, y); }

template <class T>
AMOR_DEVICE T sigmoid(T x) {
  return x >= 0 ? T(1) / (T(1) + exp_(-x)) : exp_(x) / (T(1) + exp_(x));
}
// std::min / std::max semantics (the first argument when unordered).
template <class T>
AMOR_DEVICE T min_(T a, T b) {
  return b < a ? b : a;
}
template <class T>
AMOR_DEVICE T max_(T a, T b) {
  return a < b ? b : a;
}

// ---- unary ops: f(x) and df(g, x, y) ---------------------------------------------------------------
template <UnaryOp Op, class T>
AMOR_DEVICE T unary_f(T x) {
  constexpr T k_erf = T(std::numbers::sqrt2 / 2);
  constexpr T k_tanh = T(std::numbers::sqrt2 * std::numbers::inv_sqrtpi);
  constexpr T c_tanh = T(0.044715);
  if constexpr (Op == UnaryOp::kNeg) return -x;
  else if constexpr (Op == UnaryOp::kExp) return exp_(x);
  else if constexpr (Op == UnaryOp::kLog) return log_(x);
  else if constexpr (Op == UnaryOp::kLog1p) return log1p_(x);
  else if constexpr (Op == UnaryOp::kExpm1) return expm1_(x);
  else if constexpr (Op == UnaryOp::kSqrt) return sqrt_(x);
  else if constexpr (Op == UnaryOp::kRsqrt) return T(1) / sqrt_(x);
  else if constexpr (Op == UnaryOp::kAbs) return fabs_(x);
  else if constexpr (Op == UnaryOp::kSquare) return x * x;
  else if constexpr (Op == UnaryOp::kTanh) return tanh_(x);
  else if constexpr (Op == UnaryOp::kSigmoid) return sigmoid(x);
  else if constexpr (Op == UnaryOp::kLogSigmoid) return min_(x, T(0)) - log1p_(exp_(-fabs_(x)));
  else if constexpr (Op == UnaryOp::kSoftplus) return max_(x, T(0)) + log1p_(exp_(-fabs_(x)));
  else if constexpr (Op == UnaryOp::kRelu) return x > 0 ? x : T(0);
  else if constexpr (Op == UnaryOp::kGelu) return T(0.5) * x * (T(1) + erf_(x * k_erf));
  else if constexpr (Op == UnaryOp::kGeluTanh) return x * sigmoid(T(2) * k_tanh * (x + c_tanh * x * x * x));
  else if constexpr (Op == UnaryOp::kSilu) return x * sigmoid(x);
  else if constexpr (Op == UnaryOp::kSin) return sin_(x);
  else return cos_(x);  // kCos
}

template <UnaryOp Op, class T>
AMOR_DEVICE T unary_df(T g, T x, T y) {
  constexpr T k_erf = T(std::numbers::sqrt2 / 2);
  constexpr T k_phi = T(0.5 * std::numbers::inv_sqrtpi * std::numbers::sqrt2);
  constexpr T k_tanh = T(std::numbers::sqrt2 * std::numbers::inv_sqrtpi);
  constexpr T c_tanh = T(0.044715);
  if constexpr (Op == UnaryOp::kNeg) return -g;
  else if constexpr (Op == UnaryOp::kExp) return g * y;
  else if constexpr (Op == UnaryOp::kLog) return g / x;
  else if constexpr (Op == UnaryOp::kLog1p) return g / (T(1) + x);
  else if constexpr (Op == UnaryOp::kExpm1) return g * (y + T(1));
  else if constexpr (Op == UnaryOp::kSqrt) return g / (T(2) * y);
  else if constexpr (Op == UnaryOp::kRsqrt) return T(-0.5) * g * y * y * y;
  else if constexpr (Op == UnaryOp::kAbs) return x > 0 ? g : (x < 0 ? -g : T(0));
  else if constexpr (Op == UnaryOp::kSquare) return T(2) * g * x;
  else if constexpr (Op == UnaryOp::kTanh) return g * (T(1) - y * y);
  else if constexpr (Op == UnaryOp::kSigmoid) return g * y * (T(1) - y);
  else if constexpr (Op == UnaryOp::kLogSigmoid) return g * sigmoid(-x);
  else if constexpr (Op == UnaryOp::kSoftplus) return g * sigmoid(x);
  else if constexpr (Op == UnaryOp::kRelu) return x > 0 ? g : T(0);
  else if constexpr (Op == UnaryOp::kGelu)
    return g * (T(0.5) * (T(1) + erf_(x * k_erf)) + x * exp_(T(-0.5) * x * x) * k_phi);
  else if constexpr (Op == UnaryOp::kGeluTanh) {
    const T s = sigmoid(T(2) * k_tanh * (x + c_tanh * x * x * x));
    return g * (s + T(2) * x * s * (T(1) - s) * k_tanh * (T(1) + T(3) * c_tanh * x * x));
  } else if constexpr (Op == UnaryOp::kSilu) {
    const T s = sigmoid(x);
    return g * s * (T(1) + x * (T(1) - s));
  } else if constexpr (Op == UnaryOp::kSin) return g * cos_(x);
  else return -g * sin_(x);  // kCos
}

template <UnaryOp Op>
struct UnaryForward {
  template <class T>
  AMOR_DEVICE T operator()(T x) const { return unary_f<Op>(x); }
};
template <UnaryOp Op>
struct UnaryBackward {
  template <class T>
  AMOR_DEVICE T operator()(T g, T x, T y) const { return unary_df<Op>(g, x, y); }
};

// ---- binary and gradient ops ---------------------------------------------------------------------
template <BinaryOp Op, class T>
struct Binary {
  T alpha;  // kAxpy only
  AMOR_DEVICE T operator()(T x, T y) const {
    if constexpr (Op == BinaryOp::kAdd) return x + y;
    else if constexpr (Op == BinaryOp::kSub) return x - y;
    else if constexpr (Op == BinaryOp::kMul) return x * y;
    else if constexpr (Op == BinaryOp::kDiv) return x / y;
    else if constexpr (Op == BinaryOp::kPow) return pow_(x, y);
    else if constexpr (Op == BinaryOp::kMinimum) return (y < x || y != y) ? y : x;
    else if constexpr (Op == BinaryOp::kMaximum) return (y > x || y != y) ? y : x;
    else return x + alpha * y;  // kAxpy
  }
};

template <TernaryOp Op>
struct Ternary {
  template <class T>
  AMOR_DEVICE T operator()(T g, T x, T y) const {
    if constexpr (Op == TernaryOp::kDivGradB) return -g * x / (y * y);
    else if constexpr (Op == TernaryOp::kPowGradA) return y == 0 ? T(0) : g * y * pow_(x, y - 1);
    else if constexpr (Op == TernaryOp::kPowGradB) return x == 0 ? T(0) : g * y * log_(x);
    else if constexpr (Op == TernaryOp::kMinMaxShareMax) return x == y ? g * T(0.5) : (x > y ? g : T(0));
    else return x == y ? g * T(0.5) : (x < y ? g : T(0));  // kMinMaxShareMin
  }
};

template <class T>
struct Clamp {
  T lo, hi;
  AMOR_DEVICE T operator()(T v) const { return v < lo ? lo : (v > hi ? hi : v); }
};
template <class T>
struct ClampBackward {
  T lo, hi;
  AMOR_DEVICE T operator()(T g, T x) const { return (x >= lo && x <= hi) ? g : T(0); }
};

template <CompareOp Op>
struct Compare {
  template <class T>
  AMOR_DEVICE uint8_t operator()(T x, T y) const {
    bool r;
    if constexpr (Op == CompareOp::kEq) r = x == y;
    else if constexpr (Op == CompareOp::kNe) r = x != y;
    else if constexpr (Op == CompareOp::kLt) r = x < y;
    else if constexpr (Op == CompareOp::kLe) r = x <= y;
    else if constexpr (Op == CompareOp::kGt) r = x > y;
    else if constexpr (Op == CompareOp::kGe) r = x >= y;
    else if constexpr (Op == CompareOp::kAnd) r = x && y;
    else r = x || y;  // kOr
    return r ? 1 : 0;
  }
};

struct Where {
  template <class T>
  AMOR_DEVICE T operator()(uint8_t m, T x, T y) const { return m ? x : y; }
};

struct IsFinite {
  // Finite exactly when x - x is 0 (inf - inf and NaN - NaN are NaN); integers always are.
  template <class T>
  AMOR_DEVICE uint8_t operator()(T x) const { return x - x == T(0) ? 1 : 0; }
};

template <class To>
struct Cast {
  template <class Ti>
  AMOR_DEVICE To operator()(Ti x) const { return static_cast<To>(x); }
};

// ---- enum -> compile-time op (host code: the .cu entry points and the harness tests) --------------
template <auto V>
struct OpTag {
  static constexpr auto value = V;
};

template <class F>
void visit_unary_op(UnaryOp op, F&& f) {
  switch (op) {
#define AMOR_CASE(X) \
  case UnaryOp::X: f(OpTag<UnaryOp::X>{}); return;
    AMOR_CASE(kNeg) AMOR_CASE(kExp) AMOR_CASE(kLog) AMOR_CASE(kLog1p) AMOR_CASE(kExpm1)
    AMOR_CASE(kSqrt) AMOR_CASE(kRsqrt) AMOR_CASE(kAbs) AMOR_CASE(kSquare) AMOR_CASE(kTanh)
    AMOR_CASE(kSigmoid) AMOR_CASE(kLogSigmoid) AMOR_CASE(kSoftplus) AMOR_CASE(kRelu)
    AMOR_CASE(kGelu) AMOR_CASE(kGeluTanh) AMOR_CASE(kSilu) AMOR_CASE(kSin) AMOR_CASE(kCos)
#undef AMOR_CASE
  }
  throw std::invalid_argument("cuda unary: unknown op");
}

template <class F>
void visit_binary_op(BinaryOp op, F&& f) {
  switch (op) {
#define AMOR_CASE(X) \
  case BinaryOp::X: f(OpTag<BinaryOp::X>{}); return;
    AMOR_CASE(kAdd) AMOR_CASE(kSub) AMOR_CASE(kMul) AMOR_CASE(kDiv) AMOR_CASE(kPow)
    AMOR_CASE(kMinimum) AMOR_CASE(kMaximum) AMOR_CASE(kAxpy)
#undef AMOR_CASE
  }
  throw std::invalid_argument("cuda binary: unknown op");
}

template <class F>
void visit_ternary_op(TernaryOp op, F&& f) {
  switch (op) {
#define AMOR_CASE(X) \
  case TernaryOp::X: f(OpTag<TernaryOp::X>{}); return;
    AMOR_CASE(kDivGradB) AMOR_CASE(kPowGradA) AMOR_CASE(kPowGradB) AMOR_CASE(kMinMaxShareMax)
    AMOR_CASE(kMinMaxShareMin)
#undef AMOR_CASE
  }
  throw std::invalid_argument("cuda ternary: unknown op");
}

template <class F>
void visit_compare_op(CompareOp op, F&& f) {
  switch (op) {
#define AMOR_CASE(X) \
  case CompareOp::X: f(OpTag<CompareOp::X>{}); return;
    AMOR_CASE(kEq) AMOR_CASE(kNe) AMOR_CASE(kLt) AMOR_CASE(kLe) AMOR_CASE(kGt) AMOR_CASE(kGe)
    AMOR_CASE(kAnd) AMOR_CASE(kOr)
#undef AMOR_CASE
  }
  throw std::invalid_argument("cuda compare: unknown op");
}

}  // namespace amor::kernels::cuda::math
