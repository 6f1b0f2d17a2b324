// Summary (embedding) networks: learned maps from raw data to a fixed-size vector that conditions
// an inference network, trained jointly with it (BayesFlow's SummaryNetwork; sbi's embedding
// nets). Three are built in (../shared/reference/bayesflow.md §3):
//
//   "deepset"          DeepSet: exchangeable sets, equivariant + invariant MLP stacks, mean pooling
//   "set_transformer"  SetTransformer: set attention blocks + pooling by attention (learned seeds)
//   "timeseries"       TimeSeriesNetwork: 1-D convolutions + a (bidirectional) GRU
//
// Input: x [B, N, input_dim] (N set elements or time steps, input_dim features per element) and an
// optional padding mask, bool [B, N], true = a real element. Output: [B, summary_dim].
//
// Set networks are permutation invariant over N and ignore padded elements entirely (their
// values never reach the output), so sets of different sizes can share one padded batch; the
// time-series network ignores trailing padding (shorter series padded at the end). N may change
// from call to call: the networks hold no parameter whose shape depends on it.
//
// Dropout defaults to 0 (BayesFlow: 0.05 after every layer). A flow trained on dropout-noised
// summaries learns posteriors wide enough for that noise and stays that wide at inference, when
// dropout is off: on the linear-regression tutorial (examples/linear_regression) SBC failed for
// β0 with a ∩-shaped (under-confident) rank histogram at 0.05 and passed at 0, where the
// validation NLL also fell from 0.22 to -0.28 in the same 30 epochs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/tensor.h"
#include "nn/module.h"

namespace amor::sbi::summary {

class SummaryNetwork : public nn::Module {
 public:
  // x: [B, N, input_dim]; mask: bool [B, N] or undefined -> [B, summary_dim].
  virtual Tensor forward(const Tensor& x, const Tensor& mask = Tensor()) = 0;
  Tensor operator()(const Tensor& x, const Tensor& mask = Tensor()) { return forward(x, mask); }

  virtual int64_t input_dim() const = 0;
  virtual int64_t summary_dim() const = 0;
  // {"type": ..., every option}: build_summary_network(config(), input_dim()) rebuilds the
  // architecture (checkpoints store it).
  virtual nlohmann::json config() const = 0;

 protected:
  // ShapeError / DTypeError unless x is [B, N, input_dim] with N >= 1 and mask is undefined or
  // bool [B, N]. `who` names the network in messages.
  void check_input(const char* who, const Tensor& x, const Tensor& mask) const;
};

using SummaryNetworkPtr = std::shared_ptr<SummaryNetwork>;

// {"deepset", "set_transformer", "timeseries"}.
std::vector<std::string> summary_network_names();

// config: {"type": name, options...} (options partial over the network's defaults), or a bare
// string naming the type. ValueError on an unknown type or option, or a bad value.
SummaryNetworkPtr build_summary_network(const nlohmann::json& config, int64_t input_dim, uint64_t seed,
                                        DType dtype = DType::F32);

}  // namespace amor::sbi::summary
