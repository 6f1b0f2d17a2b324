#include "sbi/npe/estimator_factory.h"

#include "core/error.h"
#include "sbi/flows/coupling_flow.h"
#include "sbi/flows/maf.h"
#include "sbi/flows/nsf.h"

namespace amor::sbi::npe {

std::vector<std::string> estimator_names() { return {"maf", "nsf", "coupling"}; }

namespace {

// The builder configs read FlowOptions' keys and the seed from the same JSON object; the
// estimator's own options come from the user, the flow options and seed from the method.
template <class Config>
Config with_method_settings(const nlohmann::json& options, const flows::FlowOptions& flow_options, uint64_t seed) {
  Config c = Config::from_json(options.is_null() ? nlohmann::json::object() : options);
  if (!options.is_object() || !options.contains("seed")) c.seed = seed;
  c.flow = flow_options;
  return c;
}

}  // namespace

flows::ConditionalFlowPtr build_estimator(const std::string& estimator, int64_t features, int64_t context_features,
                                          const nlohmann::json& config, const flows::FlowOptions& flow_options,
                                          uint64_t seed) {
  if (estimator == "maf")
    return flows::make_maf(features, context_features, with_method_settings<flows::MAFConfig>(config, flow_options, seed));
  if (estimator == "coupling")
    return flows::make_coupling_flow(features, context_features,
                                     with_method_settings<flows::CouplingFlowConfig>(config, flow_options, seed));
  if (estimator == "nsf")
    return flows::make_nsf(features, context_features, with_method_settings<flows::NSFConfig>(config, flow_options, seed));
  throw ValueError("unknown estimator '" + estimator + "' (maf, nsf or coupling)");
}

}  // namespace amor::sbi::npe
