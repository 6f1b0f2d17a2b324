// The --condition language of `amor sample` and `amor log-prob`: a comma-separated list of
//   NAME=V             the variable is observed at V
//   NAME= / NAME=nan   the variable is missing: sampled like a latent one (same as leaving it out)
//   NAME in [A, B]     the variable is latent and restricted to [A, B] (A or B may be -inf / inf)
//   NAME > V, NAME >= V, NAME < V, NAME <= V   one-sided restrictions (strict or not is the same
//                      for a continuous variable)
// Commas inside [ ] do not split items; spaces around names, operators and numbers are ignored.
// NAME is a variable's name, its 1-based position among the variables, or its name without
// underscores when that picks exactly one variable (x3 for x_3). Every malformed item is a
// ValueError naming the flag and the item.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace amor::apps {

struct ConditionItem {
  enum class Kind { Value, Missing, Interval };
  std::string name;  // as written
  Kind kind = Kind::Value;
  double value = 0;  // Value
  double lower = -std::numeric_limits<double>::infinity();
  double upper = std::numeric_limits<double>::infinity();  // Interval
  std::string text;  // the item as written, for messages
};

// ValueError on an empty list or item, unbalanced brackets, an item of no known form, a bad
// number, an empty interval, or a name given twice.
std::vector<ConditionItem> parse_conditions(const std::string& flag, const std::string& text);

// The index of `name` in `names` (see above); ValueError listing the variables when none or
// several match. `who` describes the model in the message.
int64_t resolve_variable(const std::string& flag, const std::string& name, const std::vector<std::string>& names,
                         const std::string& who);

}  // namespace amor::apps
