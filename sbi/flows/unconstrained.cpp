#include "sbi/flows/unconstrained.h"

#include <cmath>
#include <limits>

#include "core/ops.h"

namespace amor::sbi::flows {
namespace {

double clamp_delta(DType dtype) { return dtype == DType::F64 ? 1e-15 : 1e-6; }

}  // namespace

UnconstrainingTransform::UnconstrainingTransform(const Support& support, DType dtype)
    : Transform(int64_t(support.lower.size())) {
  AMOR_CHECK(support.lower.size() == support.upper.size(), ShapeError,
             "UnconstrainingTransform: support has ", support.lower.size(), " lower and ",
             support.upper.size(), " upper bounds");
  for (size_t i = 0; i < support.lower.size(); ++i)
    AMOR_CHECK(support.lower[i] < support.upper[i], ValueError,
               "UnconstrainingTransform: axis ", i, " needs lower < upper, got [", support.lower[i],
               ", ", support.upper[i], "]");
  lower_ = from_vector(support.lower).to(dtype);
  upper_ = from_vector(support.upper).to(dtype);
  register_buffer("lower", &lower_);
  register_buffer("upper", &upper_);
}

std::vector<UnconstrainingTransform::Kind> UnconstrainingTransform::kinds() const {
  // Read on the host (d values; a device buffer is copied back).
  const std::vector<double> lo = lower_.to(Device::cpu()).to_vector<double>(),
                            hi = upper_.to(Device::cpu()).to_vector<double>();
  std::vector<Kind> k(lo.size());
  for (size_t i = 0; i < lo.size(); ++i) {
    AMOR_CHECK(lo[i] < hi[i], ValueError, "UnconstrainingTransform: buffers give axis ", i,
               " the bounds [", lo[i], ", ", hi[i], "]");
    const bool fl = std::isfinite(lo[i]), fh = std::isfinite(hi[i]);
    k[i] = fl && fh ? Kind::Logit : fl ? Kind::LowerLog : fh ? Kind::UpperLog : Kind::Identity;
  }
  return k;
}

bool UnconstrainingTransform::any_bounded() const {
  for (Kind k : kinds())
    if (k != Kind::Identity) return true;
  return false;
}

namespace {

// Applies `fn(kind, x_cols, lo, hi) -> (out_cols, logdet_cols or undefined)` to the columns of
// each kind and reassembles the columns in their original order.
template <class Kind, class F>
TransformResult by_kind(const Tensor& inputs, const std::vector<Kind>& kinds, const Tensor& lower,
                        const Tensor& upper, F&& fn) {
  const int64_t d = int64_t(kinds.size());
  std::vector<Tensor> outs;
  std::vector<int64_t> order;  // order[k] = original column of the k-th output column
  Tensor logdet = zero_logabsdet(inputs);
  for (Kind kind : {Kind::Identity, Kind::Logit, Kind::LowerLog, Kind::UpperLog}) {
    std::vector<int64_t> cols;
    for (int64_t j = 0; j < d; ++j)
      if (kinds[size_t(j)] == kind) cols.push_back(j);
    if (cols.empty()) continue;
    if (kind == Kind::Identity) {
      outs.push_back(cols.size() == size_t(d) ? inputs : index_select(inputs, 1, from_vector(cols).to(inputs.device())));
    } else {
      Tensor idx = from_vector(cols).to(inputs.device());
      auto [o, ld] = fn(kind, index_select(inputs, 1, idx), index_select(lower, 0, idx),
                        index_select(upper, 0, idx));
      outs.push_back(o);
      logdet = logdet + sum(ld, {1});
    }
    order.insert(order.end(), cols.begin(), cols.end());
  }
  if (outs.size() == 1) {
    bool identity_order = true;
    for (int64_t j = 0; j < d; ++j) identity_order = identity_order && order[size_t(j)] == j;
    if (identity_order) return {outs[0], logdet};
  }
  std::vector<int64_t> back(static_cast<size_t>(d));
  for (int64_t k = 0; k < d; ++k) back[size_t(order[size_t(k)])] = k;
  return {index_select(concat(outs, 1), 1, from_vector(back).to(inputs.device())), logdet};
}

}  // namespace

TransformResult UnconstrainingTransform::forward(const Tensor& inputs, const Tensor& context) {
  check_inputs("UnconstrainingTransform.forward", inputs, context);
  const double delta = clamp_delta(inputs.dtype());
  return by_kind(inputs, kinds(), lower_, upper_,
                 [&](Kind kind, const Tensor& x, const Tensor& lo, const Tensor& hi) -> std::pair<Tensor, Tensor> {
                   if (kind == Kind::Logit) {
                     Tensor width = hi - lo;
                     Tensor p = clamp((x - lo) / width, delta, 1.0 - delta);
                     Tensor log_p = log(p), log_q = log1p(-p);
                     return {log_p - log_q, -(log(width) + log_p + log_q)};
                   }
                   Tensor r = kind == Kind::LowerLog ? x - lo : hi - x;
                   Tensor u = log(clamp(r, delta, std::nullopt));
                   return {u, -u};
                 });
}

TransformResult UnconstrainingTransform::inverse(const Tensor& inputs, const Tensor& context) {
  check_inputs("UnconstrainingTransform.inverse", inputs, context);
  return by_kind(inputs, kinds(), lower_, upper_,
                 [&](Kind kind, const Tensor& u, const Tensor& lo, const Tensor& hi) -> std::pair<Tensor, Tensor> {
                   if (kind == Kind::Logit) {
                     Tensor width = hi - lo;
                     return {lo + width * sigmoid(u), log(width) + logsigmoid(u) + logsigmoid(-u)};
                   }
                   Tensor e = exp(u);
                   return {kind == Kind::LowerLog ? lo + e : hi - e, u};
                 });
}

}  // namespace amor::sbi::flows
