#include "sbi/flows/nsf.h"

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "sbi/flows/config_json.h"
#include "sbi/flows/lu_linear.h"
#include "sbi/flows/residual_net.h"
#include "sbi/flows/spline_coupling.h"

namespace amor::sbi::flows {
namespace {

void check_config(const NSFConfig& c) {
  AMOR_CHECK(c.hidden_features > 0 && c.num_transforms > 0 && c.num_blocks >= 0 && c.num_bins >= 1 &&
                 c.num_bins <= 64 && c.hidden_layers_spline_context >= 0 && std::isfinite(c.tail_bound) &&
                 c.tail_bound > 0,
             ValueError, "make_nsf: invalid config ", c.to_json().dump(),
             " (need hidden_features, num_transforms > 0, num_blocks, hidden_layers_spline_context >= 0, "
             "num_bins in [1, 64], tail_bound > 0)");
}

}  // namespace

nlohmann::json NSFConfig::to_json() const {
  nlohmann::json j = flow.to_json();
  j["type"] = "nsf";
  j["hidden_features"] = hidden_features;
  j["num_transforms"] = num_transforms;
  j["num_blocks"] = num_blocks;
  j["num_bins"] = num_bins;
  j["tail_bound"] = tail_bound;
  j["hidden_layers_spline_context"] = hidden_layers_spline_context;
  j["seed"] = seed;
  return j;
}

NSFConfig NSFConfig::from_json(const nlohmann::json& j) {
  const char* what = "NSFConfig";
  check_json_keys(j,
                  with_flow_keys({"type", "hidden_features", "num_transforms", "num_blocks", "num_bins", "tail_bound",
                                  "hidden_layers_spline_context", "seed"}),
                  what);
  check_json_type(j, "nsf", what);
  NSFConfig c;
  c.flow = FlowOptions::from_json(j);
  read_int(j, "hidden_features", 1, &c.hidden_features, what);
  read_int(j, "num_transforms", 1, &c.num_transforms, what);
  read_int(j, "num_blocks", 0, &c.num_blocks, what);
  read_int(j, "num_bins", 1, &c.num_bins, what);
  read_int(j, "hidden_layers_spline_context", 0, &c.hidden_layers_spline_context, what);
  if (j.contains("tail_bound")) {
    const auto& v = j["tail_bound"];
    AMOR_CHECK(v.is_number() && std::isfinite(v.get<double>()) && v.get<double>() > 0, ValueError, what,
               ": 'tail_bound' must be a number > 0, got ", v.dump());
    c.tail_bound = v.get<double>();
  }
  read_seed(j, &c.seed, what);
  check_config(c);
  return c;
}

ConditionalFlowPtr make_nsf(int64_t features, int64_t context_features, const NSFConfig& config) {
  AMOR_CHECK(features > 0 && context_features >= 0, ValueError, "make_nsf: features must be positive and ",
             "context_features >= 0, got ", features, " and ", context_features);
  AMOR_CHECK(features > 1 || context_features > 0, ValueError,
             "make_nsf: one-dimensional θ needs a context (its spline parameters are a function of the context)");
  check_config(config);
  Generator gen(config.seed);
  const DType dtype = config.flow.dtype;
  SplineCouplingOptions spline;
  spline.num_bins = config.num_bins;
  spline.tail_bound = config.tail_bound;
  const int64_t per_feature = 3 * config.num_bins - 1;

  auto chain = std::make_shared<CompositeTransform>(features);
  for (int64_t i = 0; i < config.num_transforms; ++i) {
    if (features == 1) {
      auto net = std::make_shared<ContextSplineMap>(context_features, per_feature, config.hidden_features,
                                                    config.hidden_layers_spline_context, gen, dtype);
      chain->push_back(std::make_shared<PiecewiseRationalQuadraticCoupling>(std::vector<bool>{true}, net, spline));
      continue;
    }
    const std::vector<bool> mask = alternating_mask(features, i % 2 == 0);
    int64_t transformed = 0;
    for (bool m : mask) transformed += m ? 1 : 0;
    const ResidualNetOptions rn{.hidden_features = config.hidden_features,
                                .context_features = context_features,
                                .num_blocks = config.num_blocks,
                                .activation = nn::Act::Relu,
                                .dtype = dtype};
    auto net = std::make_shared<ResidualNet>(features - transformed, transformed * per_feature, gen, rn);
    chain->push_back(std::make_shared<PiecewiseRationalQuadraticCoupling>(mask, net, spline));
    chain->push_back(std::make_shared<LULinear>(features, gen, LULinearOptions{.identity_init = true, .dtype = dtype}));
  }
  return std::make_shared<ConditionalFlow>(features, context_features, chain, config.flow);
}

}  // namespace amor::sbi::flows
