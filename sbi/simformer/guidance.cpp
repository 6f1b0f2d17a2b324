#include "sbi/simformer/guidance.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <utility>

#include "core/autograd.h"
#include "core/error.h"
#include "core/node.h"
#include "core/ops.h"

namespace amor::sbi::simformer {

namespace {

// σ(−u) = 1/(1 + e^u), without overflow for large |u|.
double sigmoid_of_negative(double u) {
  if (u >= 0) {
    const double e = std::exp(-u);
    return e / (1.0 + e);
  }
  return 1.0 / (1.0 + std::exp(u));
}

// d/dz log Φ(z) = φ(z)/Φ(z) (the inverse Mills ratio of −z), stable for any z: Φ(z) through erfc
// down to z = −37 (where erfc still has a normal double), then the asymptote −z + 1/(−z)... ≈ −z/(1 − 1/z²).
double log_normal_cdf_slope(double z) {
  if (z < -37.0) return -z / (1.0 - 1.0 / (z * z));
  const double phi = std::exp(-0.5 * z * z) / std::sqrt(2.0 * std::numbers::pi);
  return phi / (0.5 * std::erfc(-z / std::numbers::sqrt2));
}

// log Φ(z), stable for any z (the asymptote −z²/2 − log(−z) − ½ log 2π below −37).
double log_normal_cdf(double z) {
  if (z < -37.0) return -0.5 * z * z - std::log(-z) - 0.5 * std::log(2.0 * std::numbers::pi);
  return std::log(0.5 * std::erfc(-z / std::numbers::sqrt2));
}

double normal_pdf(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2.0 * std::numbers::pi); }

// G(u, l) = (φ(u) − φ(l)) / (Φ(u) − Φ(l)) for l < u (either may be infinite), so that
// d/dy log(Φ((b − y)/σ) − Φ((a − y)/σ)) = −G(u, l)/σ with u = (b − y)/σ, l = (a − y)/σ.
// Stable far in either tail: with both arguments positive it mirrors, G(u, l) = −G(−l, −u); with
// u ≤ 0 it writes φ/Φ through the Mills slope M(z) = φ(z)/Φ(z) and r = Φ(l)/Φ(u) ∈ [0, 1):
// G = (M(u) − r·M(l)) / (1 − r).
double interval_slope(double u, double l) {
  if (l >= 0) return -interval_slope(-l, -u);
  if (std::isinf(l)) return std::isinf(u) ? 0.0 : log_normal_cdf_slope(u);  // one-sided: M(u)
  if (std::isinf(u)) return -log_normal_cdf_slope(-l);                       // Φ(u) = 1
  if (u <= 0) {
    const double log_r = log_normal_cdf(l) - log_normal_cdf(u);
    const double r = std::exp(log_r);
    return (log_normal_cdf_slope(u) - r * log_normal_cdf_slope(l)) / -std::expm1(log_r);
  }
  // l < 0 < u: Φ(u) − Φ(l) is at least Φ(min(u, −l)) − ½, no cancellation to fear.
  const double den = 0.5 * (std::erfc(-u / std::numbers::sqrt2) - std::erfc(-l / std::numbers::sqrt2));
  return (normal_pdf(u) - normal_pdf(l)) / den;
}

// d/dy log c for the matched schedules: −G(u, l)/width with u = (b − y)/width, l = (a − y)/width,
// capped so that the pull it implies on y (about var·|d/dy|, var the spread² of w·x_0 | x_t) takes
// a point outside at most to one width inside the bound, and one inside at most one width.
double matched_pull(double y, double lower, double upper, double width, double var) {
  const double pull = -interval_slope((upper - y) / width, (lower - y) / width) / width;
  const double outside = std::max({y - upper, lower - y, 0.0});
  const double cap = (outside + width) / var;
  return std::clamp(pull, -cap, cap);
}

}  // namespace

Constraints::Constraints(int64_t tokens) : tokens_(tokens) {
  if (tokens < 0) throw ValueError("guidance: the number of entries must be >= 0");
}

Constraints& Constraints::add_interval(int64_t index, double lower, double upper) {
  if (index < 0 || index >= tokens_)
    throw ValueError("guidance: interval on entry " + std::to_string(index) + " outside [0, " +
                     std::to_string(tokens_) + ")");
  if (std::isnan(lower) || std::isnan(upper))
    throw ValueError("guidance: interval bound on entry " + std::to_string(index) + " is NaN");
  if (!(lower < upper))
    throw ValueError("guidance: empty interval [" + std::to_string(lower) + ", " + std::to_string(upper) +
                     "] on entry " + std::to_string(index));
  if (std::isinf(lower) && std::isinf(upper))
    throw ValueError("guidance: interval on entry " + std::to_string(index) + " has no finite bound");
  if (lower == std::numeric_limits<double>::infinity() || upper == -std::numeric_limits<double>::infinity())
    throw ValueError("guidance: interval on entry " + std::to_string(index) + " is empty");
  std::vector<double> w(static_cast<size_t>(tokens_), 0.0);
  w[size_t(index)] = 1.0;
  constraints_.push_back({std::move(w), lower, upper});
  return *this;
}

Constraints& Constraints::add(LinearConstraint c) {
  if (int64_t(c.weights.size()) != tokens_)
    throw ValueError("guidance: a constraint needs " + std::to_string(tokens_) + " weights, got " +
                     std::to_string(c.weights.size()));
  bool any = false;
  for (double w : c.weights) {
    if (!std::isfinite(w)) throw ValueError("guidance: a constraint has a non-finite weight");
    any = any || w != 0.0;
  }
  if (!any) throw ValueError("guidance: a constraint has all weights zero");
  if (std::isnan(c.lower) || std::isnan(c.upper) || !(c.lower < c.upper) || (std::isinf(c.lower) && std::isinf(c.upper)))
    throw ValueError("guidance: a constraint's bounds [" + std::to_string(c.lower) + ", " + std::to_string(c.upper) +
                     "] must be ordered with at least one finite");
  constraints_.push_back(std::move(c));
  return *this;
}

Constraints& Constraints::add_linear(std::vector<double> weights, double bound) {
  if (int64_t(weights.size()) != tokens_)
    throw ValueError("guidance: a linear constraint needs " + std::to_string(tokens_) + " weights, got " +
                     std::to_string(weights.size()));
  bool any = false;
  for (double w : weights) {
    if (!std::isfinite(w)) throw ValueError("guidance: a linear constraint has a non-finite weight");
    any = any || w != 0.0;
  }
  if (!any) throw ValueError("guidance: a linear constraint has all weights zero");
  if (!std::isfinite(bound)) throw ValueError("guidance: a linear constraint's bound must be finite");
  constraints_.push_back({std::move(weights), -std::numeric_limits<double>::infinity(), bound});
  return *this;
}

Constraints& Constraints::add_polytope(const Tensor& a, const Tensor& b) {
  if (a.dim() != 2 || a.size(1) != tokens_ || b.dim() != 1 || b.size(0) != a.size(0))
    throw ShapeError("guidance: a polytope needs A [K, " + std::to_string(tokens_) + "] and b [K], got " +
                     a.shape().str() + " and " + b.shape().str());
  const Tensor a64 = a.to(DType::F64).contiguous(), b64 = b.to(DType::F64).contiguous();
  for (int64_t k = 0; k < a.size(0); ++k) {
    const double* row = a64.data<double>() + k * tokens_;
    add_linear(std::vector<double>(row, row + tokens_), b64.data<double>()[k]);
  }
  return *this;
}

std::vector<bool> Constraints::constrained_entries() const {
  std::vector<bool> out(size_t(tokens_), false);
  for (const LinearConstraint& h : constraints_)
    for (size_t i = 0; i < h.weights.size(); ++i) out[i] = out[i] || h.weights[i] != 0.0;
  return out;
}

bool Constraints::satisfied(const double* z) const {
  for (const LinearConstraint& h : constraints_) {
    double dot = 0;
    for (size_t i = 0; i < h.weights.size(); ++i) dot += h.weights[i] * z[i];
    if (dot > h.upper || dot < h.lower) return false;
  }
  return true;
}

Constraints Constraints::standardised(const std::vector<double>& mean, const std::vector<double>& std) const {
  if (int64_t(mean.size()) != tokens_ || int64_t(std.size()) != tokens_)
    throw ValueError("guidance: standardisation needs " + std::to_string(tokens_) + " means and stds");
  Constraints out(tokens_);
  for (const LinearConstraint& h : constraints_) {
    LinearConstraint s = h;
    for (size_t i = 0; i < s.weights.size(); ++i) {
      s.lower -= h.weights[i] * mean[i];  // ±inf stays ±inf
      s.upper -= h.weights[i] * mean[i];
      s.weights[i] = h.weights[i] * std[i];
    }
    out.constraints_.push_back(std::move(s));
  }
  return out;
}

GuidanceScale parse_guidance_scale(const std::string& name) {
  if (name == "inverse_variance") return GuidanceScale::InverseVariance;
  if (name == "posterior_width") return GuidanceScale::PosteriorWidth;
  if (name == "tweedie") return GuidanceScale::Tweedie;
  throw ValueError("guidance: unknown scale '" + name + "' (inverse_variance, posterior_width or tweedie)");
}

std::string to_string(GuidanceScale scale) {
  switch (scale) {
    case GuidanceScale::InverseVariance: return "inverse_variance";
    case GuidanceScale::PosteriorWidth: return "posterior_width";
    case GuidanceScale::Tweedie: return "tweedie";
  }
  return "?";
}

void GuidanceOptions::validate() const {
  if (!(sharpness > 0) || !std::isfinite(sharpness))
    throw ValueError("guidance: sharpness must be a positive number");
  if (!(bias >= 0) || !std::isfinite(bias)) throw ValueError("guidance: bias must be >= 0");
  if (recurrence < 0) throw ValueError("guidance: recurrence must be >= 0");
}

nlohmann::json GuidanceOptions::to_json() const {
  return {{"scale", to_string(scale)}, {"sharpness", sharpness}, {"bias", bias}, {"recurrence", recurrence}};
}

GuidanceOptions GuidanceOptions::from_json(const nlohmann::json& j, GuidanceOptions o) {
  if (!j.is_object()) throw ValueError("guidance: options must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const nlohmann::json& v = it.value();
    if (k == "scale") {
      if (!v.is_string()) throw ValueError("guidance: 'scale' must be a string");
      o.scale = parse_guidance_scale(v.get<std::string>());
    } else if (k == "sharpness" || k == "bias") {
      if (!v.is_number()) throw ValueError("guidance: '" + k + "' must be a number");
      (k == "sharpness" ? o.sharpness : o.bias) = v.get<double>();
    } else if (k == "recurrence") {
      if (!v.is_number_integer()) throw ValueError("guidance: 'recurrence' must be an integer");
      o.recurrence = v.get<int64_t>();
    } else {
      throw ValueError("guidance: unknown option '" + k + "' (scale, sharpness, bias, recurrence)");
    }
  }
  o.validate();
  return o;
}

Tensor guidance_gradient(const Constraints& constraints, const Sde& sde, const GuidanceOptions& options,
                         const Tensor& x0_hat, double t) {
  if (options.scale == GuidanceScale::Tweedie)
    throw ValueError("guidance: the tweedie scale needs the score's Jacobian; use guided_score");
  const int64_t tokens = constraints.tokens();
  if (x0_hat.dim() != 2 || x0_hat.size(1) != tokens)
    throw ShapeError("guidance: x̂₀ must be [m, " + std::to_string(tokens) + "], got " + x0_hat.shape().str());
  const int64_t m = x0_hat.size(0);
  const Tensor x = x0_hat.to(DType::F64).contiguous();
  const double* xd = x.data<double>();
  Tensor out = Tensor::empty({m, tokens}, DType::F32);
  float* od = out.data<float>();
  const double a = sde.mean_factor(t), s = sde.std(t);

  // inverse_variance: log σ(k·(b − y)) + log σ(k·(y − a)), y = w·x̂₀, k = sharpness/(s² + bias),
  //   J = 1; d/dy = −k·σ(−k(b − y)) + k·σ(−k(y − a)).
  // posterior_width: log(Φ((b − y)/σ_w) − Φ((a − y)/σ_w)), σ_w = |w|·τ/sharpness,
  //   τ² = s²/(α² + s²), J = α/(α² + s²); d/dy = −G(u, l)/σ_w (capped: matched_pull).
  const auto& cs = constraints.constraints();
  const bool reference = options.scale == GuidanceScale::InverseVariance;
  const double jacobian = reference ? 1.0 : a / (a * a + s * s);
  const double tau = s / std::sqrt(a * a + s * s);
  std::vector<double> norm(cs.size());
  for (size_t h = 0; h < cs.size(); ++h) {
    double norm2 = 0;
    for (double w : cs[h].weights) norm2 += w * w;
    norm[h] = std::sqrt(norm2);
  }
  const double k = options.sharpness / (s * s + options.bias);
  std::vector<double> grad(static_cast<size_t>(tokens));
  for (int64_t r = 0; r < m; ++r) {
    const double* row = xd + r * tokens;
    std::fill(grad.begin(), grad.end(), 0.0);
    for (size_t h = 0; h < cs.size(); ++h) {
      const LinearConstraint& c = cs[h];
      double y = 0;
      for (int64_t i = 0; i < tokens; ++i) y += c.weights[size_t(i)] * row[i];
      double dlog_dy = 0;
      if (reference) {
        if (std::isfinite(c.upper)) dlog_dy -= k * sigmoid_of_negative(k * (c.upper - y));
        if (std::isfinite(c.lower)) dlog_dy += k * sigmoid_of_negative(k * (y - c.lower));
      } else {
        const double sd = norm[h] * tau;  // the spread of w·x_0 | x_t
        dlog_dy = matched_pull(y, c.lower, c.upper, sd / options.sharpness, sd * sd);
      }
      for (int64_t i = 0; i < tokens; ++i) grad[size_t(i)] += c.weights[size_t(i)] * dlog_dy;
    }
    for (int64_t i = 0; i < tokens; ++i) od[r * tokens + i] = float(jacobian * grad[size_t(i)]);
  }
  return out;
}

namespace {

// The tweedie schedule: with D(x) = (x + s²·ŝ(x))/α and u_h = (∂D/∂x)ᵀ w_h (one vector-Jacobian
// product per half-space),
//   Var(w_h·x_0 | x_t) = (s²/α)·w_h·u_h,   width_h = √Var/sharpness,
//   ∇_{x_t} log c_h(w_h·D) = (d/dy log c_h)·u_h  (matched_pull).
// In float32, I + s²·∂ŝ/∂x cancels when s is far below the data's scale; the variance is floored at
// 1 % of (s/α)²·|w|² (the width is then far below the data's scale anyway).
Tensor tweedie_guided(const ScoreFunction& score, const Sde& sde, const Constraints& constraints,
                      const GuidanceOptions& options, const Tensor& x_t, double t) {
  const int64_t m = x_t.size(0), tokens = x_t.size(1);
  EnableGradGuard grad_on;
  Tensor xg = x_t.detach().to(DType::F32).clone();
  xg.requires_grad_(true);
  const Tensor s_hat = score(xg, t);
  if (!s_hat.requires_grad())
    throw ValueError("guidance: the tweedie scale needs a score differentiable with respect to x_t");
  const double a = sde.mean_factor(t), s = sde.std(t);
  const Tensor d = (xg + s_hat * (s * s)) * (1.0 / a);  // [m, T]
  const Tensor d64 = d.detach().to(DType::F64).contiguous();
  const auto& cs = constraints.constraints();
  std::vector<double> total(size_t(m * tokens), 0.0);
  for (size_t h = 0; h < cs.size(); ++h) {
    const LinearConstraint& c = cs[h];
    const std::vector<double>& w = c.weights;
    std::vector<float> w_rows(size_t(m * tokens));
    double norm2 = 0;
    for (int64_t i = 0; i < tokens; ++i) norm2 += w[size_t(i)] * w[size_t(i)];
    for (int64_t r = 0; r < m; ++r)
      for (int64_t i = 0; i < tokens; ++i) w_rows[size_t(r * tokens + i)] = float(w[size_t(i)]);
    const Tensor u = grad({d}, {xg}, {from_vector(w_rows, {m, tokens})}, /*retain_graph=*/h + 1 < cs.size(),
                          /*allow_unused=*/true)[0];
    const Tensor u64 = u.defined() ? u.to(DType::F64).contiguous() : zeros({m, tokens}, {.dtype = DType::F64});
    const double floor = 0.01 * (s * s) / (a * a) * norm2;
    for (int64_t r = 0; r < m; ++r) {
      const double* ur = u64.data<double>() + r * tokens;
      const double* dr = d64.data<double>() + r * tokens;
      double wu = 0, y = 0;
      for (int64_t i = 0; i < tokens; ++i) wu += w[size_t(i)] * ur[i], y += w[size_t(i)] * dr[i];
      const double var = std::max((s * s / a) * wu, floor);
      const double dlog_dy = matched_pull(y, c.lower, c.upper, std::sqrt(var) / options.sharpness, var);
      for (int64_t i = 0; i < tokens; ++i) total[size_t(r * tokens + i)] += dlog_dy * ur[i];
    }
  }
  std::vector<float> g(total.begin(), total.end());
  return s_hat.detach() + from_vector(g, {m, tokens});
}

}  // namespace

ScoreFunction guided_score(ScoreFunction score, const Sde& sde, Constraints constraints, GuidanceOptions options) {
  options.validate();
  return [score = std::move(score), sde, constraints = std::move(constraints), options](const Tensor& x_t,
                                                                                       double t) {
    if (!constraints.empty() && options.scale == GuidanceScale::Tweedie)
      return tweedie_guided(score, sde, constraints, options, x_t, t);
    const Tensor s_hat = score(x_t, t);
    if (constraints.empty()) return s_hat;
    const double a = sde.mean_factor(t), s = sde.std(t);
    const Tensor x0_hat = (x_t + s_hat * (s * s)) * (1.0 / a);  // Tweedie
    return s_hat + guidance_gradient(constraints, sde, options, x0_hat, t);
  };
}

}  // namespace amor::sbi::simformer
