#include "sbi/flows/spline_coupling.h"

#include <cmath>

#include "core/ops.h"
#include "nn/activation.h"
#include "nn/linear.h"

namespace amor::sbi::flows {

std::vector<bool> alternating_mask(int64_t features, bool even) {
  AMOR_CHECK(features > 0, ValueError, "alternating_mask: features must be positive, got ", features);
  std::vector<bool> mask(size_t(features), false);
  for (int64_t j = even ? 0 : 1; j < features; j += 2) mask[size_t(j)] = true;
  return mask;
}

// ---- ContextSplineMap -------------------------------------------------------------------------

ContextSplineMap::ContextSplineMap(int64_t context_features, int64_t out_features, int64_t hidden_features,
                                   int64_t hidden_layers, Generator& gen, DType dtype)
    : context_features_(context_features), hidden_(hidden_features) {
  AMOR_CHECK(context_features > 0 && out_features > 0 && hidden_features > 0 && hidden_layers >= 0, ValueError,
             "ContextSplineMap: needs context, out and hidden features > 0 and hidden_layers >= 0; got context=",
             context_features, " out=", out_features, " hidden=", hidden_features, " hidden_layers=", hidden_layers);
  const nn::LinearOptions lo{.dtype = dtype};
  spline_predictor_ = register_module("spline_predictor", std::make_shared<nn::Sequential>());
  spline_predictor_->push_back(std::make_shared<nn::Linear>(context_features, hidden_features, gen, lo));
  spline_predictor_->push_back(std::make_shared<nn::Activation>(nn::Act::Relu));
  for (int64_t l = 0; l < hidden_layers; ++l) {
    spline_predictor_->push_back(std::make_shared<nn::Linear>(hidden_features, hidden_features, gen, lo));
    spline_predictor_->push_back(std::make_shared<nn::Activation>(nn::Act::Relu));
  }
  spline_predictor_->push_back(std::make_shared<nn::Linear>(hidden_features, out_features, gen, lo));
}

Tensor ContextSplineMap::forward(const Tensor&, const Tensor& context) {
  AMOR_CHECK(context.defined() && context.dim() == 2 && context.shape()[1] == context_features_, ShapeError,
             "ContextSplineMap: context must be [n, ", context_features_, "], got ",
             context.defined() ? context.shape().str() : "none");
  return spline_predictor_->forward(context);
}

// ---- PiecewiseRationalQuadraticCoupling -------------------------------------------------------

PiecewiseRationalQuadraticCoupling::PiecewiseRationalQuadraticCoupling(const std::vector<bool>& mask,
                                                                       std::shared_ptr<ConditionerNet> conditioner,
                                                                       SplineCouplingOptions options)
    : Transform(int64_t(mask.size())), mask_(mask), options_(options), conditioner_(std::move(conditioner)) {
  AMOR_CHECK(conditioner_, ValueError, "PiecewiseRationalQuadraticCoupling: null conditioner");
  AMOR_CHECK(options_.num_bins >= 1, ValueError, "PiecewiseRationalQuadraticCoupling: num_bins must be >= 1, got ",
             options_.num_bins);
  std::vector<int64_t> identity, transform;
  for (size_t j = 0; j < mask.size(); ++j) (mask[j] ? transform : identity).push_back(int64_t(j));
  AMOR_CHECK(!transform.empty(), ValueError, "PiecewiseRationalQuadraticCoupling: the mask transforms no feature");
  num_identity_ = int64_t(identity.size());
  num_transform_ = int64_t(transform.size());
  std::vector<int64_t> merge(mask.size());
  for (size_t k = 0; k < identity.size(); ++k) merge[size_t(identity[k])] = int64_t(k);
  for (size_t k = 0; k < transform.size(); ++k) merge[size_t(transform[k])] = num_identity_ + int64_t(k);
  if (num_identity_ > 0) {
    identity_index_ = from_vector(identity);
    register_transient_buffer(&identity_index_);  // index tensors follow the module's device
  }
  transform_index_ = from_vector(transform);
  merge_index_ = from_vector(merge);
  register_transient_buffer(&transform_index_);
  register_transient_buffer(&merge_index_);
  // nflows divides the width and height logits by sqrt(hidden_features); derivatives stay.
  const int64_t K = options_.num_bins, P = 3 * K - 1;
  std::vector<double> divisor(size_t(P), 1.0);
  const double root = std::sqrt(double(conditioner_->hidden_features()));
  for (int64_t i = 0; i < 2 * K; ++i) divisor[size_t(i)] = root;
  logit_divisor_ = from_vector(divisor);
  register_transient_buffer(&logit_divisor_);
  register_module("transform_net", conditioner_);  // nflows' name
}

Tensor PiecewiseRationalQuadraticCoupling::spline_params(const Tensor& inputs, const Tensor& context) {
  const int64_t n = inputs.shape()[0], K = options_.num_bins, P = 3 * K - 1;
  Tensor identity = num_identity_ > 0 ? index_select(inputs, 1, identity_index_) : Tensor();
  Tensor raw = conditioner_->forward(identity, context);
  AMOR_CHECK(raw.dim() == 2 && raw.shape()[0] == n && raw.shape()[1] == num_transform_ * P, ShapeError,
             "PiecewiseRationalQuadraticCoupling: the conditioner returned ", raw.shape(), ", expected [", n, ", ",
             num_transform_ * P, "] (", num_transform_, " transformed features × ", P, " spline parameters)");
  return raw.reshape(Shape{n, num_transform_, P}) / logit_divisor_.to(raw.dtype());
}

TransformResult PiecewiseRationalQuadraticCoupling::apply(const char* who, const Tensor& inputs,
                                                          const Tensor& context, bool inverse) {
  check_inputs(who, inputs, context);
  Tensor params = spline_params(inputs, context);
  Tensor moving = num_identity_ > 0 ? index_select(inputs, 1, transform_index_) : inputs;
  RQSplineOptions o;
  o.num_bins = options_.num_bins;
  o.tail_bound = options_.tail_bound;
  o.min_bin_width = options_.min_bin_width;
  o.min_bin_height = options_.min_bin_height;
  o.min_derivative = options_.min_derivative;
  o.inverse = inverse;
  RQSplineOutputs s = rational_quadratic_spline(moving, params, o);
  Tensor logdet = sum(s.logabsdet, {1});
  if (num_identity_ == 0) return {s.outputs, logdet};
  Tensor merged = concat({index_select(inputs, 1, identity_index_), s.outputs}, 1);
  return {index_select(merged, 1, merge_index_), logdet};
}

TransformResult PiecewiseRationalQuadraticCoupling::forward(const Tensor& inputs, const Tensor& context) {
  return apply("PiecewiseRationalQuadraticCoupling.forward", inputs, context, false);
}

TransformResult PiecewiseRationalQuadraticCoupling::inverse(const Tensor& inputs, const Tensor& context) {
  return apply("PiecewiseRationalQuadraticCoupling.inverse", inputs, context, true);
}

}  // namespace amor::sbi::flows
