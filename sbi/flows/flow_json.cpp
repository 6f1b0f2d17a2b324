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

// ---- config_json.h ------------------------------------------------------------------------------

#include "nn/activation.h"
#include "sbi/flows/config_json.h"

namespace amor::sbi::flows {

std::vector<std::string> with_flow_keys(std::vector<std::string> keys) {
  for (const char* k : {"standardize_theta", "standardize_context", "support", "dtype"}) keys.emplace_back(k);
  return keys;
}

void check_json_type(const nlohmann::json& j, const char* type, const char* what) {
  if (!j.contains("type")) return;
  AMOR_CHECK(j["type"] == type, ValueError, what, ": 'type' must be \"", type, "\", got ", j["type"].dump());
}

void read_int(const nlohmann::json& j, const char* key, int64_t min_value, int64_t* out, const char* what) {
  if (!j.contains(key)) return;
  const auto& v = j[key];
  AMOR_CHECK(v.is_number_integer() && v.get<int64_t>() >= min_value, ValueError, what, ": '", key,
             "' must be an integer >= ", min_value, ", got ", v.dump());
  *out = v.get<int64_t>();
}

void read_seed(const nlohmann::json& j, uint64_t* out, const char* what) {
  if (!j.contains("seed")) return;
  const auto& v = j["seed"];
  AMOR_CHECK(v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0), ValueError, what,
             ": 'seed' must be a non-negative integer, got ", v.dump());
  *out = v.get<uint64_t>();
}

void read_bool(const nlohmann::json& j, const char* key, bool* out, const char* what) {
  if (!j.contains(key)) return;
  AMOR_CHECK(j[key].is_boolean(), ValueError, what, ": '", key, "' must be true/false, got ", j[key].dump());
  *out = j[key].get<bool>();
}

void read_activation(const nlohmann::json& j, std::string* out, const char* what) {
  if (!j.contains("activation")) return;
  AMOR_CHECK(j["activation"].is_string(), ValueError, what, ": 'activation' must be a string, got ",
             j["activation"].dump());
  const std::string name = j["activation"].get<std::string>();
  (void)nn::activation_from_name(name);  // ValueError for unknown names
  *out = name;
}

void read_choice(const nlohmann::json& j, const char* key, const std::vector<std::string>& choices,
                 std::string* out, const char* what) {
  if (!j.contains(key)) return;
  const auto& v = j[key];
  std::string list;
  for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
  AMOR_CHECK(v.is_string(), ValueError, what, ": '", key, "' must be one of ", list, ", got ", v.dump());
  for (const auto& c : choices)
    if (v == c) {
      *out = c;
      return;
    }
  AMOR_CHECK(false, ValueError, what, ": '", key, "' must be one of ", list, ", got ", v.dump());
}

void read_int_list(const nlohmann::json& j, const char* key, int64_t min_value, std::vector<int64_t>* out,
                   const char* what) {
  if (!j.contains(key)) return;
  const auto& v = j[key];
  AMOR_CHECK(v.is_array() && !v.empty(), ValueError, what, ": '", key, "' must be a non-empty list, got ", v.dump());
  std::vector<int64_t> r;
  for (const auto& e : v) {
    AMOR_CHECK(e.is_number_integer() && e.get<int64_t>() >= min_value, ValueError, what, ": '", key,
               "' entries must be integers >= ", min_value, ", got ", v.dump());
    r.push_back(e.get<int64_t>());
  }
  *out = r;
}

}  // namespace amor::sbi::flows
