// UnconstrainingTransform: the elementwise bijection from a prior's support to R^d (what sbi's
// `biject_to(support)` / `mcmc_transform` do), with its log-Jacobian.
//
// Per axis, from the bounds (lo, hi) of a sbi::Support:
//   [lo, hi] both finite:  u = logit((θ - lo) / (hi - lo))        log|du/dθ| = -log(hi - lo) - log p - log(1 - p)
//   [lo, +inf):            u = log(θ - lo)                          log|du/dθ| = -log(θ - lo)
//   (-inf, hi]:            u = log(hi - θ)                          log|du/dθ| = -log(hi - θ)
//   unbounded:             u = θ                                    0
// forward: θ -> u (constrained to unconstrained, the data-to-noise direction of a flow whose
// first transform this is); inverse: u -> θ = lo + (hi - lo)·sigmoid(u), lo + e^u, hi - e^u.
//
// θ exactly on a finite bound (float32 rounding of a uniform draw can land there) would map to
// ±inf; p = (θ - lo)/(hi - lo) is therefore clamped to [δ, 1 - δ] and θ - lo, hi - θ (one-sided
// bounds) to at least δ (δ = 1e-6 in float32, 1e-15 in float64), which only moves points within
// δ of a bound. Points outside the support are not an error here (a leaked sample); they are
// clamped the same way. The bounds are buffers (`lower`, `upper`, ±inf where unbounded), so a
// checkpoint carries them.
#pragma once

#include <vector>

#include "sbi/distribution.h"
#include "sbi/flows/transform.h"

namespace amor::sbi::flows {

class UnconstrainingTransform : public Transform {
 public:
  // ValueError unless lower < upper on every axis (NaN bounds refused).
  UnconstrainingTransform(const Support& support, DType dtype = DType::F32);
  std::string type_name() const override { return "UnconstrainingTransform"; }

  TransformResult forward(const Tensor& inputs, const Tensor& context) override;
  TransformResult inverse(const Tensor& inputs, const Tensor& context) override;
  using Transform::forward;
  using Transform::inverse;

  // True when some axis has a finite bound (otherwise the transform is the identity).
  bool any_bounded() const;

 private:
  enum class Kind { Identity, Logit, LowerLog, UpperLog };
  std::vector<Kind> kinds() const;  // read from the buffers (a checkpoint may replace them)
  Tensor lower_, upper_;            // [d] buffers
};

}  // namespace amor::sbi::flows
