// Builds the conditional density estimator named in a configuration: "maf" (sbi's default),
// "nsf" (the sbibm paper's NPE) or "coupling" (BayesFlow's affine coupling flow).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sbi/flows/conditional_flow.h"

namespace amor::sbi::npe {

std::vector<std::string> estimator_names();  // {"maf", "nsf", "coupling"}

// features: modelled dimension; context_features: conditioning dimension; config: the
// builder's options (hidden features, transforms, bins, ...), partial over its defaults;
// ValueError on an unknown estimator or option.
flows::ConditionalFlowPtr build_estimator(const std::string& estimator, int64_t features, int64_t context_features,
                                          const nlohmann::json& config, const flows::FlowOptions& flow_options,
                                          uint64_t seed);

}  // namespace amor::sbi::npe
