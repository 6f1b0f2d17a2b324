#include "sbi/summary/summary_network.h"

#include "sbi/summary/deep_set.h"
#include "sbi/summary/set_transformer.h"
#include "sbi/summary/time_series_network.h"

namespace amor::sbi::summary {

void SummaryNetwork::check_input(const char* who, const Tensor& x, const Tensor& mask) const {
  AMOR_CHECK(x.defined(), ValueError, who, ": the input is an undefined tensor");
  AMOR_CHECK(is_floating(x.dtype()), DTypeError, who, ": the input must be float32 or float64, got ", x.dtype());
  AMOR_CHECK(x.dim() == 3 && x.size(2) == input_dim() && x.size(1) >= 1, ShapeError, who, ": the input must be [B, N, ",
             input_dim(), "] with N >= 1, got ", x.shape());
  if (mask.defined())
    AMOR_CHECK(mask.dtype() == DType::Bool && mask.shape() == (Shape{x.size(0), x.size(1)}), ShapeError, who,
               ": the padding mask must be bool [", x.size(0), ", ", x.size(1), "] (true = a real element), got ",
               mask.dtype(), " ", mask.shape());
}

std::vector<std::string> summary_network_names() { return {"deepset", "set_transformer", "timeseries"}; }

SummaryNetworkPtr build_summary_network(const nlohmann::json& config, int64_t input_dim, uint64_t seed, DType dtype) {
  std::string type;
  nlohmann::json options = nlohmann::json::object();
  if (config.is_string()) {
    type = config.get<std::string>();
  } else if (config.is_object() && config.contains("type") && config.at("type").is_string()) {
    type = config.at("type").get<std::string>();
    options = config;
  } else {
    throw ValueError("summary network: the configuration must be a name or an object with a string \"type\" "
                     "(deepset, set_transformer or timeseries), got " + config.dump());
  }
  if (type == "deepset") return std::make_shared<DeepSet>(input_dim, DeepSetOptions::from_json(options), seed, dtype);
  if (type == "set_transformer")
    return std::make_shared<SetTransformer>(input_dim, SetTransformerOptions::from_json(options), seed, dtype);
  if (type == "timeseries")
    return std::make_shared<TimeSeriesNetwork>(input_dim, TimeSeriesOptions::from_json(options), seed, dtype);
  throw ValueError("summary network: unknown type '" + type + "' (deepset, set_transformer or timeseries)");
}

}  // namespace amor::sbi::summary
