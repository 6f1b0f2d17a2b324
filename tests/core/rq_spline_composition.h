// The slow, obviously-correct twin of rational_quadratic_spline: nflows'
// unconstrained_rational_quadratic_spline(tails="linear") transcribed line by line into
// compositions of core ops (softmax, cumsum, concat, gather, where, softplus, log, sqrt), so its
// gradients come from the autodiff engine through each of those ops rather than from the fused
// kernel's hand-written backward (the inverse differentiates the quadratic-root formula itself).
#pragma once

#include <cmath>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"

namespace amor::testing {

// Knot positions of one axis, [N, K+1]: -B, 2B·cumsum(min + (1 - min·K)·softmax(u))_j - B, B.
// u: [N, K].
inline Tensor rq_spline_knots(const Tensor& u, double min_size, double B) {
  const int64_t N = u.shape()[0], K = u.shape()[1];
  Tensor sizes = min_size + (1.0 - min_size * double(K)) * softmax(u, 1);
  Tensor cw = cumsum(sizes, 1);
  Tensor inner = (2.0 * B) * cw.narrow(1, 0, K - 1) - B;  // cw_1 .. cw_{K-1}
  return concat({full(Shape{N, 1}, -B, {.dtype = u.dtype()}), inner,
                 full(Shape{N, 1}, B, {.dtype = u.dtype()})},
                1);
}

// inputs: any shape [...]; params: [..., 3K-1]. Returns {outputs, logabsdet}, each [...].
inline std::vector<Tensor> rq_spline_by_composition(const Tensor& inputs, const Tensor& params,
                                                    const RQSplineOptions& o) {
  const int64_t K = o.num_bins, N = inputs.numel();
  const double B = o.tail_bound, md = o.min_derivative;
  const DType dt = inputs.dtype();
  Tensor x = inputs.reshape(Shape{N});
  Tensor p = params.reshape(Shape{N, 3 * K - 1});

  Tensor inside = logical_and(logical_not(lt(x, -B)), logical_not(gt(x, B)));
  // Outside elements run through the spline at 0 (a finite value) and are then replaced by the
  // identity; `where` sends their spline branch no gradient.
  Tensor xs = where(inside, x, 0.0);

  Tensor cumwidths = rq_spline_knots(p.narrow(1, 0, K), o.min_bin_width, B);
  Tensor cumheights = rq_spline_knots(p.narrow(1, K, K), o.min_bin_height, B);
  Tensor widths = cumwidths.narrow(1, 1, K) - cumwidths.narrow(1, 0, K);
  Tensor heights = cumheights.narrow(1, 1, K) - cumheights.narrow(1, 0, K);
  Tensor pad = full(Shape{N, 1}, std::log(std::exp(1.0 - md) - 1.0), {.dtype = dt});
  Tensor derivatives = md + softplus(concat({pad, p.narrow(1, 2 * K, K - 1), pad}, 1));  // [N, K+1]

  // nflows' searchsorted: (number of knots <= x, the last knot raised by 1e-6) - 1.
  Tensor locations = (o.inverse ? cumheights : cumwidths).detach();
  locations = locations + concat({zeros(Shape{N, K}, {.dtype = dt}), full(Shape{N, 1}, 1e-6, {.dtype = dt})}, 1);
  Tensor count = sum(ge(xs.unsqueeze(1), locations).to(dt), {1}) - 1.0;
  Tensor bin = count.to(DType::I64).unsqueeze(1);  // [N, 1]
  auto pick = [&bin](const Tensor& t) { return gather(t, 1, bin).squeeze(1); };

  Tensor input_cumwidths = pick(cumwidths), input_bin_widths = pick(widths);
  Tensor input_cumheights = pick(cumheights), input_heights = pick(heights);
  Tensor input_delta = pick(heights / widths);
  Tensor input_derivatives = pick(derivatives);
  Tensor input_derivatives_plus_one = pick(derivatives.narrow(1, 1, K));

  Tensor y, lad;
  const Tensor slope_sum = input_derivatives + input_derivatives_plus_one - 2.0 * input_delta;
  if (o.inverse) {
    Tensor dy = xs - input_cumheights;
    Tensor a = dy * slope_sum + input_heights * (input_delta - input_derivatives);
    Tensor b = input_heights * input_derivatives - dy * slope_sum;
    Tensor c = -input_delta * dy;
    Tensor discriminant = square(b) - 4.0 * a * c;
    Tensor root = (2.0 * c) / (-b - sqrt(discriminant));
    y = root * input_bin_widths + input_cumwidths;
    Tensor tau = root * (1.0 - root);
    Tensor denominator = input_delta + slope_sum * tau;
    Tensor derivative_numerator =
        square(input_delta) * (input_derivatives_plus_one * square(root) + 2.0 * input_delta * tau +
                               input_derivatives * square(1.0 - root));
    lad = -(log(derivative_numerator) - 2.0 * log(denominator));
  } else {
    Tensor theta = (xs - input_cumwidths) / input_bin_widths;
    Tensor tau = theta * (1.0 - theta);
    Tensor numerator = input_heights * (input_delta * square(theta) + input_derivatives * tau);
    Tensor denominator = input_delta + slope_sum * tau;
    y = input_cumheights + numerator / denominator;
    Tensor derivative_numerator =
        square(input_delta) * (input_derivatives_plus_one * square(theta) + 2.0 * input_delta * tau +
                               input_derivatives * square(1.0 - theta));
    lad = log(derivative_numerator) - 2.0 * log(denominator);
  }
  y = where(inside, y, x);
  lad = where(inside, lad, 0.0);
  return {y.reshape(inputs.shape()), lad.reshape(inputs.shape())};
}

}  // namespace amor::testing
