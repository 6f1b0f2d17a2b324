// PiecewiseRationalQuadraticCoupling: nflows' PiecewiseRationalQuadraticCouplingTransform with
// linear tails, the building block of sbi's neural spline flow.
//
// A binary mask splits the features: mask[j] = true features are transformed, the others pass
// through unchanged and, with the context, feed the conditioner. For each transformed feature the
// conditioner's output holds 3K - 1 numbers [K width logits | K height logits | K - 1 derivative
// logits] (feature-major: the [n, m·(3K-1)] output is read as [n, m, 3K-1]); the width and height
// logits are divided by sqrt(conditioner.hidden_features()) as nflows does, and each transformed
// feature goes through its own rational-quadratic spline on [-B, B] with identity tails
// (core's rational_quadratic_spline). Data side -> noise side (forward) evaluates the splines,
// noise -> data (inverse) their inverses; the log-det is the sum over transformed features.
//
// ContextSplineMap is sbi's conditioner for one-dimensional θ, where nothing is left to condition
// on: the spline parameters come from the context alone through
//   Linear(c, h), ReLU, hidden_layers × [Linear(h, h), ReLU], Linear(h, 3K-1)
// (parameter names spline_predictor.0, .2, ...). sbi builds its hidden layers by repeating one
// Python list, so with hidden_layers > 1 they share one Linear; here each is its own (the
// default hidden_layers = 1 is the same either way).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/random.h"
#include "nn/sequential.h"
#include "sbi/flows/residual_net.h"
#include "sbi/flows/transform.h"

namespace amor::sbi::flows {

// nflows' create_alternating_binary_mask: even -> features 0, 2, 4, ... are transformed;
// odd -> 1, 3, 5, ....
std::vector<bool> alternating_mask(int64_t features, bool even);

class ContextSplineMap : public ConditionerNet {
 public:
  ContextSplineMap(int64_t context_features, int64_t out_features, int64_t hidden_features,
                   int64_t hidden_layers, Generator& gen, DType dtype = DType::F32);
  std::string type_name() const override { return "ContextSplineMap"; }
  // inputs are ignored; context: [n, context_features] -> [n, out_features].
  Tensor forward(const Tensor& inputs, const Tensor& context) override;
  int64_t hidden_features() const override { return hidden_; }

 private:
  int64_t context_features_, hidden_;
  std::shared_ptr<nn::Sequential> spline_predictor_;
};

struct SplineCouplingOptions {
  int64_t num_bins = 10;
  double tail_bound = 3.0;
  double min_bin_width = 1e-3;
  double min_bin_height = 1e-3;
  double min_derivative = 1e-3;
};

class PiecewiseRationalQuadraticCoupling : public Transform {
 public:
  // mask: one entry per feature, at least one true. The conditioner must map [n, #false]
  // (undefined when every feature is transformed) and the context to [n, #true · (3K-1)].
  PiecewiseRationalQuadraticCoupling(const std::vector<bool>& mask, std::shared_ptr<ConditionerNet> conditioner,
                                     SplineCouplingOptions options = {});
  std::string type_name() const override { return "PiecewiseRationalQuadraticCoupling"; }

  TransformResult forward(const Tensor& inputs, const Tensor& context) override;
  TransformResult inverse(const Tensor& inputs, const Tensor& context) override;
  using Transform::forward;
  using Transform::inverse;

  const std::vector<bool>& mask() const { return mask_; }
  const SplineCouplingOptions& options() const { return options_; }
  ConditionerNet& conditioner() const { return *conditioner_; }
  // The unnormalised spline parameters [n, #transformed, 3K-1] the splines see for these
  // inputs (after the 1/sqrt(hidden) scaling of the width and height logits).
  Tensor spline_params(const Tensor& inputs, const Tensor& context);

 private:
  TransformResult apply(const char* who, const Tensor& inputs, const Tensor& context, bool inverse);

  std::vector<bool> mask_;
  SplineCouplingOptions options_;
  int64_t num_identity_ = 0, num_transform_ = 0;
  Tensor identity_index_, transform_index_;  // int64: feature numbers of each part, ascending
  Tensor merge_index_;  // int64 [features]: position of feature j in concat(identity, transformed)
  Tensor logit_divisor_;  // float64 [3K-1]: sqrt(hidden) for the K width and K height logits, else 1
  std::shared_ptr<ConditionerNet> conditioner_;
};

}  // namespace amor::sbi::flows
