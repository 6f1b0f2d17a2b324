#include "sbi/summary/flat_input.h"

#include "core/error.h"
#include "sbi/summary/summary_network.h"

namespace amor::sbi::summary {

nlohmann::json FlatInputLayout::to_json() const {
  nlohmann::json j = network.is_string() ? nlohmann::json{{"type", network}} : network;
  j["input_shape"] = {length, features};
  j["channels_first"] = channels_first;
  return j;
}

FlatInputLayout flat_input_layout(const nlohmann::json& config, int64_t x_dim) {
  AMOR_CHECK(x_dim >= 1, ValueError, "summary: x_dim must be >= 1, got ", x_dim);
  FlatInputLayout l;
  l.length = x_dim;
  l.network = config;
  if (config.is_object()) {
    if (config.contains("input_shape")) {
      const auto& s = config.at("input_shape");
      AMOR_CHECK(s.is_array() && s.size() == 2 && s[0].is_number_integer() && s[1].is_number_integer() &&
                     s[0].get<int64_t>() >= 1 && s[1].get<int64_t>() >= 1,
                 ValueError, "summary: 'input_shape' must be [N, F] with positive integers, got ", s.dump());
      l.length = s[0].get<int64_t>();
      l.features = s[1].get<int64_t>();
      l.network.erase("input_shape");
    }
    if (config.contains("channels_first")) {
      AMOR_CHECK(config.at("channels_first").is_boolean(), ValueError, "summary: 'channels_first' must be true or false");
      l.channels_first = config.at("channels_first").get<bool>();
      l.network.erase("channels_first");
    }
  }
  AMOR_CHECK(l.length * l.features == x_dim, ValueError, "summary: input_shape [", l.length, ", ", l.features,
             "] holds ", l.length * l.features, " values but x has ", x_dim);
  build_summary_network(l.network, l.features, 0);  // validates the network's configuration
  return l;
}

Tensor unflatten_input(const Tensor& x, const FlatInputLayout& l) {
  AMOR_CHECK(x.dim() == 2 && x.size(1) == l.length * l.features, ShapeError, "summary: x must be [M, ",
             l.length * l.features, "], got ", x.shape());
  const int64_t M = x.size(0);
  if (!l.channels_first) return x.reshape(Shape{M, l.length, l.features}).contiguous();
  return x.reshape(Shape{M, l.features, l.length}).transpose(1, 2).contiguous();
}

}  // namespace amor::sbi::summary
