// ActNorm (Kingma & Dhariwal 2018): a learned per-feature affine map
//   forward: u = θ·exp(log_scale) + bias,   log|det| = Σ_j log_scale_j
// with a data-dependent initialisation: initialize_from_data sets log_scale = −log std and
// bias = −mean/std of the data reaching it, so its output starts standardised (features with
// std < 1e-12 keep scale 1). Until then it is the identity (log_scale 0, bias 0, as BayesFlow's
// ones/zeros start). The scale is stored as its log, so it stays positive under any update.
#pragma once

#include "sbi/flows/transform.h"

namespace amor::sbi::flows {

class ActNorm : public Transform {
 public:
  explicit ActNorm(int64_t features, DType dtype = DType::F32);
  std::string type_name() const override { return "ActNorm"; }

  TransformResult forward(const Tensor& inputs, const Tensor& context) override;
  TransformResult inverse(const Tensor& inputs, const Tensor& context) override;
  using Transform::forward;
  using Transform::inverse;
  // inputs: [n, features] with n >= 2 (ValueError otherwise).
  void initialize_from_data(const Tensor& inputs, const Tensor& context) override;

  Tensor log_scale, bias;  // [features]
};

}  // namespace amor::sbi::flows
