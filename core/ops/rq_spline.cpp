// rational_quadratic_spline(): the recorded op around the fused kernels in
// kernels/cpu/rq_spline. One node with two outputs (values and per-element log|det|); the
// backward recomputes each element's bin from the saved inputs and parameters, so nothing else
// is kept.
#include <cmath>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/ops/op_utils.h"
#include "kernels/cpu/rq_spline.h"
#include "kernels/cuda/rq_spline.h"

namespace amor {
namespace {

namespace kc = kernels::cpu;

kc::RQSplineConfig config_of(const RQSplineOptions& o) {
  kc::RQSplineConfig c;
  c.num_bins = o.num_bins;
  c.tail_bound = o.tail_bound;
  c.min_bin_width = o.min_bin_width;
  c.min_bin_height = o.min_bin_height;
  c.min_derivative = o.min_derivative;
  return c;
}

void check_options(const char* op, const RQSplineOptions& o) {
  AMOR_CHECK(o.num_bins >= 1 && o.num_bins <= kc::kRQSplineMaxBins, ValueError, op,
             ": num_bins must be in [1, ", kc::kRQSplineMaxBins, "], got ", o.num_bins);
  AMOR_CHECK(std::isfinite(o.tail_bound) && o.tail_bound > 0, ValueError, op,
             ": tail_bound must be finite and > 0, got ", o.tail_bound);
  const double K = static_cast<double>(o.num_bins);
  AMOR_CHECK(o.min_bin_width >= 0 && o.min_bin_width * K <= 1.0, ValueError, op,
             ": min_bin_width ", o.min_bin_width, " must be >= 0 and at most 1/num_bins (num_bins ",
             o.num_bins, ")");
  AMOR_CHECK(o.min_bin_height >= 0 && o.min_bin_height * K <= 1.0, ValueError, op,
             ": min_bin_height ", o.min_bin_height, " must be >= 0 and at most 1/num_bins (num_bins ",
             o.num_bins, ")");
  // The boundary derivatives are min_d + softplus(log(e^{1 - min_d} - 1)) = 1, defined for min_d < 1.
  AMOR_CHECK(o.min_derivative >= 0 && o.min_derivative < 1.0, ValueError, op,
             ": min_derivative must be in [0, 1), got ", o.min_derivative);
}

struct RQSplineBackward final : Node {
  SavedTensor x, params;  // contiguous: [count], [count, 3K-1]
  Shape x_shape, params_shape;
  RQSplineOptions options;
  RQSplineBackward(Shape xs, Shape ps, RQSplineOptions o)
      : x_shape(xs), params_shape(ps), options(o) {
    num_outputs = 2;
  }
  void backward(const Tensor* g, Tensor* gi) override {
    Tensor X = x.unpack(*this), Pm = params.unpack(*this);
    // Either output may have received no gradient (it counts as zero).
    Tensor gy = g[0].defined() ? g[0].contiguous() : Tensor();
    Tensor gl = g[1].defined() ? g[1].contiguous() : Tensor();
    const bool want_x = edges[0].valid(), want_p = edges[1].valid();
    Tensor dx = want_x ? Tensor::empty(x_shape, X.dtype(), X.device()) : Tensor();
    Tensor dp = want_p ? Tensor::empty(params_shape, X.dtype(), X.device()) : Tensor();
    const bool cuda = ops::use_device_of(X);
    dispatch_float(X.dtype(), "rational_quadratic_spline_backward", [&]<class T>() {
      if (cuda) {
        AMOR_CUDA_ONLY("rational_quadratic_spline_backward",
                       kernels::cuda::rq_spline_bwd<T>(config_of(options), options.inverse, X.data<T>(),
                                                       Pm.data<T>(), gy.defined() ? gy.data<T>() : nullptr,
                                                       gl.defined() ? gl.data<T>() : nullptr, X.numel(),
                                                       want_x ? dx.data<T>() : nullptr,
                                                       want_p ? dp.data<T>() : nullptr));
        return;
      }
      kc::rq_spline_bwd<T>(config_of(options), options.inverse, X.data<T>(), Pm.data<T>(),
                           gy.defined() ? gy.data<T>() : nullptr,
                           gl.defined() ? gl.data<T>() : nullptr, X.numel(),
                           want_x ? dx.data<T>() : nullptr, want_p ? dp.data<T>() : nullptr);
    });
    gi[0] = dx;
    gi[1] = dp;
  }
  void release() override {
    x.reset();
    params.reset();
  }
  const char* name() const override { return "RQSplineBackward"; }
};

}  // namespace

RQSplineOutputs rational_quadratic_spline(const Tensor& inputs, const Tensor& params,
                                          const RQSplineOptions& options) {
  const char* op = "rational_quadratic_spline";
  check_options(op, options);
  ops::check_floating(op, inputs);
  ops::check_same_dtype(op, inputs, params);
  ops::check_same_device(op, inputs, params);
  const int64_t P = kc::rq_spline_num_params(options.num_bins);
  Shape want = inputs.shape();
  want.push_back(P);
  AMOR_CHECK(params.shape() == want, ShapeError, op, ": params ", params.shape(), " must be ",
             want, " (the inputs' shape ", inputs.shape(), " plus 3·num_bins - 1 = ", P,
             " parameters per element: ", options.num_bins, " widths, ", options.num_bins,
             " heights, ", options.num_bins - 1, " derivatives)");

  Tensor X, Pm;
  {
    NoGradGuard no_grad;
    X = inputs.contiguous();
    Pm = params.contiguous();
  }
  Tensor y = Tensor::empty(inputs.shape(), inputs.dtype(), inputs.device());
  Tensor lad = Tensor::empty(inputs.shape(), inputs.dtype(), inputs.device());
  const bool cuda = ops::use_device_of(X);
  dispatch_float(inputs.dtype(), op, [&]<class T>() {
    if (cuda) {
      AMOR_CUDA_ONLY(op, kernels::cuda::rq_spline_fwd<T>(config_of(options), options.inverse, X.data<T>(),
                                                         Pm.data<T>(), X.numel(), y.data<T>(), lad.data<T>()));
      return;
    }
    kc::rq_spline_fwd<T>(config_of(options), options.inverse, X.data<T>(), Pm.data<T>(),
                         X.numel(), y.data<T>(), lad.data<T>());
  });
  if (any_requires_grad({&inputs, &params})) {
    auto* n = new RQSplineBackward(inputs.shape(), params.shape(), options);
    Ptr<Node> node(n);
    collect_edges(*n, {&inputs, &params});
    set_history(y, node, 0);
    set_history(lad, node, 1);
    n->x = SavedTensor(X);
    n->params = SavedTensor(Pm);
  }
  return {y, lad};
}

}  // namespace amor
