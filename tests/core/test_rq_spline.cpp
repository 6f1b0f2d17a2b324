// rational_quadratic_spline (core/ops/rq_spline.cpp, kernels/cpu/rq_spline): the fused op against
// the composition twin (tests/core/rq_spline_composition.h) forward and backward, float64
// finite-difference gradchecks (interior, tails, near knots, near ±B, non-contiguous), round
// trips, monotonicity, log|det| against the numeric derivative, identity tails, the identity
// spline, and input validation.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "tests/core/rq_spline_composition.h"
#include "tests/support/gradcheck.h"

namespace amor {
namespace {

using testing::gradcheck;
using testing::make_noncontiguous;
using testing::rq_spline_by_composition;

RQSplineOptions opts(bool inverse, int64_t K = 10, double B = 3.0) {
  RQSplineOptions o;
  o.num_bins = K;
  o.tail_bound = B;
  o.inverse = inverse;
  return o;
}

// Unnormalised parameters [shape..., 3K-1] ~ N(0, scale²): bins of visibly different sizes and
// slopes between ~0.1 and ~10.
Tensor random_params(const Shape& shape, int64_t K, uint64_t seed, double scale = 1.0) {
  Shape s = shape;
  s.push_back(3 * K - 1);
  return testing::randn_f64(s, seed, 0.0, scale);
}

std::vector<Tensor> fused(const Tensor& x, const Tensor& p, const RQSplineOptions& o) {
  RQSplineOutputs r = rational_quadratic_spline(x, p, o);
  return {r.outputs, r.logabsdet};
}

// Values and gradients (for random upstream gradients of both outputs) of the fused op in dtype
// `dt` and of the composition in `ref_dt`, on the same inputs (rounded to dt), compared with
// atol = rtol = tol.
void expect_matches_composition(const Tensor& x64, const Tensor& p64, const RQSplineOptions& o,
                                DType dt, double tol, DType ref_dt) {
  const Tensor xr = x64.to(dt).to(DType::F64), pr = p64.to(dt).to(DType::F64);
  const Tensor gy = testing::randn_f64(x64.shape(), 91).to(dt).to(DType::F64);
  const Tensor gl = testing::randn_f64(x64.shape(), 92).to(dt).to(DType::F64);
  std::vector<std::vector<Tensor>> results;  // {y, lad, dx, dp} for fused, then composition
  for (int which = 0; which < 2; ++which) {
    const DType d = which == 0 ? dt : ref_dt;
    Tensor x = xr.to(d).detach().requires_grad_(), p = pr.to(d).detach().requires_grad_();
    std::vector<Tensor> out = which == 0 ? fused(x, p, o) : rq_spline_by_composition(x, p, o);
    std::vector<Tensor> g = grad(out, {x, p}, {gy.to(d), gl.to(d)});
    for (const Tensor& t : out) EXPECT_EQ(t.dtype(), d);
    for (const Tensor& t : g) EXPECT_EQ(t.dtype(), d);
    results.push_back({out[0], out[1], g[0], g[1]});
  }
  const char* names[] = {"outputs", "logabsdet", "d inputs", "d params"};
  for (int k = 0; k < 4; ++k) {
    SCOPED_TRACE(names[k]);
    testing::expect_close(results[0][k], results[1][k], tol, tol);
  }
}

TEST(RQSpline, MatchesCompositionFloat64) {
  // Inputs cover [-1.3B, 1.3B]: about a quarter of them fall in the tails.
  for (bool inverse : {false, true})
    for (int64_t K : {1, 2, 5, 10}) {
      SCOPED_TRACE(std::string(inverse ? "inverse" : "forward") + " K=" + std::to_string(K));
      Tensor x = testing::uniform_f64(Shape{40, 3}, 1 + K, -3.9, 3.9);
      Tensor p = random_params(Shape{40, 3}, K, 2 + K);
      expect_matches_composition(x, p, opts(inverse, K), DType::F64, 1e-10, DType::F64);
    }
}

TEST(RQSpline, MatchesCompositionFloat32) {
  // float32 against the float64 composition on the same (float32) inputs. The kernel computes in
  // double and rounds once, so it agrees to ~6e-8; 1e-6 leaves a factor ~20. (The float32
  // composition itself is off by up to ~6e-5 in log|det| and the gradients for these parameters:
  // see "Precision" in kernels/cpu/rq_spline.h.)
  for (bool inverse : {false, true}) {
    SCOPED_TRACE(inverse ? "inverse" : "forward");
    Tensor x = testing::uniform_f64(Shape{64, 4}, 3, -3.9, 3.9);
    Tensor p = random_params(Shape{64, 4}, 10, 4);
    expect_matches_composition(x, p, opts(inverse), DType::F32, 1e-6, DType::F64);
  }
}

TEST(RQSpline, MatchesCompositionOtherBoundsAndShapes) {
  // A 1-D and a 3-D layout, a small and a large tail bound, large unnormalised parameters.
  Tensor x1 = testing::uniform_f64(Shape{50}, 5, -1.2, 1.2);
  expect_matches_composition(x1, random_params(Shape{50}, 4, 6, 3.0), opts(false, 4, 1.0), DType::F64, 1e-10, DType::F64);
  expect_matches_composition(x1, random_params(Shape{50}, 4, 7, 3.0), opts(true, 4, 1.0), DType::F64, 1e-10, DType::F64);
  Tensor x3 = testing::uniform_f64(Shape{4, 3, 5}, 8, -9.0, 9.0);
  expect_matches_composition(x3, random_params(Shape{4, 3, 5}, 8, 9), opts(false, 8, 7.5), DType::F64, 1e-10, DType::F64);
  expect_matches_composition(x3, random_params(Shape{4, 3, 5}, 8, 10), opts(true, 8, 7.5), DType::F64, 1e-10, DType::F64);
}

TEST(RQSpline, OneOutputGradientOnly) {
  // When only one output is used, the other's gradient counts as zero.
  Tensor x0 = testing::uniform_f64(Shape{30}, 11, -3.5, 3.5);
  Tensor p0 = random_params(Shape{30}, 10, 12);
  for (bool inverse : {false, true})
    for (int which : {0, 1}) {
      std::vector<Tensor> g[2];
      for (int impl = 0; impl < 2; ++impl) {
        Tensor x = x0.detach().requires_grad_(), p = p0.detach().requires_grad_();
        std::vector<Tensor> out = impl == 0 ? fused(x, p, opts(inverse)) : rq_spline_by_composition(x, p, opts(inverse));
        g[impl] = grad({sum(out[which] * out[which])}, {x, p});
      }
      testing::expect_close(g[0][0], g[1][0], 1e-10, 1e-10);
      testing::expect_close(g[0][1], g[1][1], 1e-10, 1e-10);
    }
}

// ---- finite-difference gradient checks --------------------------------------------------------

auto spline_fn(const RQSplineOptions& o) {
  return [o](const std::vector<Tensor>& v) { return fused(v[0], v[1], o); };
}

TEST(RQSplineGradcheck, InteriorAndTails) {
  for (bool inverse : {false, true}) {
    SCOPED_TRACE(inverse ? "inverse" : "forward");
    Tensor x = testing::uniform_f64(Shape{6, 2}, 21, -2.9, 2.9);
    Tensor p = random_params(Shape{6, 2}, 10, 22);
    EXPECT_TRUE(gradcheck(spline_fn(opts(inverse)), {x, p}));
    // Tails, just outside and just inside ±B (the step 1e-6 never crosses the boundary).
    Tensor xt = from_vector<double>({-3.7, -3.0001, -2.9999, 2.9999, 3.0001, 5.0}, Shape{6});
    Tensor pt = random_params(Shape{6}, 10, 23);
    EXPECT_TRUE(gradcheck(spline_fn(opts(inverse)), {xt, pt}));
  }
}

TEST(RQSplineGradcheck, NearKnots) {
  // x 1e-4 on either side of every interior knot of its own spline (widths for the forward,
  // heights for the inverse): the finite-difference step moves knots by ~1e-6 and never
  // carries a point across one, so the check sees the derivative of a single bin on each side.
  const int64_t K = 6, N = 2 * (K - 1);
  for (bool inverse : {false, true}) {
    SCOPED_TRACE(inverse ? "inverse" : "forward");
    Tensor p = random_params(Shape{N}, K, 31, 1.5);
    Tensor knots = testing::rq_spline_knots(p.narrow(1, inverse ? K : 0, K), 1e-3, 3.0);
    std::vector<double> xs;
    for (int64_t j = 1; j < K; ++j)
      for (double side : {-1e-4, 1e-4}) {
        const int64_t row = int64_t(xs.size());
        xs.push_back(knots.select(0, row).select(0, j).item<double>() + side);
      }
    Tensor x = from_vector<double>(xs, Shape{N});
    EXPECT_TRUE(gradcheck(spline_fn(opts(inverse, K)), {x, p}));
  }
}

TEST(RQSplineGradcheck, NonContiguousAndSmallBins) {
  // Strided views of inputs and parameters, and parameters large enough that some bins sit at
  // their minimum width/height and derivatives near min_derivative.
  for (bool inverse : {false, true}) {
    Tensor x = testing::uniform_f64(Shape{3, 4}, 41, -3.2, 3.2);
    Tensor p = random_params(Shape{3, 4}, 5, 42, 4.0);
    EXPECT_TRUE(gradcheck(spline_fn(opts(inverse, 5)), {make_noncontiguous(x), make_noncontiguous(p)},
                          {.atol = 1e-5}));
  }
}

// ---- properties ---------------------------------------------------------------------------

// One spline, its parameter row repeated for every grid point.
Tensor repeat_row(const Tensor& row, int64_t n) {
  return row.unsqueeze(0).expand(Shape{n, row.shape()[0]}).contiguous();
}

TEST(RQSpline, RoundTripFloat64) {
  Tensor x = testing::uniform_f64(Shape{500, 2}, 51, -4.0, 4.0);
  Tensor p = random_params(Shape{500, 2}, 10, 52);
  RQSplineOutputs fwd = rational_quadratic_spline(x, p, opts(false));
  RQSplineOutputs back = rational_quadratic_spline(fwd.outputs, p, opts(true));
  testing::expect_close(back.outputs, x, 1e-10, 0.0);
  // The inverse's log|det| is minus the forward's at the matching point.
  testing::expect_close(back.logabsdet, -fwd.logabsdet, 1e-10, 0.0);
  // And the other way round: inverse first.
  RQSplineOutputs inv = rational_quadratic_spline(x, p, opts(true));
  RQSplineOutputs again = rational_quadratic_spline(inv.outputs, p, opts(false));
  testing::expect_close(again.outputs, x, 1e-10, 0.0);
  testing::expect_close(again.logabsdet, -inv.logabsdet, 1e-10, 0.0);
}

TEST(RQSpline, RoundTripFloat32) {
  // Storing the intermediate in float32 rounds it by up to 2.4e-7 (half an ulp at |v| < 4), and
  // the second map multiplies that by its slope: x -> y -> x by dx/dy = exp(-logabsdet of the
  // first map), which reaches ~300 where a bin sits at min_derivative. So element i must come
  // back within 1e-5 + 1e-6·max(1, dx/dy)_i: 1e-5 where the map is well conditioned, and ~4x
  // the unavoidable rounding error where it is not; a wrong inverse is off by O(0.1).
  Tensor x = testing::uniform_f64(Shape{1000}, 51, -4.0, 4.0).to(DType::F32);
  Tensor p = random_params(Shape{1000}, 10, 52).to(DType::F32);
  for (bool inverse_first : {false, true}) {
    SCOPED_TRACE(inverse_first ? "inverse first" : "forward first");
    RQSplineOutputs first = rational_quadratic_spline(x, p, opts(inverse_first));
    RQSplineOutputs back = rational_quadratic_spline(first.outputs, p, opts(!inverse_first));
    const std::vector<double> x0 = x.to_vector<double>(), x1 = back.outputs.to_vector<double>();
    const std::vector<double> lad = first.logabsdet.to_vector<double>();
    int bad = 0, well_conditioned = 0;
    for (size_t i = 0; i < x0.size(); ++i) {
      const double amplification = std::max(1.0, std::exp(-lad[i]));
      const double err = std::fabs(x1[i] - x0[i]);
      well_conditioned += amplification == 1.0;
      if (err > 1e-5 + 1e-6 * amplification && ++bad <= 5)
        ADD_FAILURE() << "x = " << x0[i] << " came back as " << x1[i] << " (dx/dy " << amplification << ")";
    }
    EXPECT_EQ(bad, 0);
    EXPECT_GT(well_conditioned, 400);  // most elements are held to the plain 1e-5
  }
}

TEST(RQSpline, MonotoneAndLogDetIsLogSlope) {
  // On a fine grid across [-1.5B, 1.5B]: strictly increasing outputs (forward and inverse), and
  // exp(logabsdet) equal to the central difference (y(x + h) - y(x - h)) / 2h wherever
  // [x - h, x + h] lies in one bin (or one tail). There the difference is off by h²|y'''|/6
  // (< 1e-7 relative even for bins at the minimum width) plus rounding ~1e-10, so rtol 1e-5
  // passes a correct log|det|, while a missing factor or a wrong bin is off by O(1). Points
  // within 2h of a knot are skipped (the second derivative jumps there).
  const int64_t n = 3001, K = 10;
  const double h = 1e-6;
  for (bool inverse : {false, true})
    for (uint64_t seed : {61, 62, 63}) {
      SCOPED_TRACE(std::string(inverse ? "inverse" : "forward") + " seed " + std::to_string(seed));
      Tensor row = testing::randn_f64(Shape{3 * K - 1}, seed, 0.0, 1.5);
      Tensor p = repeat_row(row, n);
      Tensor x = linspace(-4.5, 4.5, n, {.dtype = DType::F64});
      RQSplineOutputs r = rational_quadratic_spline(x, p, opts(inverse));
      const std::vector<double> xs = x.to_vector<double>(), y = r.outputs.to_vector<double>();
      for (int64_t i = 1; i < n; ++i) ASSERT_GT(y[i], y[i - 1]) << "at x = " << xs[i];
      const std::vector<double> knots =
          testing::rq_spline_knots(row.narrow(0, inverse ? K : 0, K).unsqueeze(0), 1e-3, 3.0).to_vector<double>();
      const std::vector<double> up = rational_quadratic_spline(x + h, p, opts(inverse)).outputs.to_vector<double>();
      const std::vector<double> down = rational_quadratic_spline(x - h, p, opts(inverse)).outputs.to_vector<double>();
      const std::vector<double> slope = exp(r.logabsdet).to_vector<double>();
      int checked = 0;
      for (int64_t i = 0; i < n; ++i) {
        bool near_knot = false;
        for (double k : knots) near_knot = near_knot || std::fabs(xs[i] - k) < 2 * h;
        if (near_knot) continue;
        ++checked;
        const double numeric = (up[i] - down[i]) / (2 * h);
        ASSERT_NEAR(slope[i], numeric, 1e-5 * numeric) << "at x = " << xs[i];
      }
      EXPECT_GE(checked, n - 3);  // only the grid points at ±B (and perhaps one knot) skipped
    }
}

TEST(RQSpline, KnotsMapToKnots) {
  // The forward sends X_j to Y_j (and the inverse Y_j to X_j), for every knot including ±B.
  const int64_t K = 10, n = 4;
  Tensor p = random_params(Shape{n}, K, 71);
  Tensor X = testing::rq_spline_knots(p.narrow(1, 0, K), 1e-3, 3.0);  // [n, K+1]
  Tensor Y = testing::rq_spline_knots(p.narrow(1, K, K), 1e-3, 3.0);
  Tensor pk = p.unsqueeze(1).expand(Shape{n, K + 1, 3 * K - 1}).contiguous();
  testing::expect_close(rational_quadratic_spline(X, pk, opts(false)).outputs, Y, 1e-12, 1e-12);
  testing::expect_close(rational_quadratic_spline(Y, pk, opts(true)).outputs, X, 1e-12, 1e-12);
}

TEST(RQSpline, IdentityInTails) {
  // Outside [-B, B]: y == x bit for bit, log|det| == 0, dy/dx == 1, no parameter gradient.
  for (DType dt : {DType::F64, DType::F32})
    for (bool inverse : {false, true}) {
      Tensor x = from_vector<double>({-1e30, -50.0, -3.001, 3.001, 4.0, 1e30}).to(dt);
      x.requires_grad_();
      Tensor p = random_params(Shape{6}, 10, 81, 2.0).to(dt).detach().requires_grad_();
      RQSplineOutputs r = rational_quadratic_spline(x, p, opts(inverse));
      EXPECT_TRUE(testing::all_equal(r.outputs, x.detach()));
      EXPECT_TRUE(testing::all_equal(r.logabsdet, zeros(Shape{6}, {.dtype = dt})));
      Tensor gy = testing::randn_f64(Shape{6}, 82).to(dt), gl = testing::randn_f64(Shape{6}, 83).to(dt);
      std::vector<Tensor> g = grad({r.outputs, r.logabsdet}, {x, p}, {gy, gl});
      EXPECT_TRUE(testing::all_equal(g[0], gy));
      EXPECT_TRUE(testing::all_equal(g[1], zeros(p.shape(), {.dtype = dt})));
    }
}

TEST(RQSpline, ContinuousAtTailBound) {
  // At ±B the spline meets the identity tails: value ±B and slope D_0 = D_K = 1.
  for (bool inverse : {false, true}) {
    Tensor x = from_vector<double>({-3.0, 3.0, -3.0, 3.0}, Shape{4});
    Tensor p = random_params(Shape{4}, 10, 91, 2.0);
    RQSplineOutputs r = rational_quadratic_spline(x, p, opts(inverse));
    testing::expect_close(r.outputs, x, 1e-12, 0.0);
    testing::expect_close(r.logabsdet, zeros(Shape{4}, {.dtype = DType::F64}), 1e-12, 0.0);
  }
}

TEST(RQSpline, IdentitySpline) {
  // Equal bins (u_w = u_h = 0) with every derivative 1 (u_d = log(e^{1 - min_d} - 1)) make the
  // spline the identity: y = x and log|det| = 0 inside [-B, B] too.
  const int64_t K = 10, n = 101;
  Tensor row = zeros(Shape{3 * K - 1}, {.dtype = DType::F64});
  row.narrow(0, 2 * K, K - 1).fill_(std::log(std::exp(1.0 - 1e-3) - 1.0));
  Tensor p = repeat_row(row, n);
  Tensor x = linspace(-3.0, 3.0, n, {.dtype = DType::F64});
  for (bool inverse : {false, true}) {
    RQSplineOutputs r = rational_quadratic_spline(x, p, opts(inverse));
    testing::expect_close(r.outputs, x, 1e-13, 1e-13);
    testing::expect_close(r.logabsdet, zeros(Shape{n}, {.dtype = DType::F64}), 1e-13, 0.0);
  }
}

TEST(RQSpline, NaNInputPropagates) {
  Tensor x = from_vector<double>({NAN, 0.5});
  RQSplineOutputs r = rational_quadratic_spline(x, random_params(Shape{2}, 10, 95), opts(false));
  EXPECT_TRUE(std::isnan(r.outputs.to_vector<double>()[0]));
  EXPECT_TRUE(std::isfinite(r.outputs.to_vector<double>()[1]));
}

TEST(RQSpline, RejectsBadArguments) {
  Tensor x = zeros(Shape{4, 2}, {.dtype = DType::F64});
  Tensor p = zeros(Shape{4, 2, 29}, {.dtype = DType::F64});
  EXPECT_NO_THROW(rational_quadratic_spline(x, p));
  EXPECT_THROW(rational_quadratic_spline(x, zeros(Shape{4, 2, 30}, {.dtype = DType::F64})), ShapeError);
  EXPECT_THROW(rational_quadratic_spline(x, zeros(Shape{4, 29}, {.dtype = DType::F64})), ShapeError);
  EXPECT_THROW(rational_quadratic_spline(x, zeros(Shape{2, 2, 29}, {.dtype = DType::F64})), ShapeError);
  EXPECT_THROW(rational_quadratic_spline(x, p.to(DType::F32)), DTypeError);
  EXPECT_THROW(rational_quadratic_spline(x.to(DType::I64), p.to(DType::I64)), DTypeError);
  auto with = [](auto set) {
    RQSplineOptions o;
    set(o);
    return o;
  };
  EXPECT_THROW(rational_quadratic_spline(x, p, with([](RQSplineOptions& o) { o.tail_bound = 0; })), ValueError);
  EXPECT_THROW(rational_quadratic_spline(x, p, with([](RQSplineOptions& o) { o.tail_bound = NAN; })), ValueError);
  EXPECT_THROW(rational_quadratic_spline(x, p, with([](RQSplineOptions& o) { o.min_bin_width = 0.2; })), ValueError);
  EXPECT_THROW(rational_quadratic_spline(x, p, with([](RQSplineOptions& o) { o.min_bin_height = -1e-3; })), ValueError);
  EXPECT_THROW(rational_quadratic_spline(x, p, with([](RQSplineOptions& o) { o.min_derivative = 1.0; })), ValueError);
  EXPECT_THROW(rational_quadratic_spline(x, p, with([](RQSplineOptions& o) { o.num_bins = 0; })), ValueError);
  EXPECT_THROW(rational_quadratic_spline(zeros(Shape{2}), zeros(Shape{2, 194}), with([](RQSplineOptions& o) {
                                           o.num_bins = 65;
                                           o.min_bin_width = o.min_bin_height = 1e-4;
                                         })),
               ValueError);
  EXPECT_NO_THROW(rational_quadratic_spline(zeros(Shape{2}), zeros(Shape{2, 191}), with([](RQSplineOptions& o) {
                                              o.num_bins = 64;
                                              o.min_bin_width = o.min_bin_height = 1e-4;
                                            })));
  try {
    rational_quadratic_spline(x, zeros(Shape{4, 2, 28}, {.dtype = DType::F64}));
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("[4, 2, 29]"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace amor
