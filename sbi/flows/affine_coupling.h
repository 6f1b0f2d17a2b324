// AffineCoupling: one of BayesFlow's SingleCouplings with the affine transform.
//
// The features in [begin, end) are transformed, conditioned on the other features and the
// context:
//   (raw_scale, shift) = conditioner([θ_rest, c])          MLP, zero-initialised last layer
//   u_[begin,end) = θ_[begin,end)·σ(raw_scale) + shift     σ = softplus(asinh(r) + log(e − 1))
//   u_rest = θ_rest,   log|det| = Σ log σ
// σ is BayesFlow's soft clamp (1 at r = 0, so the layer starts as the identity); the elementwise
// part is the fused core op amor::affine_coupling. The conditioner's output is [raw_scale |
// shift] (BayesFlow's split order).
#pragma once

#include <memory>
#include <vector>

#include "core/random.h"
#include "nn/activation.h"
#include "nn/mlp.h"
#include "sbi/flows/transform.h"

namespace amor::sbi::flows {

struct AffineCouplingOptions {
  std::vector<int64_t> hidden_features = {128, 128};
  nn::Act activation = nn::Act::Silu;
  int64_t context_features = 0;
  DType dtype = DType::F32;
};

class AffineCoupling : public Transform {
 public:
  // ValueError unless 0 <= begin < end <= features and the conditioner has some input
  // (another feature or a context).
  AffineCoupling(int64_t features, int64_t begin, int64_t end, Generator& gen, AffineCouplingOptions options = {});
  std::string type_name() const override { return "AffineCoupling"; }

  TransformResult forward(const Tensor& inputs, const Tensor& context) override;
  TransformResult inverse(const Tensor& inputs, const Tensor& context) override;
  using Transform::forward;
  using Transform::inverse;

  nn::MLP& conditioner() const { return *conditioner_; }

 private:
  TransformResult apply(const Tensor& inputs, const Tensor& context, bool inverse);
  int64_t begin_, end_, context_features_;
  std::shared_ptr<nn::MLP> conditioner_;
};

}  // namespace amor::sbi::flows
