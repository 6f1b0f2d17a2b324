// Masked autoregressive flow (Papamakarios et al. 2017), sbi's default NPE/NLE density estimator,
// with nflows' semantics.
//
// MaskedAffineAutoregressive: a MADE (output_multiplier 2) gives per feature j an unconstrained
// scale and a shift from the features before j (and the context):
//   scale = softplus(unconstrained) + 1e-3,   forward u_j = scale_j·θ_j + shift_j,
//   log|det| = Σ_j log scale_j.
// (nflows 0.14, which sbi uses, computes the scale with softplus; its older
// sigmoid(unconstrained + 2) + 1e-3 is left commented out there. The sigmoid form caps every
// forward scale at 1.001, so a MAF on standardised θ cannot concentrate a conditional much
// narrower than the marginal -- a real limit, e.g. θ | x ~ N(x, 0.5²) is out of reach.)
// The MADE's output for feature j is the pair (2j, 2j+1) = (unconstrained scale, shift). The
// inverse is sequential: d passes of the MADE, each fixing one more feature (nflows' loop).
//
// make_maf builds sbi's MAF: num_transforms × [MaskedAffineAutoregressive(hidden 50, 2 blocks,
// tanh, no residual blocks, no random masks), RandomPermutation], wrapped in a ConditionalFlow
// that standardises θ and the context.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "sbi/flows/conditional_flow.h"
#include "sbi/flows/made.h"
#include "sbi/flows/transform.h"

namespace amor::sbi::flows {

class MaskedAffineAutoregressive : public Transform {
 public:
  // options.output_multiplier is forced to 2.
  MaskedAffineAutoregressive(int64_t features, Generator& gen, MADEOptions options = {});
  std::string type_name() const override { return "MaskedAffineAutoregressive"; }

  TransformResult forward(const Tensor& inputs, const Tensor& context) override;
  // As nflows computes it, from differentiable core ops: d passes of the MADE, pass i fixing
  // feature i. The fused kernel's reference.
  TransformResult inverse(const Tensor& inputs, const Tensor& context) override;
  // On the CPU with a tanh or relu MADE: the fused kernel (kernels/cpu/made_inverse.h: every
  // hidden unit computed once, no graph, about d times less work); otherwise inverse().
  TransformResult sample_inverse(const Tensor& inputs, const Tensor& context) override;
  using Transform::forward;
  using Transform::inverse;

  const MADE& made() const { return *made_; }
  static constexpr double kScaleEps = 1e-3;  // nflows' _epsilon

 private:
  // params: [n, 2d] -> (scale, log scale, shift), each [n, d].
  void scale_and_shift(const Tensor& params, Tensor* scale, Tensor* log_scale, Tensor* shift) const;
  // The fused kernel's inverse; an undefined result when it does not apply.
  TransformResult fused_inverse(const Tensor& inputs, const Tensor& context) const;
  std::shared_ptr<MADE> made_;
};

// sbi's MAFConfig defaults. Round-trips through JSON (a checkpoint's __metadata__ config):
//   {"type": "maf", "hidden_features", "num_transforms", "num_blocks", "activation", "seed",
//    + FlowOptions' keys}
struct MAFConfig {
  int64_t hidden_features = 50;
  int64_t num_transforms = 5;
  int64_t num_blocks = 2;
  std::string activation = "tanh";  // any name nn::activation_from_name accepts
  uint64_t seed = 0;                // initial weights and permutations
  FlowOptions flow = {};

  nlohmann::json to_json() const;
  // ValueError on an unknown key, a wrong type or an invalid value.
  static MAFConfig from_json(const nlohmann::json& j);
};

ConditionalFlowPtr make_maf(int64_t features, int64_t context_features, const MAFConfig& config = {});

}  // namespace amor::sbi::flows
