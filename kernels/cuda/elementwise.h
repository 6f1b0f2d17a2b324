// Strided elementwise kernels on a CUDA device: the GPU twins of kernels/cpu/elementwise.h's
// map_unary / map_binary / map_ternary, with the per-element math named by an enum instead of a
// functor (core is not compiled by nvcc). One generic strided-loop kernel family
// (kernels/cuda/elementwise_device.cuh) walks any geometry core describes: a shared shape and
// per-operand strides in elements, 0 along broadcast axes; operand 0 is the output. The math of
// each op (kernels/cuda/elementwise_math.cuh) is the formula of core/ops/unary.cpp and
// core/ops/binary.cpp with CUDA's libm (the CPU's float path uses fast_math polynomials, so the
// two agree to rounding, not bit for bit).
//
// All pointers are device pointers; kernels run asynchronously on the current device's amor
// stream (kernels/cuda/stream.h); a launch error throws std::runtime_error. Plain C++ header.
#pragma once

#include <cstdint>

namespace amor::kernels::cuda {

inline constexpr int kElementwiseMaxDims = 8;
inline constexpr int kElementwiseMaxOperands = 4;

// The layout of kernels::cpu::LoopGeometry (core fills it the same way, coalesced).
struct StridedGeometry {
  int ndim = 0;
  int noperands = 0;
  int64_t shape[kElementwiseMaxDims] = {};
  int64_t stride[kElementwiseMaxOperands][kElementwiseMaxDims] = {};
};

// Unary ops of core/ops/unary.cpp (forward y = f(x); backward dx = df(g, x, y)).
enum class UnaryOp {
  kNeg, kExp, kLog, kLog1p, kExpm1, kSqrt, kRsqrt, kAbs, kSquare, kTanh, kSigmoid, kLogSigmoid,
  kSoftplus, kRelu, kGelu, kGeluTanh, kSilu, kSin, kCos,
};

// Binary floating ops: out = f(a, b). kAxpy is a + alpha·b (in-place add_).
enum class BinaryOp { kAdd, kSub, kMul, kDiv, kPow, kMinimum, kMaximum, kAxpy };

// The three-operand gradient formulas of core/ops/binary.cpp: out = f(g, x, y).
enum class TernaryOp {
  kDivGradB,   // -g·a/b²            (x = a, y = b)
  kPowGradA,   // g·b·a^(b-1), 0 where b == 0       (x = a, y = b)
  kPowGradB,   // g·a^b·log a, 0 where a == 0       (x = a, y = a^b)
  kMinMaxShareMax,  // g where x > y, g/2 where x == y, else 0
  kMinMaxShareMin,  // g where x < y, g/2 where x == y, else 0
};

// Comparisons and logic: out (uint8 0/1) = f(a, b). kAnd/kOr treat nonzero as true.
enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe, kAnd, kOr };

// Floating T: float, double.
template <class T>
void unary(UnaryOp op, const StridedGeometry& g, T* out, const T* x);
template <class T>
void unary_backward(UnaryOp op, const StridedGeometry& g, T* dx, const T* grad, const T* x,
                    const T* y);
template <class T>
void binary(BinaryOp op, const StridedGeometry& g, T* out, const T* a, const T* b, T alpha);
template <class T>
void ternary(TernaryOp op, const StridedGeometry& g, T* out, const T* gr, const T* x, const T* y);
// out = clamp(x, lo, hi); backward: dx = g where lo <= x <= hi, else 0.
template <class T>
void clamp(const StridedGeometry& g, T* out, const T* x, T lo, T hi);
template <class T>
void clamp_backward(const StridedGeometry& g, T* dx, const T* grad, const T* x, T lo, T hi);

// Any dtype T: float, double, int64_t, uint8_t (bool).
template <class T>
void compare(CompareOp op, const StridedGeometry& g, uint8_t* out, const T* a, const T* b);
template <class T>
void where(const StridedGeometry& g, T* out, const uint8_t* mask, const T* a, const T* b);
template <class T>
void isfinite(const StridedGeometry& g, uint8_t* out, const T* x);
// out (operand 0 only) = value.
template <class T>
void fill(const StridedGeometry& g, T* out, T value);
// out = static_cast<To>(x), as the CPU copy_: copies, casts, broadcasts, makes contiguous.
template <class To, class Ti>
void cast(const StridedGeometry& g, To* out, const Ti* x);

}  // namespace amor::kernels::cuda
