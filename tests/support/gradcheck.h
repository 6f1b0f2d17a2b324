// Test support: a float64 gradient checker and the helpers the gradient and op tests share
// (seeded random inputs, non-contiguous copies, tolerance comparisons).
//
// gradcheck(fn, inputs, options) checks the gradient of `fn` at `inputs`:
//   1. It draws a random upstream gradient w_k ~ N(0, 1) for every output k (fixed seed), so the
//      scalar being differentiated is L = Σ_k Σ w_k ⊙ out_k. Never a plain sum: Σ softmax(x) = 1
//      has a zero gradient and would hide a wrong backward.
//   2. Analytic gradients dL/dx come from amor::grad(outputs, inputs, w) -- which must leave
//      every .grad untouched -- and, on a second evaluation of fn, from amor::backward into the
//      leaves' .grad. The two must agree (they run the same engine through different sinks) and
//      have each input's shape and dtype.
//   3. Numeric gradients are central differences (L(x + h e_i) - L(x - h e_i)) / 2h with
//      h = eps = 1e-6, perturbing element i in place *through the input's own strides and
//      offset*, so a non-contiguous input is fed to fn as the view it is.
//   4. Each entry must satisfy |analytic - numeric| <= atol + rtol * |numeric|.
//
// Tolerances. In float64 the central difference has truncation error ~h²|f'''|/6 (~1e-13 here)
// and rounding error ~ε·Σ|w_k out_k|/h (~1e-10 per unit of output magnitude), so the defaults
// atol = 1e-6, rtol = 1e-5 leave two to three orders of margin for the small, O(1)-valued test
// tensors used in tests/core while still catching any real backward mistake (those are O(1)
// relative). Loosen atol for outputs with large magnitude (e.g. exp of big values).
//
// Inputs: every float64 input is checked unless `options.wrt` says otherwise; int64 / bool inputs
// (indices, masks) are passed through untouched. float32 inputs are refused (finite differences
// in float32 are only a smoke test). Differentiated inputs must be leaves (gradcheck marks them
// requires_grad and clears their .grad before and after) and must not overlap in memory
// (no stride-0 axes of size > 1: perturbing one element of an expanded tensor moves many).
// Outputs must be float64; an output that does not require grad contributes zero analytic
// gradient (its numeric gradient must then be zero too).
//
// Usage:  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& x) { return tanh(x[0]); }, {a}));
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <source_location>
#include <vector>

#include "core/tensor.h"

namespace amor::testing {

struct GradcheckOptions {
  double eps = 1e-6;   // finite-difference step
  double atol = 1e-6;  // |analytic - numeric| <= atol + rtol * |numeric|
  double rtol = 1e-5;
  uint64_t seed = 20240611;  // seed of the random upstream gradient
  std::vector<bool> wrt = {};  // which inputs to differentiate; empty: every float64 input
  int max_reported = 5;      // mismatching entries listed in a failure message
};

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;
using MultiFn = std::function<std::vector<Tensor>(const std::vector<Tensor>&)>;

::testing::AssertionResult gradcheck(const MultiFn& fn, const std::vector<Tensor>& inputs,
                                     const GradcheckOptions& options = {});
::testing::AssertionResult gradcheck(const Fn& fn, const std::vector<Tensor>& inputs,
                                     const GradcheckOptions& options = {});

// ---- random inputs (float64 unless said otherwise; same seed -> same tensor) -----------------

// N(mean, std²).
Tensor randn_f64(const Shape& shape, uint64_t seed, double mean = 0.0, double std = 1.0);
// U[lo, hi).
Tensor uniform_f64(const Shape& shape, uint64_t seed, double lo = -1.0, double hi = 1.0);
// U[lo, hi) with every value at least `margin` away from each of `kinks` (rejection sampling):
// keeps abs/relu away from 0, clamp away from its bounds, maximum away from ties.
Tensor uniform_avoiding(const Shape& shape, uint64_t seed, double lo, double hi,
                        const std::vector<double>& kinks, double margin);
// A random permutation of {0, spacing, 2·spacing, ...} shifted by `start`: all values distinct
// and at least `spacing` apart (max/min along an axis without ties).
Tensor distinct_f64(const Shape& shape, uint64_t seed, double start = -1.0, double spacing = 0.1);
// A bool tensor, each entry true with probability p.
Tensor random_mask(const Shape& shape, uint64_t seed, double p = 0.5);
// int64 entries uniform in [lo, hi).
Tensor random_index(const Shape& shape, uint64_t seed, int64_t lo, int64_t hi);

// The same values in a non-contiguous layout: a view into a larger buffer whose axes are stored
// in reverse order and every axis stepped by 2 (a transpose plus a strided slice). The result is
// a leaf that requires grad iff `t` does; for numel <= 1 only the offset differs.
Tensor make_noncontiguous(const Tensor& t);

// ---- comparisons ----------------------------------------------------------------------------

// Same shape and, elementwise, |a - b| <= atol + rtol * |b| (b is the reference). NaN matches
// NaN and infinities must match exactly. Any dtypes (compared as double).
::testing::AssertionResult all_close(const Tensor& a, const Tensor& b, double atol = 1e-12,
                                     double rtol = 1e-12);
// EXPECT-style wrapper around all_close that reports the caller's file and line.
void expect_close(const Tensor& a, const Tensor& b, double atol = 1e-12, double rtol = 1e-12,
                  std::source_location where = std::source_location::current());
// Elementwise equality (values as double, NaN == NaN) and same shape.
::testing::AssertionResult all_equal(const Tensor& a, const Tensor& b);

}  // namespace amor::testing
