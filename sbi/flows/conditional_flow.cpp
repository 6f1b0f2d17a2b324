#include "sbi/flows/conditional_flow.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "core/autograd.h"
#include "core/ops.h"

namespace amor::sbi::flows {
namespace {

bool support_bounded(const std::optional<Support>& s) {
  if (!s) return false;
  for (double v : s->lower)
    if (std::isfinite(v)) return true;
  for (double v : s->upper)
    if (std::isfinite(v)) return true;
  return false;
}

// Per-column mean and unbiased std over the rows of t [N, k] whose entries are all finite.
// Constant columns (std < 1e-12) get std 1 so that standardising them cannot blow up.
std::pair<std::vector<double>, std::vector<double>> column_stats(const Tensor& t, const char* what) {
  const int64_t N = t.shape()[0], k = t.shape()[1];
  const std::vector<double> v = t.to(Device::cpu()).to_vector<double>();  // fitted on the host
  std::vector<double> mean(size_t(k), 0.0), m2(size_t(k), 0.0);
  int64_t count = 0;
  for (int64_t i = 0; i < N; ++i) {  // Welford, rows in order: deterministic
    const double* row = v.data() + i * k;
    bool finite = true;
    for (int64_t j = 0; j < k; ++j) finite = finite && std::isfinite(row[j]);
    if (!finite) continue;
    ++count;
    for (int64_t j = 0; j < k; ++j) {
      const double delta = row[j] - mean[size_t(j)];
      mean[size_t(j)] += delta / double(count);
      m2[size_t(j)] += delta * (row[j] - mean[size_t(j)]);
    }
  }
  AMOR_CHECK(count >= 2, ValueError, "ConditionalFlow.set_standardization: ", what, " has ", count,
             " rows with all values finite (of ", N, "); need at least 2");
  std::vector<double> sd(static_cast<size_t>(k));
  for (int64_t j = 0; j < k; ++j) {
    const double s = std::sqrt(m2[size_t(j)] / double(count - 1));
    sd[size_t(j)] = s < 1e-12 ? 1.0 : s;
  }
  return {mean, sd};
}

}  // namespace

ConditionalFlow::ConditionalFlow(int64_t features, int64_t context_features, TransformPtr transform,
                                 FlowOptions options)
    : features_(features), context_features_(context_features), options_(std::move(options)),
      transform_(std::move(transform)) {
  AMOR_CHECK(features > 0, ValueError, "ConditionalFlow: features must be positive, got ", features);
  AMOR_CHECK(context_features >= 0, ValueError, "ConditionalFlow: context_features must be >= 0, got ",
             context_features);
  AMOR_CHECK(transform_, ValueError, "ConditionalFlow: null transform");
  AMOR_CHECK(transform_->features() == features, ShapeError, "ConditionalFlow(", features,
             " features): transform ", transform_->type_name(), " has ", transform_->features());
  const TensorOptions to{.dtype = options_.dtype};
  if (options_.support) {
    AMOR_CHECK(int64_t(options_.support->lower.size()) == features, ShapeError,
               "ConditionalFlow(", features, " features): support has ",
               options_.support->lower.size(), " axes");
    if (support_bounded(options_.support))
      unconstrain_ = register_module("unconstrain",
                                     std::make_shared<UnconstrainingTransform>(*options_.support, options_.dtype));
  }
  if (options_.standardize_theta) {
    theta_mean = zeros(Shape{features}, to);
    theta_std = ones(Shape{features}, to);
    register_buffer("theta_mean", &theta_mean);
    register_buffer("theta_std", &theta_std);
  }
  if (options_.standardize_context && context_features > 0) {
    context_mean = zeros(Shape{context_features}, to);
    context_std = ones(Shape{context_features}, to);
    register_buffer("context_mean", &context_mean);
    register_buffer("context_std", &context_std);
  }
  register_module("transform", transform_);
}

DType ConditionalFlow::dtype() const {
  // The standardisation buffers follow Module::to like everything else: the cheap answer.
  if (theta_mean.defined()) return theta_mean.dtype();
  if (context_mean.defined()) return context_mean.dtype();
  for (const auto& [name, t] : state())
    if (is_floating(t.dtype())) return t.dtype();
  return options_.dtype;
}

void ConditionalFlow::check_theta(const char* who, const Tensor& theta) const {
  AMOR_CHECK(theta.defined(), ValueError, who, ": theta is undefined");
  AMOR_CHECK(theta.dim() == 2 && theta.shape()[1] == features_, ShapeError, who, ": theta must be [n, ",
             features_, "], got ", theta.shape());
  AMOR_CHECK(theta.dtype() == dtype(), DTypeError, who, ": theta is ", theta.dtype(),
             " but the flow is ", dtype(), " (convert one of them)");
  AMOR_CHECK(theta.device() == device(), DeviceError, who, ": theta is on ", theta.device(),
             " but the flow is on ", device(), " (move one of them)");
}

Tensor ConditionalFlow::check_context(const char* who, const Tensor& context, int64_t rows) const {
  if (!context.defined()) {
    AMOR_CHECK(context_features_ == 0, ShapeError, who, ": the flow needs a context [n, ",
               context_features_, "] but got none");
    return context;
  }
  AMOR_CHECK(context_features_ > 0, ShapeError, who, ": the flow is unconditional but got a context ",
             context.shape());
  AMOR_CHECK(context.dim() == 2 && context.shape()[1] == context_features_ &&
                 (rows < 0 || context.shape()[0] == rows || context.shape()[0] == 1),
             ShapeError, who, ": context must be [", rows < 0 ? std::string("n") : std::to_string(rows),
             ", ", context_features_, "] or [1, ", context_features_, "], got ", context.shape());
  AMOR_CHECK(context.dtype() == dtype(), DTypeError, who, ": context is ", context.dtype(),
             " but the flow is ", dtype());
  AMOR_CHECK(context.device() == device(), DeviceError, who, ": context is on ", context.device(),
             " but the flow is on ", device());
  return context;
}

Tensor ConditionalFlow::prepare_context(const Tensor& context, int64_t rows) const {
  if (!context.defined()) return context;
  Tensor c = context;
  if (context_mean.defined()) c = (c - context_mean) / context_std;
  if (rows >= 0 && c.shape()[0] != rows) c = c.expand(Shape{rows, context_features_}).contiguous();
  return c;
}

TransformResult ConditionalFlow::pre_transform(const Tensor& theta) {
  Tensor x = theta, logdet;
  if (unconstrain_) {
    TransformResult r = unconstrain_->forward(x);
    x = r.outputs;
    logdet = r.logabsdet;
  }
  if (theta_mean.defined()) {
    x = (x - theta_mean) / theta_std;
    Tensor ld = (-sum(log(theta_std))).expand(Shape{theta.shape()[0]});
    logdet = logdet.defined() ? logdet + ld : ld;
  }
  return {x, logdet.defined() ? logdet : zero_logabsdet(theta)};
}

TransformResult ConditionalFlow::pre_transform_inverse(const Tensor& theta) {
  Tensor x = theta, logdet;
  if (theta_mean.defined()) {
    x = x * theta_std + theta_mean;
    logdet = sum(log(theta_std)).expand(Shape{theta.shape()[0]});
  }
  if (unconstrain_) {
    TransformResult r = unconstrain_->inverse(x);
    x = r.outputs;
    logdet = logdet.defined() ? logdet + r.logabsdet : r.logabsdet;
  }
  return {x, logdet.defined() ? logdet : zero_logabsdet(theta)};
}

Tensor ConditionalFlow::standard_normal_log_prob(const Tensor& u) {
  const double d = double(u.shape()[1]);
  return sum(square(u), {1}) * -0.5 - 0.5 * d * std::log(2.0 * std::numbers::pi);
}

Tensor ConditionalFlow::log_prob(const Tensor& theta, const Tensor& context) {
  const char* who = "ConditionalFlow.log_prob";
  check_theta(who, theta);
  const int64_t n = theta.shape()[0];
  Tensor c = prepare_context(check_context(who, context, n), n);
  TransformResult pre = pre_transform(theta);
  TransformResult r = transform_->forward(pre.outputs, c);
  return standard_normal_log_prob(r.outputs) + pre.logabsdet + r.logabsdet;
}

// noise: [rows, d]; context already matching rows (or undefined). Returns θ; adds the inverse
// log-det (log|∂θ/∂u|) to *logdet when given.
Tensor ConditionalFlow::sample_rows(const Tensor& noise, const Tensor& context, Tensor* logdet) {
  // Without a graph, the transforms' forward-only sampling paths (fused kernels).
  TransformResult r = GradMode::enabled() ? transform_->inverse(noise, context) : transform_->sample_inverse(noise, context);
  TransformResult post = pre_transform_inverse(r.outputs);
  if (logdet) *logdet = r.logabsdet + post.logabsdet;
  return post.outputs;
}

Tensor ConditionalFlow::sample(int64_t n, const Tensor& context, Generator& gen, bool differentiable) {
  const char* who = "ConditionalFlow.sample";
  AMOR_CHECK(n >= 1, ValueError, who, ": n must be >= 1, got ", n);
  check_context(who, context, 1);
  Tensor out;
  {
    std::optional<NoGradGuard> no_grad;
    if (!differentiable) no_grad.emplace();
    Tensor noise = randn(Shape{n, features_}, gen, {.dtype = dtype(), .device = device()});
    out = sample_rows(noise, prepare_context(context, n), nullptr);
  }
  return out;
}

Tensor ConditionalFlow::sample_batched(int64_t n, const Tensor& contexts, Generator& gen,
                                       bool differentiable) {
  const char* who = "ConditionalFlow.sample_batched";
  AMOR_CHECK(n >= 1, ValueError, who, ": n must be >= 1, got ", n);
  check_context(who, contexts, -1);
  const int64_t m = contexts.defined() ? contexts.shape()[0] : 1;
  AMOR_CHECK(m >= 1, ValueError, who, ": need at least one context");
  std::optional<NoGradGuard> no_grad;
  if (!differentiable) no_grad.emplace();
  Tensor c;
  if (contexts.defined())
    c = prepare_context(contexts).unsqueeze(1).expand(Shape{m, n, context_features_}).reshape(
        Shape{m * n, context_features_});
  Tensor noise = randn(Shape{m * n, features_}, gen, {.dtype = dtype(), .device = device()});
  return sample_rows(noise, c, nullptr).reshape(Shape{m, n, features_});
}

std::pair<Tensor, Tensor> ConditionalFlow::sample_and_log_prob(int64_t n, const Tensor& context,
                                                               Generator& gen, bool differentiable) {
  const char* who = "ConditionalFlow.sample_and_log_prob";
  AMOR_CHECK(n >= 1, ValueError, who, ": n must be >= 1, got ", n);
  check_context(who, context, 1);
  std::optional<NoGradGuard> no_grad;
  if (!differentiable) no_grad.emplace();
  Tensor noise = randn(Shape{n, features_}, gen, {.dtype = dtype(), .device = device()});
  Tensor logdet;
  Tensor theta = sample_rows(noise, prepare_context(context, n), &logdet);
  // log q(θ) = log N(u) + log|∂u/∂θ| = log N(u) - log|∂θ/∂u|
  return {theta, standard_normal_log_prob(noise) - logdet};
}

void ConditionalFlow::set_standardization(const Tensor& theta, const Tensor& context) {
  const char* who = "ConditionalFlow.set_standardization";
  check_theta(who, theta);
  check_context(who, context, theta.shape()[0]);
  AMOR_CHECK(!context.defined() || context.shape()[0] == theta.shape()[0], ShapeError, who,
             ": theta ", theta.shape(), " and context ", context.shape(), " need the same rows");
  NoGradGuard no_grad;
  if (theta_mean.defined()) {
    Tensor x = unconstrain_ ? unconstrain_->forward(theta).outputs : theta;
    auto [mean, sd] = column_stats(x, "theta");
    theta_mean.copy_(from_vector(mean).to(theta_mean.device()));
    theta_std.copy_(from_vector(sd).to(theta_std.device()));
  }
  if (context_mean.defined() && context.defined()) {
    auto [mean, sd] = column_stats(context, "context");
    context_mean.copy_(from_vector(mean).to(context_mean.device()));
    context_std.copy_(from_vector(sd).to(context_std.device()));
  }
}

void ConditionalFlow::initialize_from_data(const Tensor& theta, const Tensor& context) {
  set_standardization(theta, context);
  NoGradGuard no_grad;
  const int64_t n = theta.shape()[0];
  Tensor c = prepare_context(context, n);
  // Only rows whose θ and context are all finite (set_standardization guaranteed >= 2 of θ's).
  Tensor ok = isfinite(theta);
  if (c.defined()) ok = concat({ok, isfinite(c)}, 1);
  std::vector<int64_t> rows;
  const std::vector<uint8_t> flags = ok.to(Device::cpu()).contiguous().to_vector<uint8_t>();
  const int64_t w = ok.shape()[1];
  for (int64_t i = 0; i < n; ++i)
    if (std::all_of(flags.begin() + i * w, flags.begin() + (i + 1) * w, [](uint8_t f) { return f != 0; }))
      rows.push_back(i);
  AMOR_CHECK(!rows.empty(), ValueError, "ConditionalFlow.initialize_from_data: no row of theta and context is finite");
  Tensor idx = from_vector(rows).to(theta.device());
  transform_->initialize_from_data(pre_transform(index_select(theta, 0, idx)).outputs,
                                   c.defined() ? index_select(c, 0, idx) : c);
}

}  // namespace amor::sbi::flows
