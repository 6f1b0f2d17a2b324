// The Simformer (Gloeckler et al. 2024): one score-based diffusion model over the joint (θ, x)
// whose masked transformer samples any conditional — the posterior, the likelihood, or any
// split of the variables into observed and latent.
//
// Pieces, each in its own file:
//   score_network.h    tokens and transformer (the network s(x_t, t | condition mask))
//   sde.h              the VE / VP forward processes
//   condition_masks.h  which tokens are observed in a training sample
//   graph_masks.h      attention masks from the task's DAG
//   reverse_sampler.h  reverse SDE / probability-flow ODE integrators
//   guidance.h         interval / linear / polytope constraints by guidance, self-recurrence
//   log_prob.h         log-densities through the probability-flow ODE
//   conditional_sampling.h  any conditional (missing entries, constraints) and its log-density
//                      given a score callback (sampler.cpp wires the network in)
// This file ties them together: configuration, standardisation, training.
//
// Values are standardised per token with the training data's mean and std (stored in the
// model) unless `z_score` is off; the SDE then acts on standardised values, so σ_max = 15
// covers every task's scale.
//
// Function-valued variables (metadata tokens, docs/function_valued.md): with
// config.network.metadata_dim > 0 the model is built over nodes, not tokens. Each token names its
// node (the time points of one series share one) and carries a scalar of metadata (e.g. its
// time; NaN for none); the DAG is over nodes, standardisation is per node, and a query may have
// any number of tokens T' (TokenLayout), not only the training layout's T.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/tensor.h"
#include "nn/module.h"
#include "sbi/simformer/condition_masks.h"
#include "sbi/simformer/graph_masks.h"
#include "sbi/simformer/guidance.h"
#include "sbi/simformer/log_prob.h"
#include "sbi/simformer/score_network.h"
#include "sbi/simformer/sde.h"
#include "sbi/simformer/value_transform.h"

namespace amor::sbi::simformer {

struct TrainingOptions {
  int64_t batch_size = 1000;        // drawn with replacement every step (no epochs)
  int64_t steps = 0;                // 0: clip(steps_per_simulation · N, min_steps, max_steps)
  double steps_per_simulation = 3.0;
  int64_t min_steps = 5000, max_steps = 100000;
  double learning_rate = 1e-3;      // constant for the first half ...
  double final_learning_rate = 1e-6;  // ... then linear decay to this
  double agc_clip = 10.0;           // adaptive gradient clipping (0: off)
  double validation_fraction = 0.05;
  int64_t validation_checks = 50;   // validation every steps / validation_checks steps
  int64_t validation_repeats = 5;   // Monte-Carlo repeats of the validation loss
  double divergence_ratio = 1.1;    // stop when val / EMA(train) exceeds this ...
  int64_t patience = 5;             // ... for more than this many consecutive checks
  bool z_score = true;
  // Models with metadata tokens: each training row keeps a random subset of the tokens of every
  // node that has several (the time points of a series): k ~ U{1..K} of its K, chosen uniformly.
  // The others are hidden from attention and from the loss, exactly as if the row had been
  // simulated at fewer points, so one model learns every observation length up to K.
  bool random_subsets = false;
  // Diffusion times (sde.h): "uniform" (the reference) or "log_normal" with log std(t) ~
  // N(log_std_mean, log_std_sd²) (JSON keys "time_sampling", "log_std_mean", "log_std_sd").
  TimeSampling time_sampling;

  void validate() const;
  nlohmann::json to_json() const;
  static TrainingOptions from_json(const nlohmann::json& j, TrainingOptions defaults);
  static TrainingOptions from_json(const nlohmann::json& j) { return from_json(j, TrainingOptions{}); }
};

struct SamplingOptions {
  std::string method = "euler_maruyama";  // reverse_sampler.h: heun_ode, ancestral, dpm_solver_2m
  int64_t steps = 500;
  int64_t chunk = 2000;  // samples per network call
  GuidanceOptions guidance;  // used only when constraints are given (JSON key "guidance")

  void validate() const;
  nlohmann::json to_json() const;
  static SamplingOptions from_json(const nlohmann::json& j, SamplingOptions defaults);
  static SamplingOptions from_json(const nlohmann::json& j) { return from_json(j, SamplingOptions{}); }
};

struct SimformerConfig {
  ScoreNetworkOptions network;
  Sde sde;
  AttentionMaskKind attention = AttentionMaskKind::Undirected;
  ConditionMaskDistribution condition_masks;
  TrainingOptions training;
  SamplingOptions sampling;
  // Bounded variables (value_transform.h): per node, values are mapped to R (logit / log) before
  // standardisation; samples come back inside the bounds and log_prob adds the Jacobian. Empty:
  // values as they are. "prior" is resolved by SimformerMethod from the task's prior.
  ValueBounds bounds;
  // Where SimformerMethod trains the model ("cpu", "cuda", "cuda:N"; sbi/device_option.h).
  Device device = Device::cpu();

  nlohmann::json to_json() const;
  // Keys: network, sde, attention ("dense"|"undirected"|"directed"), condition_masks, training,
  // sampling, bounds, device; each partial, over the defaults. ValueError on unknown keys.
  static SimformerConfig from_json(const nlohmann::json& j);
};

struct TrainingProgress {
  int64_t step = 0, total_steps = 0;
  double train_loss = 0, val_loss = 0, best_val_loss = 0, elapsed_s = 0;
};

struct TrainingSummary {
  int64_t steps = 0, total_steps = 0;
  double best_val_loss = 0, final_train_loss = 0, seconds = 0;
  bool stopped_early = false, interrupted = false;
};

// Per-node standardisation: z = (v − mean) / std, saved with the model. Without metadata tokens
// every token is its own node, so this is per token.
class Standardizer : public nn::Module {
 public:
  explicit Standardizer(int64_t nodes);
  std::string type_name() const override { return "Standardizer"; }
  Tensor mean, std;  // [num_nodes] float32
};

// The tokens of a query to a model with metadata tokens: which node each of the T' tokens
// belongs to and its metadata. T' is free (the transformer is length-agnostic).
struct TokenLayout {
  Tensor node_ids;  // [T'] int64, each in [0, num_nodes)
  Tensor metadata;  // [T'] float32/64, finite or NaN (none, e.g. a parameter)

  int64_t size() const { return node_ids.defined() ? node_ids.size(0) : 0; }
};

class SimformerModel {
 public:
  // dag: [T, T] bool over (θ, x), θ first (Task::dag()).
  SimformerModel(SimformerConfig config, int64_t theta_dim, int64_t x_dim, const Tensor& dag);
  // A model with metadata tokens (config.network.metadata_dim > 0, ValueError otherwise).
  // node_dag: [num_nodes, num_nodes] bool DAG over the nodes (row = child); node_ids: [T] int64,
  // the node of each token of the training layout, θ tokens first (T = theta_dim + x_dim; every
  // node must appear). Attention: dense, or undirected (the node graph expanded to the tokens).
  SimformerModel(SimformerConfig config, int64_t theta_dim, int64_t x_dim, const Tensor& node_dag,
                 const Tensor& node_ids);

  // joint: [N, T] float64 or float32 rows (θ, x), all finite. Trains in place, on the device the
  // model lives on (to()): the standardised training and validation rows are copied there once;
  // each step's rows are gathered there and its random pieces (condition masks, times, noise,
  // attention masks) are drawn on the host, as on the CPU, and copied once per batch, so a seed
  // gives the same batches on every device.
  TrainingSummary train(const Tensor& joint, uint64_t seed,
                        const std::function<void(const TrainingProgress&)>& on_progress = {},
                        const std::atomic<bool>* stop = nullptr);
  // The same for a model with metadata tokens: metadata [N, T] (float32/64; finite, or NaN where a
  // token has none), the metadata of each training row's tokens (e.g. its random times).
  // Standardisation pools the values of all tokens of a node.
  TrainingSummary train(const Tensor& joint, const Tensor& metadata, uint64_t seed,
                        const std::function<void(const TrainingProgress&)>& on_progress = {},
                        const std::atomic<bool>* stop = nullptr);

  // Samples the latent entries given the observed ones. values: [T] (observed entries are read,
  // others ignored), observed: [T] bool. Returns [n, T] float64 in the data's units with the
  // observed entries copied, on the host (the integration runs on the model's device).
  Tensor sample(const Tensor& values, const Tensor& observed, int64_t n, uint64_t seed) const;
  Tensor sample(const Tensor& values, const Tensor& observed, int64_t n, uint64_t seed,
                const SamplingOptions& options) const;
  // The same restricted to a region (guidance.h): constraints over the T entries in the data's
  // units; every constrained entry must be latent. A NaN value on an observed entry marks it
  // missing: it is sampled like a latent entry (all sample() overloads).
  Tensor sample(const Tensor& values, const Tensor& observed, const Constraints& constraints, int64_t n,
                uint64_t seed, const SamplingOptions& options) const;
  // θ | x_o: x_o [x_dim] or [1, x_dim] -> [n, theta_dim]. NaN entries of x_o are missing.
  Tensor sample_posterior(const Tensor& x_o, int64_t n, uint64_t seed) const;
  // Queries to a model with metadata tokens: `tokens` gives the T' tokens' nodes and metadata;
  // values / observed / constraints are over those T' tokens, as above. Returns [n, T'].
  Tensor sample(const TokenLayout& tokens, const Tensor& values, const Tensor& observed, int64_t n,
                uint64_t seed) const;
  Tensor sample(const TokenLayout& tokens, const Tensor& values, const Tensor& observed,
                const Constraints& constraints, int64_t n, uint64_t seed, const SamplingOptions& options) const;

  // Many queries in one batched integration (conditional_sampling.h): values [M, T], observed
  // [M, T] or [T] bool -> [M, n, T] float64 in the data's units. Query q's samples follow the
  // distribution of sample(values[q], observed[q], n, ·); the rows of all queries share the
  // network calls (options.chunk rows each), so M observations × n samples cost about what one
  // observation × M·n samples does. With M = 1 the draws are sample()'s.
  Tensor sample_batched(const Tensor& values, const Tensor& observed, int64_t n, uint64_t seed,
                        const SamplingOptions& options) const;
  Tensor sample_batched(const Tensor& values, const Tensor& observed, int64_t n, uint64_t seed) const {
    return sample_batched(values, observed, n, seed, config_.sampling);
  }
  // θ | x_o for many observations at once: x_os [M, x_dim] -> [M, n, theta_dim].
  Tensor sample_posterior_batched(const Tensor& x_os, int64_t n, uint64_t seed) const;

  // log p(latent entries | observed entries) in the data's units at each row of points [n, T]
  // (float64, finite; the observed entries are read from each row), through the probability-flow
  // ODE (log_prob.h). observed: [T] bool. Returns [n] float64. Autodiff through the network: the
  // exact divergence costs one backward pass per latent entry per evaluation.
  Tensor log_prob(const Tensor& points, const Tensor& observed, const LogProbOptions& options, uint64_t seed) const;
  // The same over the T' tokens of a query to a model with metadata tokens: points [n, T'].
  Tensor log_prob(const TokenLayout& tokens, const Tensor& points, const Tensor& observed,
                  const LogProbOptions& options, uint64_t seed) const;

  // The score in standardised units: x_t [B, T] on the model's device, observed [B, T], t [B]
  // (float32; either on any device) -> [B, T] on the model's device.
  Tensor score(const Tensor& x_t, const Tensor& observed, const Tensor& t) const;
  // The same over the T' tokens of a query (models with metadata tokens).
  Tensor score(const TokenLayout& tokens, const Tensor& x_t, const Tensor& observed, const Tensor& t) const;

  // Moves the network and the standardisation to `device`, in place.
  void to(Device device);
  Device device() const { return norm_->mean.device(); }

  const SimformerConfig& config() const { return config_; }
  // The sampler used by sample() without explicit options (a loaded model keeps the one it was
  // trained with until this changes it). ValueError on invalid options.
  void set_sampling_options(const SamplingOptions& options);
  // The training options the next train() call uses (e.g. more steps to continue training a
  // loaded model: train() starts from the current weights). ValueError on invalid options.
  void set_training_options(const TrainingOptions& options);
  int64_t theta_dim() const { return theta_dim_; }
  int64_t x_dim() const { return x_dim_; }
  int64_t num_tokens() const { return theta_dim_ + x_dim_; }  // of the training layout
  // Metadata tokens (function-valued variables) are on: queries need a TokenLayout.
  bool has_metadata() const { return config_.network.metadata_dim > 0; }
  int64_t num_nodes() const { return config_.network.num_nodes; }
  // The training layout's node of each token ([T]; 0..T-1 without metadata tokens).
  const std::vector<int64_t>& node_ids() const { return node_ids_; }
  ScoreNetwork& network() { return *net_; }
  const ScoreNetwork& network() const { return *net_; }
  const BoolMatrix& dag() const { return dag_; }  // over the nodes (= tokens without metadata)
  // The bijection of bounded values (identity without config.bounds).
  const ValueTransform& value_transform() const { return transform_; }
  // Per-node standardisation (buffers of the network's state dict, saved with the model).
  const Tensor& data_mean() const { return norm_->mean; }
  const Tensor& data_std() const { return norm_->std; }

  // Denoising score-matching loss of a batch in standardised units (exposed for tests).
  Tensor loss(const Tensor& x0, const Tensor& observed, const Tensor& t, const Tensor& eps) const;
  // The same with metadata tokens: metadata [B, T] float32 (the training layout's node ids).
  Tensor loss(const Tensor& x0, const Tensor& observed, const Tensor& t, const Tensor& eps,
              const Tensor& metadata) const;

  void save(const std::string& path, const nlohmann::json& extra_metadata) const;
  // Rebuilds a model from a checkpoint written by save(); returns the extra metadata too.
  static std::unique_ptr<SimformerModel> load(const std::string& path, nlohmann::json* extra_metadata);

 private:
  // The network as the integrators see it (conditional_sampling.h's MaskedScoreFunction): host
  // tensors in and out, evaluated on the model's device.
  // A query's tokens, checked and resolved on the host (the training layout when `tokens` is null).
  struct Query {
    std::vector<int64_t> node_ids;
    Tensor node_ids_tensor;  // [T'] int64, host
    Tensor metadata;         // [T'] float32 host, undefined without metadata tokens
    Tensor attention;        // the query's attention mask for Dense/Undirected (undefined: dense or directed)
    int64_t size() const { return int64_t(node_ids.size()); }
  };
  Query resolve(const TokenLayout* tokens) const;
  std::function<Tensor(const Tensor& x_t, const Tensor& observed, double t)> network_score(const Query& q) const;
  Tensor score_query(const Query& q, const Tensor& x_t, const Tensor& observed, const Tensor& t) const;
  // The common path of every sample(): values [M, T'] float64 in the data's units (M queries over
  // the same tokens), observed [T'] or [M, T'] -> [M·n, T'] float64 in the data's units, observed
  // entries copied exactly.
  Tensor sample_query(const Query& q, const Tensor& values, const Tensor& observed, const Constraints& constraints,
                      int64_t n, uint64_t seed, const SamplingOptions& options) const;
  Tensor log_prob_query(const Query& q, const Tensor& points, const Tensor& observed, const LogProbOptions& options,
                        uint64_t seed) const;
  TrainingSummary train_impl(const Tensor& joint, const Tensor* metadata, uint64_t seed,
                             const std::function<void(const TrainingProgress&)>& on_progress,
                             const std::atomic<bool>* stop);
  // The network's attention mask for a batch of condition masks [B, T] of the training layout;
  // present [B, T] bool (random subsets; undefined: every token) hides the absent tokens as keys.
  Tensor training_attention(const Tensor& observed, const Tensor& present) const;
  Tensor loss_impl(const Tensor& x0, const Tensor& observed, const Tensor& t, const Tensor& eps, const Tensor& metadata,
                   const Tensor& present) const;

  SimformerConfig config_;
  int64_t theta_dim_, x_dim_;
  BoolMatrix dag_;
  std::vector<int64_t> node_ids_;
  Tensor train_node_ids_;  // [T] int64 on the model's device (metadata tokens only)
  Tensor train_attention_;  // the training layout's node mask on the host (metadata tokens, undirected)
  std::shared_ptr<ScoreNetwork> net_;
  std::shared_ptr<Standardizer> norm_;
  ValueTransform transform_;
};

}  // namespace amor::sbi::simformer
