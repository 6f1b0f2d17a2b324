// The forward noising processes of score-based diffusion (Song et al. 2021), as the Simformer's
// reference code defines them (../shared/reference/simformer.md §3). Scalar functions of time
// t ∈ [t_min, 1]; the perturbation kernel is x_t = mean_factor(t)·x_0 + std(t)·ε.
//
//  VE: σ(t) = σ_min (σ_max/σ_min)^t, x_t = x_0 + σ(t) ε, drift 0,
//      g(t) = σ(t) √(2 ln(σ_max/σ_min)), loss weight λ(t) = g(t)².
//  VP: β(t) = β_min + t (β_max − β_min), drift −½β(t) x, g(t) = √β(t),
//      mean factor exp(−¼t²(β_max−β_min) − ½tβ_min), variance 1 − exp(−½t²(β_max−β_min) − tβ_min),
//      loss weight λ(t) = max(variance, 1e-4).
//
// With the network output divided by std(t), λ(t)·‖s − (−ε/std)‖² is (up to the constant
// 2 ln(σ_max/σ_min) for VE) the ε-prediction error with constant weight.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace amor::sbi::simformer {

enum class SdeKind { VE, VP };

struct Sde {
  SdeKind kind = SdeKind::VE;
  double sigma_min = 1e-4, sigma_max = 15.0;  // VE
  double beta_min = 0.01, beta_max = 10.0;    // VP
  double t_min = 1e-5, t_max = 1.0;

  double mean_factor(double t) const;
  double std(double t) const;
  double drift_factor(double t) const;  // f(x, t) = drift_factor(t) · x
  double diffusion(double t) const;     // g(t)
  double loss_weight(double t) const;   // λ(t)

  // Validates the numbers (ValueError naming the field).
  void validate() const;
  nlohmann::json to_json() const;
  static Sde from_json(const nlohmann::json& j);  // ValueError on unknown keys or bad values
};

}  // namespace amor::sbi::simformer
