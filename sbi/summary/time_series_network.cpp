#include "sbi/summary/time_series_network.h"

#include "core/ops.h"
#include "sbi/summary/options_json.h"

namespace amor::sbi::summary {

nlohmann::json TimeSeriesOptions::to_json() const {
  return {{"type", "timeseries"},        {"summary_dim", summary_dim},     {"filters", filters},
          {"kernel_sizes", kernel_sizes}, {"activation", activation},       {"recurrent_dim", recurrent_dim},
          {"bidirectional", bidirectional}, {"dropout", dropout}};
}

TimeSeriesOptions TimeSeriesOptions::from_json(const nlohmann::json& j) {
  TimeSeriesOptions o;
  const detail::OptionReader r(j, "timeseries",
                               {"summary_dim", "filters", "kernel_sizes", "activation", "recurrent_dim",
                                "bidirectional", "dropout"});
  r.integer("summary_dim", o.summary_dim, 1);
  r.integers("filters", o.filters, 1, /*allow_empty=*/true);
  r.integers("kernel_sizes", o.kernel_sizes, 1);
  r.string("activation", o.activation);
  r.integer("recurrent_dim", o.recurrent_dim, 1);
  r.boolean("bidirectional", o.bidirectional);
  r.number("dropout", o.dropout, 0.0, 1.0);
  if (!o.filters.empty() && o.kernel_sizes.size() != 1 && o.kernel_sizes.size() != o.filters.size())
    throw ValueError("timeseries: 'kernel_sizes' needs one entry, or one per convolution (" +
                     std::to_string(o.filters.size()) + "), got " + std::to_string(o.kernel_sizes.size()));
  nn::activation_from_name(o.activation);
  return o;
}

TimeSeriesNetwork::TimeSeriesNetwork(int64_t input_dim, const TimeSeriesOptions& options, uint64_t seed, DType dtype)
    : input_dim_(input_dim), o_(TimeSeriesOptions::from_json(options.to_json())), act_(nn::activation_from_name(o_.activation)) {
  AMOR_CHECK(input_dim > 0, ValueError, "timeseries: input_dim must be positive, got ", input_dim);
  Generator gen(seed, 0x7153);
  convs_ = register_module("convs", std::make_shared<nn::ModuleList<nn::Conv1d>>());
  int64_t channels = input_dim;
  for (size_t i = 0; i < o_.filters.size(); ++i) {
    const int64_t k = o_.kernel_sizes.size() == 1 ? o_.kernel_sizes[0] : o_.kernel_sizes[i];
    convs_->push_back(std::make_shared<nn::Conv1d>(channels, o_.filters[i], k, gen,
                                                   nn::Conv1dOptions{.padding = "same", .dtype = dtype}));
    channels = o_.filters[i];
  }
  forward_gru_ = register_module("gru_forward", std::make_shared<nn::GRU>(channels, o_.recurrent_dim, gen, dtype));
  if (o_.bidirectional)
    backward_gru_ = register_module("gru_backward", std::make_shared<nn::GRU>(channels, o_.recurrent_dim, gen, dtype));
  if (o_.dropout > 0) dropout_ = register_module("dropout", std::make_shared<nn::Dropout>(o_.dropout, seed * 1000 + 7));
  const int64_t state = o_.recurrent_dim * (o_.bidirectional ? 2 : 1);
  output_ = register_module("output", std::make_shared<nn::Linear>(state, o_.summary_dim, gen,
                                                                   nn::LinearOptions{.dtype = dtype}));
}

Tensor TimeSeriesNetwork::forward(const Tensor& x, const Tensor& mask) {
  check_input("timeseries", x, mask);
  const Tensor m = mask.defined() ? mask.unsqueeze(2) : Tensor();  // [B, L, 1]
  Tensor h = x;
  for (const auto& conv : *convs_) {
    if (m.defined()) h = where(m, h, 0.0);
    h = nn::apply_activation(act_, conv->forward(h));
  }
  Tensor s = forward_gru_->forward(h, mask);
  if (backward_gru_) s = concat({s, backward_gru_->forward(h, mask, /*reverse=*/true)}, 1);
  if (dropout_) s = dropout_->forward(s);
  return output_->forward(s);
}

}  // namespace amor::sbi::summary
