// SummaryFlow: a conditional flow q(θ | h(x), c) whose context is a summary network's output
// h(x) next to optional direct conditions c (BayesFlow's ContinuousApproximator with a summary
// network; sbi's NPE with an embedding net). Both networks are parameters of this one module, so
// one optimizer trains them jointly and one checkpoint holds both.
//
//   x  ->  (x - input_mean) / input_std  ->  summary network  ->  h  [B, S]
//   c  ->  (c - condition_mean) / condition_std                ->     [B, C]
//   context = [h ‖ c]  ->  ConditionalFlow (θ standardised inside, support-aware)
//
// The flow's own context standardisation is switched off: the summary is learned, so its scale
// is the network's business (BayesFlow standardises the raw summary variables, not the
// summaries). The raw inputs are z-scored per feature over real (unmasked) elements, and the
// conditions per column, with statistics fitted once by initialize_from_data.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/random.h"
#include "nn/module.h"
#include "sbi/flows/conditional_flow.h"
#include "sbi/summary/set_data.h"
#include "sbi/summary/summary_network.h"

namespace amor::sbi::summary {

struct SummaryFlowConfig {
  nlohmann::json summary = "deepset";  // build_summary_network's config
  std::string estimator = "coupling";  // npe::build_estimator's name: "coupling", "maf", "nsf"
  nlohmann::json estimator_options = nlohmann::json::object();
  int64_t theta_dim = 0;      // d
  int64_t input_dim = 0;      // F, features per set element / time step
  int64_t condition_dim = 0;  // C, direct conditions (0: none)
  flows::FlowOptions flow_options = {};  // support, dtype; standardize_context is ignored (off)
  bool standardize_inputs = true;        // z-score x and the conditions
  uint64_t seed = 0;

  nlohmann::json to_json() const;
  static SummaryFlowConfig from_json(const nlohmann::json& j);  // ValueError on bad or unknown keys
};

class SummaryFlow : public nn::Module {
 public:
  // ValueError for non-positive dimensions or bad network/estimator configurations.
  explicit SummaryFlow(const SummaryFlowConfig& config);
  std::string type_name() const override { return "SummaryFlow"; }

  const SummaryFlowConfig& config() const { return config_; }
  SummaryNetwork& summary_network() const { return *summary_; }
  flows::ConditionalFlow& flow() const { return *flow_; }
  const flows::ConditionalFlowPtr& flow_ptr() const { return flow_; }
  int64_t theta_dim() const { return config_.theta_dim; }
  int64_t input_dim() const { return config_.input_dim; }
  int64_t condition_dim() const { return config_.condition_dim; }
  int64_t context_dim() const { return summary_->summary_dim() + config_.condition_dim; }
  DType dtype() const { return flow_->dtype(); }

  // The flow's context for a batch (θ not needed): [B, context_dim]. Differentiable.
  Tensor context(const SetBatch& batch);
  // log q(θ | x, c) per row: [B]. Differentiable (training).
  Tensor log_prob(const SetBatch& batch);
  // n draws for one data set (batch of size 1): [n, d]. No graph is recorded.
  Tensor sample(int64_t n, const SetBatch& observation, Generator& gen);
  // n draws for each of the m data sets of `observations`: [m, n, d]. Row (i, k) uses the same
  // noise as sample_batched of the flow; data sets are processed in chunks of at most
  // max_rows / n so memory stays bounded.
  Tensor sample_batched(int64_t n, const SetBatch& observations, Generator& gen, int64_t max_rows = 200000);

  // Fits the input and condition standardisation to `data` (real elements only), then the
  // flow's θ standardisation and data-dependent initialisation (ActNorm) on θ with the initial
  // summaries as context. ValueError when fewer than 2 real elements / rows are finite.
  void initialize_from_data(const SetBatch& data);

  // One checkpoint with both networks; metadata {"format": "amor-summary-flow",
  // "summary_flow": config, ...extra}.
  void save(const std::string& path, const nlohmann::json& extra_metadata = nlohmann::json::object()) const;
  // Rebuilds from a checkpoint written by save() (or any checkpoint whose metadata holds
  // "summary_flow"). IOError for an unreadable file or missing metadata.
  static std::shared_ptr<SummaryFlow> load(const std::string& path);

 private:
  Tensor standardized_inputs(const SetBatch& batch) const;

  SummaryFlowConfig config_;
  SummaryNetworkPtr summary_;
  flows::ConditionalFlowPtr flow_;
  Tensor input_mean, input_std, condition_mean, condition_std;  // buffers ([F], [F], [C], [C])
};

using SummaryFlowPtr = std::shared_ptr<SummaryFlow>;

}  // namespace amor::sbi::summary
