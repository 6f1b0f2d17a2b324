#include "sbi/simformer/value_transform.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "core/error.h"

namespace amor::sbi::simformer {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kEdge = 1e-12;        // of the width, for two-sided bounds
constexpr double kOneSided = 1e-300;   // for one-sided bounds: log stays finite

nlohmann::json bound_list(const std::vector<double>& v) {
  nlohmann::json a = nlohmann::json::array();
  for (double x : v) a.push_back(std::isinf(x) ? nlohmann::json(nullptr) : nlohmann::json(x));
  return a;
}

std::vector<double> read_bounds(const nlohmann::json& j, const char* key, double infinite) {
  if (!j.is_array()) throw ValueError(std::string("simformer: bounds.") + key + " must be an array (null for ±∞)");
  std::vector<double> out;
  for (const auto& e : j) {
    if (e.is_null()) out.push_back(infinite);
    else if (e.is_number()) out.push_back(e.get<double>());
    else throw ValueError(std::string("simformer: bounds.") + key + " holds numbers or null, got " + e.dump());
  }
  return out;
}

std::string bound_text(double lo, double hi) {
  std::ostringstream s;
  s << "[" << lo << ", " << hi << "]";
  return s.str();
}

}  // namespace

void ValueBounds::validate(int64_t nodes) const {
  if (lower.empty() && upper.empty()) return;
  if (int64_t(lower.size()) != nodes || int64_t(upper.size()) != nodes)
    throw ValueError("simformer: bounds need " + std::to_string(nodes) + " lower and upper entries (one per " +
                     "node), got " + std::to_string(lower.size()) + " and " + std::to_string(upper.size()));
  for (size_t i = 0; i < lower.size(); ++i)
    if (!(lower[i] < upper[i]))
      throw ValueError("simformer: bounds of node " + std::to_string(i) + " are " + bound_text(lower[i], upper[i]) +
                       "; need lower < upper");
}

nlohmann::json ValueBounds::to_json() const {
  if (!lower.empty()) return {{"lower", bound_list(lower)}, {"upper", bound_list(upper)}};
  if (from_prior) return "prior";
  return nullptr;
}

ValueBounds ValueBounds::from_json(const nlohmann::json& j) {
  ValueBounds b;
  if (j.is_null()) return b;
  if (j.is_string()) {
    if (j.get<std::string>() != "prior")
      throw ValueError("simformer: bounds must be \"prior\" or {\"lower\": [...], \"upper\": [...]}, got " + j.dump());
    b.from_prior = true;
    return b;
  }
  if (!j.is_object() || !j.contains("lower") || !j.contains("upper") || j.size() != 2)
    throw ValueError("simformer: bounds must be \"prior\" or {\"lower\": [...], \"upper\": [...]}, got " + j.dump());
  b.lower = read_bounds(j["lower"], "lower", -kInf);
  b.upper = read_bounds(j["upper"], "upper", kInf);
  b.validate(int64_t(b.lower.size()));
  return b;
}

ValueTransform::ValueTransform(const ValueBounds& bounds, int64_t nodes) {
  if (bounds.lower.empty()) {
    if (bounds.from_prior)
      throw ValueError("simformer: bounds \"prior\" needs a task's prior: train through SimformerMethod (amor train) "
                       "or give explicit bounds");
    return;
  }
  bounds.validate(nodes);
  lower_ = bounds.lower;
  upper_ = bounds.upper;
  kinds_.resize(size_t(nodes));
  for (size_t i = 0; i < kinds_.size(); ++i) {
    const bool fl = std::isfinite(lower_[i]), fh = std::isfinite(upper_[i]);
    kinds_[i] = fl && fh ? Kind::Logit : fl ? Kind::LowerLog : fh ? Kind::UpperLog : Kind::Identity;
    any_ = any_ || kinds_[i] != Kind::Identity;
  }
}

bool ValueTransform::inside(int64_t node, double v) const {
  if (kinds_.empty()) return !std::isnan(v);
  return v >= lower_[size_t(node)] && v <= upper_[size_t(node)];
}

double ValueTransform::forward_one(int64_t node, double v) const {
  const double lo = lower_[size_t(node)], hi = upper_[size_t(node)];
  switch (kinds_[size_t(node)]) {
    case Kind::Logit: {
      const double p = std::clamp((v - lo) / (hi - lo), kEdge, 1.0 - kEdge);
      return std::log(p) - std::log1p(-p);
    }
    case Kind::LowerLog: return std::log(std::max(v - lo, kOneSided));
    case Kind::UpperLog: return std::log(std::max(hi - v, kOneSided));
    case Kind::Identity: break;
  }
  return v;
}

double ValueTransform::inverse_one(int64_t node, double u) const {
  const double lo = lower_[size_t(node)], hi = upper_[size_t(node)];
  switch (kinds_[size_t(node)]) {
    case Kind::Logit: {
      // sigmoid without overflow; lo + w·σ(u) for u ≤ 0, hi − w·σ(−u) above (exact at both ends).
      const double w = hi - lo;
      return u <= 0 ? lo + w / (1.0 + std::exp(-u)) : hi - w / (1.0 + std::exp(u));
    }
    case Kind::LowerLog: return lo + std::exp(u);
    case Kind::UpperLog: return hi - std::exp(u);
    case Kind::Identity: break;
  }
  return u;
}

double ValueTransform::log_abs_det_one(int64_t node, double v) const {
  const double lo = lower_[size_t(node)], hi = upper_[size_t(node)];
  switch (kinds_[size_t(node)]) {
    case Kind::Logit: {
      const double p = std::clamp((v - lo) / (hi - lo), kEdge, 1.0 - kEdge);
      return -std::log(hi - lo) - std::log(p) - std::log1p(-p);
    }
    case Kind::LowerLog: return -std::log(std::max(v - lo, kOneSided));
    case Kind::UpperLog: return -std::log(std::max(hi - v, kOneSided));
    case Kind::Identity: break;
  }
  return 0.0;
}

Tensor ValueTransform::forward(const Tensor& values, const std::vector<int64_t>& node_ids, const Tensor& which,
                               const std::string& what) const {
  const Tensor v = values.to(Device::cpu()).to(DType::F64).contiguous();
  if (!any_) return v;
  if (v.dim() != 2 || v.size(1) != int64_t(node_ids.size()))
    throw ShapeError("simformer: values to transform must be [N, " + std::to_string(node_ids.size()) + "], got " +
                     v.shape().str());
  const int64_t rows = v.size(0), cols = v.size(1);
  Tensor w;
  if (which.defined()) {
    w = which.to(Device::cpu()).contiguous();
    const bool per_row = w.dim() == 2;
    if (w.dtype() != DType::Bool || !(w.dim() == 1 || per_row) || w.size(-1) != cols ||
        (per_row && w.size(0) != rows))
      throw ShapeError("simformer: the entries to transform must be a bool [" + std::to_string(cols) + "] or [" +
                       std::to_string(rows) + ", " + std::to_string(cols) + "] mask, got " + w.shape().str());
  }
  Tensor out = v.clone();
  double* o = out.data<double>();
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) {
      if (w.defined() && !w.data<bool>()[w.dim() == 2 ? i * cols + j : j]) continue;
      const int64_t node = node_ids[size_t(j)];
      double& x = o[i * cols + j];
      if (std::isnan(x) || kinds_[size_t(node)] == Kind::Identity) continue;
      if (!inside(node, x))
        throw ValueError("simformer: " + what + " entry " + std::to_string(j) + (rows > 1 ? " of row " + std::to_string(i) : "") +
                         " is " + std::to_string(x) + ", outside its bounds " +
                         bound_text(lower_[size_t(node)], upper_[size_t(node)]));
      x = forward_one(node, x);
    }
  return out;
}

Tensor ValueTransform::inverse(const Tensor& u, const std::vector<int64_t>& node_ids) const {
  const Tensor in = u.to(Device::cpu()).to(DType::F64).contiguous();
  if (!any_) return in;
  if (in.dim() != 2 || in.size(1) != int64_t(node_ids.size()))
    throw ShapeError("simformer: values to map back must be [N, " + std::to_string(node_ids.size()) + "], got " +
                     in.shape().str());
  Tensor out = in.clone();
  double* o = out.data<double>();
  const int64_t rows = in.size(0), cols = in.size(1);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) o[i * cols + j] = inverse_one(node_ids[size_t(j)], o[i * cols + j]);
  return out;
}

Tensor ValueTransform::log_abs_det(const Tensor& values, const std::vector<int64_t>& node_ids,
                                   const std::vector<bool>& which) const {
  const Tensor v = values.to(Device::cpu()).to(DType::F64).contiguous();
  const int64_t rows = v.size(0), cols = v.dim() == 2 ? v.size(1) : 0;
  if (v.dim() != 2 || cols != int64_t(node_ids.size()) || int64_t(which.size()) != cols)
    throw ShapeError("simformer: log_abs_det takes values [N, " + std::to_string(node_ids.size()) + "], got " +
                     v.shape().str());
  Tensor out = Tensor::empty({rows}, DType::F64);
  const double* p = v.data<double>();
  for (int64_t i = 0; i < rows; ++i) {
    double s = 0;
    for (int64_t j = 0; j < cols && any_; ++j) {
      if (!which[size_t(j)]) continue;
      const int64_t node = node_ids[size_t(j)];
      if (kinds_[size_t(node)] == Kind::Identity) continue;
      const double x = p[i * cols + j];
      if (!inside(node, x)) {
        s = -kInf;
        break;
      }
      s += log_abs_det_one(node, x);
    }
    out.data<double>()[i] = s;
  }
  return out;
}

Constraints ValueTransform::map(const Constraints& constraints, const std::vector<int64_t>& node_ids) const {
  if (!any_ || constraints.empty()) return constraints;
  Constraints out(constraints.tokens());
  for (const LinearConstraint& c : constraints.constraints()) {
    int64_t touched = -1, nonzero = 0;
    for (size_t j = 0; j < c.weights.size(); ++j) {
      if (c.weights[j] == 0.0) continue;
      ++nonzero;
      if (transforms(node_ids[j])) touched = int64_t(j);
    }
    if (touched < 0) {
      out.add(c);
      continue;
    }
    if (nonzero > 1)
      throw ValueError("simformer: a linear constraint involves entry " + std::to_string(touched) +
                       ", whose bounds the model maps to R (bounds in the configuration): only intervals on such "
                       "entries can be mapped");
    // w·z ∈ [a, b] on entry `touched`: z ∈ [a/w, b/w] (swapped for w < 0), clipped to the bounds,
    // through the monotone map (decreasing for an upper bound only).
    const double wt = c.weights[size_t(touched)];
    double a = wt > 0 ? c.lower / wt : c.upper / wt, b = wt > 0 ? c.upper / wt : c.lower / wt;
    const int64_t node = node_ids[size_t(touched)];
    const double lo = lower_[size_t(node)], hi = upper_[size_t(node)];
    if (!(a < hi && b > lo))
      throw ValueError("simformer: the interval " + bound_text(a, b) + " on entry " + std::to_string(touched) +
                       " lies outside its bounds " + bound_text(lo, hi));
    const double fa = a <= lo ? -kInf : forward_one(node, a), fb = b >= hi ? kInf : forward_one(node, b);
    const bool decreasing = kinds_[size_t(node)] == Kind::UpperLog;
    const double ua = decreasing ? (b >= hi ? -kInf : fb) : fa, ub = decreasing ? (a <= lo ? kInf : fa) : fb;
    if (std::isinf(ua) && std::isinf(ub)) continue;  // the bounds already imply it
    std::vector<double> w(c.weights.size(), 0.0);
    w[size_t(touched)] = 1.0;
    out.add({std::move(w), ua, ub});
  }
  return out;
}

ValueBounds prior_bounds(const Distribution& prior, int64_t theta_dim, int64_t x_dim) {
  const Support support = prior.support();
  const double inf = std::numeric_limits<double>::infinity();
  ValueBounds b;
  b.lower.assign(size_t(theta_dim + x_dim), -inf);
  b.upper.assign(size_t(theta_dim + x_dim), inf);
  if (!support.lower.empty()) {
    if (int64_t(support.lower.size()) != theta_dim)
      throw ValueError("simformer: the prior's support has " + std::to_string(support.lower.size()) +
                       " axes for θ of " + std::to_string(theta_dim));
    std::copy(support.lower.begin(), support.lower.end(), b.lower.begin());
    std::copy(support.upper.begin(), support.upper.end(), b.upper.begin());
  }
  return b;
}

}  // namespace amor::sbi::simformer
