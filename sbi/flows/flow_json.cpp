// JSON (de)serialisation shared by the flow configs: FlowOptions and bound vectors.
#include <cmath>
#include <limits>
#include <set>

#include "sbi/flows/conditional_flow.h"

namespace amor::sbi::flows {

nlohmann::json bounds_to_json(const std::vector<double>& v) {
  nlohmann::json a = nlohmann::json::array();
  for (double x : v) {
    if (std::isinf(x)) a.push_back(x > 0 ? "inf" : "-inf");
    else a.push_back(x);
  }
  return a;
}

std::vector<double> bounds_from_json(const nlohmann::json& j, const char* key) {
  AMOR_CHECK(j.is_array(), ValueError, "flow config: '", key, "' must be an array, got ", j.dump());
  std::vector<double> v;
  for (const auto& e : j) {
    if (e.is_number()) v.push_back(e.get<double>());
    else if (e == "inf") v.push_back(std::numeric_limits<double>::infinity());
    else if (e == "-inf") v.push_back(-std::numeric_limits<double>::infinity());
    else AMOR_CHECK(false, ValueError, "flow config: '", key, "' entries must be numbers, \"inf\" or \"-inf\", got ", e.dump());
  }
  return v;
}

void check_json_keys(const nlohmann::json& j, const std::vector<std::string>& allowed, const char* what) {
  AMOR_CHECK(j.is_object(), ValueError, what, ": config must be a JSON object, got ", j.dump());
  const std::set<std::string> ok(allowed.begin(), allowed.end());
  for (const auto& [k, _] : j.items()) {
    if (ok.count(k)) continue;
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    AMOR_CHECK(false, ValueError, what, ": unknown config key '", k, "' (known: ", list, ")");
  }
}

nlohmann::json FlowOptions::to_json() const {
  nlohmann::json j;
  j["standardize_theta"] = standardize_theta;
  j["standardize_context"] = standardize_context;
  if (support) j["support"] = {{"lower", bounds_to_json(support->lower)}, {"upper", bounds_to_json(support->upper)}};
  else j["support"] = nullptr;
  j["dtype"] = dtype_name(dtype);
  return j;
}

FlowOptions FlowOptions::from_json(const nlohmann::json& j) {
  AMOR_CHECK(j.is_object(), ValueError, "flow config: must be a JSON object, got ", j.dump());
  FlowOptions o;
  auto get_bool = [&](const char* key, bool& out) {
    if (!j.contains(key)) return;
    AMOR_CHECK(j[key].is_boolean(), ValueError, "flow config: '", key, "' must be true/false, got ", j[key].dump());
    out = j[key].get<bool>();
  };
  get_bool("standardize_theta", o.standardize_theta);
  get_bool("standardize_context", o.standardize_context);
  if (j.contains("support") && !j["support"].is_null()) {
    const auto& s = j["support"];
    AMOR_CHECK(s.is_object() && s.contains("lower") && s.contains("upper") && s.size() == 2, ValueError,
               "flow config: 'support' must be null or {\"lower\": [...], \"upper\": [...]}, got ", s.dump());
    Support sup;
    sup.lower = bounds_from_json(s["lower"], "support.lower");
    sup.upper = bounds_from_json(s["upper"], "support.upper");
    AMOR_CHECK(sup.lower.size() == sup.upper.size(), ValueError, "flow config: support has ",
               sup.lower.size(), " lower and ", sup.upper.size(), " upper bounds");
    o.support = sup;
  }
  if (j.contains("dtype")) {
    const auto& d = j["dtype"];
    AMOR_CHECK(d == "float32" || d == "float64", ValueError,
               "flow config: 'dtype' must be \"float32\" or \"float64\", got ", d.dump());
    o.dtype = d == "float64" ? DType::F64 : DType::F32;
  }
  return o;
}

}  // namespace amor::sbi::flows
