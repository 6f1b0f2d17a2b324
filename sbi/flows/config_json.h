// Small JSON readers the flow builders' configs share (the FlowOptions keys, typed fields with
// range checks). Every failure is a ValueError naming the config (`what`) and the key.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sbi/flows/conditional_flow.h"

namespace amor::sbi::flows {

// `keys` plus FlowOptions' keys (standardize_theta, standardize_context, support, dtype).
std::vector<std::string> with_flow_keys(std::vector<std::string> keys);
// When j has "type", it must equal `type`.
void check_json_type(const nlohmann::json& j, const char* type, const char* what);
// Reads an integer >= min_value into *out when the key is present.
void read_int(const nlohmann::json& j, const char* key, int64_t min_value, int64_t* out, const char* what);
void read_seed(const nlohmann::json& j, uint64_t* out, const char* what);
void read_bool(const nlohmann::json& j, const char* key, bool* out, const char* what);
// "activation": a name nn::activation_from_name accepts.
void read_activation(const nlohmann::json& j, std::string* out, const char* what);
// A string out of `choices`.
void read_choice(const nlohmann::json& j, const char* key, const std::vector<std::string>& choices,
                 std::string* out, const char* what);
// A non-empty list of integers >= min_value.
void read_int_list(const nlohmann::json& j, const char* key, int64_t min_value, std::vector<int64_t>* out,
                   const char* what);

}  // namespace amor::sbi::flows
