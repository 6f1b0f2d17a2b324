// TimeSeriesNetwork: a compact LSTNet-style summary of a series, after BayesFlow's
// TimeSeriesNetwork (../shared/reference/bayesflow.md §3):
//
//   h = act(Conv1d_i(h)) for each convolution ("same" padding, stride 1)   [B, L, filters]
//   s = [GRU→(h) final state ‖ GRU←(h) final state]  (one GRU without bidirectional)
//   out = Linear(dropout(s))                                                [B, summary_dim]
//
// The recurrence (not attention pooling) keeps the order of the series in the summary; the
// convolutions give it local features first. x is [B, L, channels]; mask bool [B, L], true = a
// real step. Padding must be trailing (series of different lengths padded at the end): padded
// steps are zeroed before every convolution, which is what "same" zero padding would put there,
// so real steps see exactly the values of the unpadded series, and the GRUs skip padded steps
// (nn/gru.h), so the summary equals that of the unpadded series.
//
// Defaults: BayesFlow's summary_dim 16, filters 32, kernel size 3, recurrent_dim 128,
// bidirectional; dropout 0 (BayesFlow: 0.05, see summary_network.h); silu in place of mish, which amor does not have. BayesFlow's skip
// GRU (skip_steps 4, a second GRU over every 4th step) is not built.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nn/activation.h"
#include "nn/conv1d.h"
#include "nn/dropout.h"
#include "nn/gru.h"
#include "nn/linear.h"
#include "nn/module_list.h"
#include "sbi/summary/summary_network.h"

namespace amor::sbi::summary {

struct TimeSeriesOptions {
  int64_t summary_dim = 16;
  std::vector<int64_t> filters = {32};     // one convolution per entry (may be empty: GRU only)
  std::vector<int64_t> kernel_sizes = {3};  // one per convolution, or one for all
  std::string activation = "silu";
  int64_t recurrent_dim = 128;
  bool bidirectional = true;
  double dropout = 0.0;  // BayesFlow: 0.05 (summary_network.h)

  nlohmann::json to_json() const;  // includes "type": "timeseries"
  static TimeSeriesOptions from_json(const nlohmann::json& j);
};

class TimeSeriesNetwork : public SummaryNetwork {
 public:
  TimeSeriesNetwork(int64_t input_dim, const TimeSeriesOptions& options, uint64_t seed, DType dtype = DType::F32);
  std::string type_name() const override { return "TimeSeriesNetwork"; }
  Tensor forward(const Tensor& x, const Tensor& mask = Tensor()) override;
  int64_t input_dim() const override { return input_dim_; }
  int64_t summary_dim() const override { return o_.summary_dim; }
  nlohmann::json config() const override { return o_.to_json(); }

 private:
  int64_t input_dim_;
  TimeSeriesOptions o_;
  nn::Act act_;
  std::shared_ptr<nn::ModuleList<nn::Conv1d>> convs_;
  std::shared_ptr<nn::GRU> forward_gru_, backward_gru_;  // backward_gru_ null unless bidirectional
  std::shared_ptr<nn::Dropout> dropout_;                 // null without dropout
  std::shared_ptr<nn::Linear> output_;
};

}  // namespace amor::sbi::summary
