#include "sbi/flows/transform.h"

#include "core/autograd.h"
#include "core/ops.h"

namespace amor::sbi::flows {

Transform::Transform(int64_t features) : features_(features) {
  AMOR_CHECK(features > 0, ValueError, "flow transform: features must be positive, got ", features);
}

void Transform::initialize_from_data(const Tensor&, const Tensor&) {}

TransformResult Transform::sample_inverse(const Tensor& inputs, const Tensor& context) {
  NoGradGuard no_grad;
  return inverse(inputs, context);
}

void Transform::check_inputs(const char* who, const Tensor& inputs, const Tensor& context,
                             int64_t context_features) const {
  AMOR_CHECK(inputs.defined(), ValueError, who, ": inputs are undefined");
  AMOR_CHECK(inputs.dim() == 2 && inputs.shape()[1] == features_, ShapeError, who,
             ": inputs must be [n, ", features_, "], got ", inputs.shape());
  if (!context.defined()) {
    AMOR_CHECK(context_features <= 0, ShapeError, who, ": needs a context of width ",
               context_features, " but got none");
    return;
  }
  AMOR_CHECK(context.dim() == 2 && context.shape()[0] == inputs.shape()[0], ShapeError, who,
             ": context must be [", inputs.shape()[0], ", c] to match inputs ", inputs.shape(),
             ", got ", context.shape());
  AMOR_CHECK(context_features < 0 || context.shape()[1] == context_features, ShapeError, who,
             ": context must have ", context_features, " features, got ", context.shape());
}

CompositeTransform::CompositeTransform(int64_t features) : Transform(features) {
  list_ = register_module("transforms", std::make_shared<nn::ModuleList<Transform>>());
}

CompositeTransform::CompositeTransform(const std::vector<TransformPtr>& transforms)
    : CompositeTransform(transforms.empty() ? 0 : transforms.front()->features()) {
  for (const auto& t : transforms) push_back(t);
}

TransformPtr CompositeTransform::push_back(TransformPtr t) {
  AMOR_CHECK(t, ValueError, "CompositeTransform: null transform");
  AMOR_CHECK(t->features() == features(), ShapeError, "CompositeTransform(", features(),
             " features): cannot append ", t->type_name(), " with ", t->features(), " features");
  return list_->push_back(std::move(t));
}

TransformResult CompositeTransform::forward(const Tensor& inputs, const Tensor& context) {
  check_inputs("CompositeTransform.forward", inputs, context);
  Tensor x = inputs, logdet;
  for (const auto& t : *list_) {
    TransformResult r = t->forward(x, context);
    x = r.outputs;
    logdet = logdet.defined() ? logdet + r.logabsdet : r.logabsdet;
  }
  return {x, logdet.defined() ? logdet : zero_logabsdet(inputs)};
}

TransformResult CompositeTransform::inverse(const Tensor& inputs, const Tensor& context) {
  check_inputs("CompositeTransform.inverse", inputs, context);
  Tensor x = inputs, logdet;
  for (size_t i = list_->size(); i-- > 0;) {
    TransformResult r = (*list_)[i].inverse(x, context);
    x = r.outputs;
    logdet = logdet.defined() ? logdet + r.logabsdet : r.logabsdet;
  }
  return {x, logdet.defined() ? logdet : zero_logabsdet(inputs)};
}

TransformResult CompositeTransform::sample_inverse(const Tensor& inputs, const Tensor& context) {
  check_inputs("CompositeTransform.sample_inverse", inputs, context);
  NoGradGuard no_grad;
  Tensor x = inputs, logdet;
  for (size_t i = list_->size(); i-- > 0;) {
    TransformResult r = (*list_)[i].sample_inverse(x, context);
    x = r.outputs;
    logdet = logdet.defined() ? logdet + r.logabsdet : r.logabsdet;
  }
  return {x, logdet.defined() ? logdet : zero_logabsdet(inputs)};
}

void CompositeTransform::initialize_from_data(const Tensor& inputs, const Tensor& context) {
  check_inputs("CompositeTransform.initialize_from_data", inputs, context);
  NoGradGuard no_grad;
  Tensor x = inputs;
  for (const auto& t : *list_) {
    t->initialize_from_data(x, context);
    x = t->forward(x, context).outputs;
  }
}

Tensor zero_logabsdet(const Tensor& x) {
  return zeros(Shape{x.shape()[0]}, {.dtype = x.dtype(), .device = x.device()});
}

}  // namespace amor::sbi::flows
