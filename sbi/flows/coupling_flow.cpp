#include "sbi/flows/coupling_flow.h"

#include "sbi/flows/actnorm.h"
#include "sbi/flows/affine_coupling.h"
#include "sbi/flows/config_json.h"
#include "sbi/flows/permutation.h"

namespace amor::sbi::flows {

nlohmann::json CouplingFlowConfig::to_json() const {
  nlohmann::json j = flow.to_json();
  j["type"] = "coupling";
  j["depth"] = depth;
  j["hidden_features"] = hidden_features;
  j["activation"] = activation;
  j["use_actnorm"] = use_actnorm;
  j["permutation"] = permutation;
  j["seed"] = seed;
  return j;
}

CouplingFlowConfig CouplingFlowConfig::from_json(const nlohmann::json& j) {
  const char* what = "CouplingFlowConfig";
  check_json_keys(j,
                  with_flow_keys({"type", "depth", "hidden_features", "activation", "use_actnorm", "permutation", "seed"}),
                  what);
  check_json_type(j, "coupling", what);
  CouplingFlowConfig c;
  c.flow = FlowOptions::from_json(j);
  read_int(j, "depth", 1, &c.depth, what);
  read_int_list(j, "hidden_features", 1, &c.hidden_features, what);
  read_activation(j, &c.activation, what);
  read_bool(j, "use_actnorm", &c.use_actnorm, what);
  read_choice(j, "permutation", {"random", "reverse", "none"}, &c.permutation, what);
  read_seed(j, &c.seed, what);
  return c;
}

ConditionalFlowPtr make_coupling_flow(int64_t features, int64_t context_features, const CouplingFlowConfig& config) {
  AMOR_CHECK(features > 0 && context_features >= 0, ValueError, "make_coupling_flow: features must be positive and ",
             "context_features >= 0, got ", features, " and ", context_features);
  AMOR_CHECK(features > 1 || context_features > 0, ValueError,
             "make_coupling_flow: a 1-D coupling flow needs a context (its coupling would have no input)");
  AMOR_CHECK(config.depth > 0 && !config.hidden_features.empty(), ValueError, "make_coupling_flow: invalid config ",
             config.to_json().dump());
  AMOR_CHECK(config.permutation == "random" || config.permutation == "reverse" || config.permutation == "none",
             ValueError, "make_coupling_flow: permutation must be random, reverse or none, got '", config.permutation, "'");
  Generator gen(config.seed);
  const AffineCouplingOptions co{.hidden_features = config.hidden_features,
                                 .activation = nn::activation_from_name(config.activation),
                                 .context_features = context_features,
                                 .dtype = config.flow.dtype};
  const int64_t pivot = features / 2;
  auto chain = std::make_shared<CompositeTransform>(features);
  for (int64_t b = 0; b < config.depth; ++b) {
    if (config.use_actnorm) chain->push_back(std::make_shared<ActNorm>(features, config.flow.dtype));
    if (config.permutation == "random") chain->push_back(random_permutation(features, gen));
    else if (config.permutation == "reverse") chain->push_back(reverse_permutation(features));
    chain->push_back(std::make_shared<AffineCoupling>(features, pivot, features, gen, co));
    if (pivot > 0) chain->push_back(std::make_shared<AffineCoupling>(features, 0, pivot, gen, co));
  }
  return std::make_shared<ConditionalFlow>(features, context_features, chain, config.flow);
}

}  // namespace amor::sbi::flows
