// Neural spline flow (Durkan et al. 2019) as sbi's build_nsf makes it: the density estimator of
// the sbibm paper's NPE.
//
// For θ of dimension d > 1, num_transforms × [PiecewiseRationalQuadraticCoupling with mask
// alternating even / odd (transform i uses the even mask when i is even), conditioner
// ResidualNet(#untouched -> #transformed·(3K-1), hidden 50, the context, 2 blocks, ReLU), linear
// tails on [-3, 3], K = 10 bins; then LULinear(identity_init)]. For d = 1 each transform is a
// single spline whose parameters come from the context alone (ContextSplineMap with
// hidden_layers_spline_context hidden layers) and there is no LULinear. The chain sits in a
// ConditionalFlow that standardises θ and the context (sbi's z_score "independent") over a
// standard-normal base.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "sbi/flows/conditional_flow.h"

namespace amor::sbi::flows {

// sbi's NSFConfig defaults. Round-trips through JSON (a checkpoint's config):
//   {"type": "nsf", "hidden_features", "num_transforms", "num_blocks", "num_bins", "tail_bound",
//    "hidden_layers_spline_context", "seed", + FlowOptions' keys}
struct NSFConfig {
  int64_t hidden_features = 50;
  int64_t num_transforms = 5;
  int64_t num_blocks = 2;
  int64_t num_bins = 10;
  double tail_bound = 3.0;
  int64_t hidden_layers_spline_context = 1;
  uint64_t seed = 0;  // initial weights
  FlowOptions flow;

  nlohmann::json to_json() const;
  // Keys missing from `j` keep their defaults; ValueError on an unknown key, a wrong type or an
  // invalid value.
  static NSFConfig from_json(const nlohmann::json& j);
};

// ValueError for features == 1 without a context (the 1-D spline is a function of the context)
// and for an invalid config.
ConditionalFlowPtr make_nsf(int64_t features, int64_t context_features, const NSFConfig& config = {});

}  // namespace amor::sbi::flows
