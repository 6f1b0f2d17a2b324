#include "sbi/npe/estimator_factory.h"

#include <string>

#include "core/error.h"
#include "sbi/flows/coupling_flow.h"
#include "sbi/flows/maf.h"
#include "sbi/flows/nsf.h"

namespace amor::sbi::npe {

std::vector<std::string> estimator_names() { return {"maf", "nsf", "coupling"}; }

namespace {

// FlowOptions keys an estimator configuration may override; "support" is the method's decision
// (NPE's "unconstrained"), "type" and "seed" come from the estimator name and the training seed.
constexpr const char* kFlowKeys[] = {"standardize_theta", "standardize_context", "dtype"};

}  // namespace

flows::ConditionalFlowPtr build_estimator(const std::string& estimator, int64_t features, int64_t context_features,
                                          const nlohmann::json& config, const flows::FlowOptions& flow_options,
                                          uint64_t seed) {
  const nlohmann::json cfg = config.is_null() ? nlohmann::json::object() : config;
  AMOR_CHECK(cfg.is_object(), ValueError, "estimator '", estimator, "': options must be a JSON object, got ",
             cfg.dump());
  for (const char* reserved : {"type", "seed", "support"})
    AMOR_CHECK(!cfg.contains(reserved), ValueError, "estimator '", estimator, "': option '", reserved,
               "' is set by the method, not by estimator_options");
  // The caller's flow options with the overridable keys of `cfg` on top; the rest of `cfg`
  // goes to the builder.
  nlohmann::json flow_json = flow_options.to_json();
  nlohmann::json builder = cfg;
  for (const char* k : kFlowKeys)
    if (cfg.contains(k)) {
      flow_json[k] = cfg[k];
      builder.erase(k);
    }
  const flows::FlowOptions fo = flows::FlowOptions::from_json(flow_json);
  if (estimator == "maf") {
    flows::MAFConfig c = flows::MAFConfig::from_json(builder);
    c.flow = fo;
    c.seed = seed;
    return flows::make_maf(features, context_features, c);
  }
  if (estimator == "nsf") {
    flows::NSFConfig c = flows::NSFConfig::from_json(builder);
    c.flow = fo;
    c.seed = seed;
    return flows::make_nsf(features, context_features, c);
  }
  if (estimator == "coupling") {
    flows::CouplingFlowConfig c = flows::CouplingFlowConfig::from_json(builder);
    c.flow = fo;
    c.seed = seed;
    return flows::make_coupling_flow(features, context_features, c);
  }
  throw ValueError("unknown estimator '" + estimator + "' (maf, nsf or coupling)");
}

}  // namespace amor::sbi::npe
