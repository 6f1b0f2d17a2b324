#include "sbi/simformer/sde.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/error.h"
#include "core/ops.h"

namespace amor::sbi::simformer {

double Sde::mean_factor(double t) const {
  if (kind == SdeKind::VE) return 1.0;
  return std::exp(-0.25 * t * t * (beta_max - beta_min) - 0.5 * t * beta_min);
}

double Sde::std(double t) const {
  if (kind == SdeKind::VE) return sigma_min * std::pow(sigma_max / sigma_min, t);
  return std::sqrt(-std::expm1(-0.5 * t * t * (beta_max - beta_min) - t * beta_min));
}

double Sde::drift_factor(double t) const {
  if (kind == SdeKind::VE) return 0.0;
  return -0.5 * (beta_min + t * (beta_max - beta_min));
}

double Sde::diffusion(double t) const {
  if (kind == SdeKind::VE) return std(t) * std::sqrt(2.0 * std::log(sigma_max / sigma_min));
  return std::sqrt(beta_min + t * (beta_max - beta_min));
}

double Sde::loss_weight(double t) const {
  if (kind == SdeKind::VE) {
    const double g = diffusion(t);
    return g * g;
  }
  const double s = std(t);
  return std::max(s * s, 1e-4);
}

double Sde::time_of_std(double s) const {
  double t;
  if (kind == SdeKind::VE) {
    t = std::log(s / sigma_min) / std::log(sigma_max / sigma_min);
  } else {
    // 1 − s² = exp(−(½Δ t² + β_min t)): solve the quadratic for t ≥ 0.
    const double delta = beta_max - beta_min;
    const double l = s < 1.0 ? -std::log1p(-s * s) : std::numeric_limits<double>::infinity();
    t = (-beta_min + std::sqrt(beta_min * beta_min + 2.0 * delta * l)) / delta;
  }
  return std::clamp(std::isnan(t) ? t_min : t, t_min, t_max);
}

Tensor TimeSampling::sample(const Sde& sde, int64_t n, Generator& gen) const {
  if (kind == Kind::Uniform) return uniform({n}, sde.t_min, sde.t_max, gen);
  const Tensor z = randn({n}, gen, {.dtype = DType::F64}).contiguous();
  std::vector<float> t(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    t[size_t(i)] = float(sde.time_of_std(std::exp(log_std_mean + log_std_sd * z.data<double>()[i])));
  return from_vector(t, {n});
}

void TimeSampling::validate() const {
  if (!std::isfinite(log_std_mean)) throw ValueError("simformer: training.log_std_mean must be finite");
  if (!(log_std_sd > 0) || !std::isfinite(log_std_sd))
    throw ValueError("simformer: training.log_std_sd must be positive and finite");
}

void Sde::validate() const {
  auto positive = [](double v, const char* name) {
    if (!(v > 0.0) || !std::isfinite(v))
      throw ValueError(std::string("sde: ") + name + " must be positive and finite, got " +
                       std::to_string(v));
  };
  if (kind == SdeKind::VE) {
    positive(sigma_min, "sigma_min");
    positive(sigma_max, "sigma_max");
    if (!(sigma_max > sigma_min)) throw ValueError("sde: sigma_max must exceed sigma_min");
  } else {
    positive(beta_min, "beta_min");
    positive(beta_max, "beta_max");
    if (!(beta_max > beta_min)) throw ValueError("sde: beta_max must exceed beta_min");
  }
  positive(t_min, "t_min");
  if (!(t_max > t_min) || !(t_max <= 1.0))
    throw ValueError("sde: need t_min < t_max <= 1, got t_min " + std::to_string(t_min) +
                     ", t_max " + std::to_string(t_max));
}

nlohmann::json Sde::to_json() const {
  nlohmann::json j;
  j["type"] = kind == SdeKind::VE ? "ve" : "vp";
  if (kind == SdeKind::VE) {
    j["sigma_min"] = sigma_min;
    j["sigma_max"] = sigma_max;
  } else {
    j["beta_min"] = beta_min;
    j["beta_max"] = beta_max;
  }
  j["t_min"] = t_min;
  j["t_max"] = t_max;
  return j;
}

Sde Sde::from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw ValueError("sde: configuration must be a JSON object");
  Sde s;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    if (key == "type") {
      const std::string v = it.value().get<std::string>();
      if (v == "ve") s.kind = SdeKind::VE;
      else if (v == "vp") s.kind = SdeKind::VP;
      else throw ValueError("sde: unknown type '" + v + "' (expected ve or vp)");
      continue;
    }
    if (!it.value().is_number()) throw ValueError("sde: '" + key + "' must be a number");
    const double v = it.value().get<double>();
    if (key == "sigma_min") s.sigma_min = v;
    else if (key == "sigma_max") s.sigma_max = v;
    else if (key == "beta_min") s.beta_min = v;
    else if (key == "beta_max") s.beta_max = v;
    else if (key == "t_min") s.t_min = v;
    else if (key == "t_max") s.t_max = v;
    else throw ValueError("sde: unknown key '" + key + "'");
  }
  s.validate();
  return s;
}

}  // namespace amor::sbi::simformer
