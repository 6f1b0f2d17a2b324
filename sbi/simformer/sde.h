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
//
// Training draws t ~ U(t_min, t_max) as the reference does, or (TimeSampling::LogNormal) through
// log std(t) ~ N(μ, s²) as Karras et al. (2022) draw σ: fewer rows at noise levels far below the
// data's scale, where ε cannot be predicted and a row adds gradient noise but little signal.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/random.h"
#include "core/tensor.h"

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
  // The t with std(t) = s, clamped to [t_min, t_max] (VP: s >= 1 gives t_max).
  double time_of_std(double s) const;

  // Validates the numbers (ValueError naming the field).
  void validate() const;
  nlohmann::json to_json() const;
  static Sde from_json(const nlohmann::json& j);  // ValueError on unknown keys or bad values
};

// How training draws diffusion times (see the top of this file).
struct TimeSampling {
  enum class Kind { Uniform, LogNormal };
  Kind kind = Kind::Uniform;
  double log_std_mean = -0.5, log_std_sd = 1.5;  // LogNormal: log std(t) ~ N(mean, sd²)

  // t: [n] float32 in [t_min, t_max].
  Tensor sample(const Sde& sde, int64_t n, Generator& gen) const;
  void validate() const;  // ValueError naming the field
};

}  // namespace amor::sbi::simformer
