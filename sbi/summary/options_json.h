// Internal: reading the summary networks' JSON options with errors that name the network and
// the key (ValueError), shared by deep_set.cpp, set_transformer.cpp and time_series_network.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace amor::sbi::summary::detail {

class OptionReader {
 public:
  // `j` must be an object (or null: no overrides); keys outside `allowed` (plus "type") throw.
  OptionReader(const nlohmann::json& j, const char* who, const std::vector<std::string>& allowed) : j_(j), who_(who) {
    if (j.is_null()) return;
    if (!j.is_object()) throw ValueError(std::string(who) + ": options must be a JSON object");
    for (auto it = j.begin(); it != j.end(); ++it) {
      bool known = it.key() == "type";
      for (const auto& a : allowed) known = known || a == it.key();
      if (!known) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        throw ValueError(std::string(who) + ": unknown option '" + it.key() + "' (known: " + list + ")");
      }
    }
  }

  void integer(const char* key, int64_t& out, int64_t min) const {
    if (!has(key)) return;
    const auto& v = j_.at(key);
    if (!v.is_number_integer() || v.get<int64_t>() < min)
      throw ValueError(std::string(who_) + ": '" + key + "' must be an integer >= " + std::to_string(min));
    out = v.get<int64_t>();
  }
  void number(const char* key, double& out, double min, double max_exclusive) const {
    if (!has(key)) return;
    const auto& v = j_.at(key);
    if (!v.is_number() || !(v.get<double>() >= min && v.get<double>() < max_exclusive))
      throw ValueError(std::string(who_) + ": '" + key + "' must be a number in [" + std::to_string(min) + ", " +
                       std::to_string(max_exclusive) + ")");
    out = v.get<double>();
  }
  void boolean(const char* key, bool& out) const {
    if (!has(key)) return;
    if (!j_.at(key).is_boolean()) throw ValueError(std::string(who_) + ": '" + key + "' must be true or false");
    out = j_.at(key).get<bool>();
  }
  void string(const char* key, std::string& out) const {
    if (!has(key)) return;
    if (!j_.at(key).is_string()) throw ValueError(std::string(who_) + ": '" + key + "' must be a string");
    out = j_.at(key).get<std::string>();
  }
  // A list of integers >= min (a single integer is read as a one-element list).
  void integers(const char* key, std::vector<int64_t>& out, int64_t min, bool allow_empty = false) const {
    if (!has(key)) return;
    const auto& v = j_.at(key);
    std::vector<int64_t> r;
    auto bad = [&] {
      return ValueError(std::string(who_) + ": '" + key + "' must be " + (allow_empty ? "a" : "a non-empty") +
                        " list of integers >= " + std::to_string(min));
    };
    if (v.is_number_integer()) {
      r.push_back(v.get<int64_t>());
    } else if (v.is_array()) {
      for (const auto& e : v) {
        if (!e.is_number_integer()) throw bad();
        r.push_back(e.get<int64_t>());
      }
    } else {
      throw bad();
    }
    if (r.empty() && !allow_empty) throw bad();
    for (int64_t x : r)
      if (x < min) throw bad();
    out = r;
  }

 private:
  bool has(const char* key) const { return j_.is_object() && j_.contains(key); }
  const nlohmann::json& j_;
  const char* who_;
};

}  // namespace amor::sbi::summary::detail
