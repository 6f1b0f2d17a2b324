// The Simformer's score network: a masked transformer with one token per scalar of (θ, x).
//
// Token i of sample b (../shared/reference/simformer.md §1-2):
//   [ id_embedding[node_id[i]] (id_dim) ‖ value x_t[b, i] repeated value_dim times ‖
//     [metadata features (metadata_dim), only when metadata_dim > 0] ‖
//     condition_token (condition_dim) if token i is observed, else zeros ]
// so d_model = id_dim + value_dim + metadata_dim + condition_dim (default 20 + 20 + 0 + 10 = 50).
// Metadata tokens (function-valued variables, reference §1): each token may carry one scalar of
// metadata m (e.g. the time of an observation); its features are Linear(GaussianFourier(m)) with
// fixed random frequencies ~ N(0, metadata_frequency_std²) and a fixed random linear map
// (metadata_fourier_dim -> metadata_dim), both buffers, as the reference's stop-gradient
// embedding. A token without metadata (NaN, e.g. a parameter) gets zero features. The identifier
// embedding is a fixed random orthogonal matrix × 0.5 as in the reference (a buffer), or a
// learned parameter (`learn_id_embedding`). The transformer is pre-LN with the Gaussian-Fourier
// embedding of t added inside every MLP block; a Linear(d, 1) head gives one output per token,
// divided by max(std(t), output_scale_min) so the network effectively predicts −ε.
//
// Preconditioning (`precondition`, off by default as in the reference; Karras et al. 2022's
// c_in / c_skip / c_out, written for x_t = α x_0 + s ε with unit-variance x_0, which the
// Simformer's standardisation provides):
//   latent inputs enter as c_in x_t with c_in = 1 / sqrt(α² + s²), so the transformer sees values
//   of unit scale at every noise level (VE: σ_max = 15 would otherwise feed values up to ±45);
//   score = −x_t / (α² + s²) + α / sqrt(α² + s²) · n,  n the head's output divided as above.
// The first term is the exact score when x_0 ~ N(0, 1); the network learns only the departure
// from it, a target of unit scale at every s (at large s it is the clean value's conditional
// mean, at small s it is −ε as without). The loss and its optimum are unchanged; what changes is
// how hard the optimum is to represent — at large s the score's Jacobian is nearly −1/(α² + s²)
// exactly, which the probability-flow log-density integrates (log_prob.h).
#pragma once

#include <memory>

#include <nlohmann/json.hpp>

#include "core/random.h"
#include "nn/linear.h"
#include "nn/module.h"
#include "nn/time_embedding.h"
#include "nn/transformer.h"

namespace amor::sbi::simformer {

struct ScoreNetworkOptions {
  int64_t num_nodes = 0;       // distinct node identifiers (T for sbibm tasks)
  int64_t id_dim = 20;
  int64_t value_dim = 20;
  int64_t condition_dim = 10;
  bool learn_id_embedding = false;
  double condition_init_std = 0.1;
  int64_t layers = 6;
  int64_t heads = 4;
  int64_t head_dim = 10;
  int64_t mlp_ratio = 3;
  int64_t time_embedding_dim = 128;
  double output_scale_min = 1e-3;
  uint64_t seed = 0;
  // Metadata tokens: 0 = off (no metadata input, the network of before); the reference uses 14.
  int64_t metadata_dim = 0;
  bool precondition = false;  // c_in / c_skip / c_out above
  int64_t metadata_fourier_dim = 256;      // Gaussian-Fourier features before the linear map
  double metadata_frequency_std = 1.0;     // frequencies ~ N(0, std²): set ~1 / (metadata range)

  int64_t d_model() const { return id_dim + value_dim + metadata_dim + condition_dim; }
  // ValueError naming the field. num_nodes is left to the network (it comes from the task).
  void validate() const;
  nlohmann::json to_json() const;
  // Starts from `defaults` and overrides the keys present; ValueError on unknown keys. The key
  // "size" selects the reference's configurations before the other keys apply: "small" (6 layers,
  // MLP 3×d, the defaults) or "large" (8 layers, MLP 4×d, the reference's score_transformer_large).
  static ScoreNetworkOptions from_json(const nlohmann::json& j, ScoreNetworkOptions defaults);
  static ScoreNetworkOptions from_json(const nlohmann::json& j) { return from_json(j, ScoreNetworkOptions{}); }
};

class ScoreNetwork : public nn::Module {
 public:
  explicit ScoreNetwork(const ScoreNetworkOptions& options);
  std::string type_name() const override { return "SimformerScoreNetwork"; }

  // x_t:      [B, T] float32 noisy values (observed entries hold their clean values)
  // observed: [B, T] bool condition mask
  // t:        [B] float32 diffusion times
  // std_t:    [B] float32 perturbation std at t (divides the output)
  // node_ids: [T] int64 identifiers (undefined: 0..T-1)
  // mask:     attention mask, undefined, [T, T] or [B, T, T] bool
  // metadata: [B, T] or [T] (shared by the batch) in x_t's dtype, NaN where a token has none;
  //           required when metadata_dim > 0, a ValueError otherwise
  // mean_t:   [B] the SDE's mean factor α at t (undefined: 1, the VE SDE); read only with
  //           `precondition`
  // returns the score estimate [B, T].
  Tensor forward(const Tensor& x_t, const Tensor& observed, const Tensor& t, const Tensor& std_t,
                 const Tensor& node_ids = Tensor(), const Tensor& mask = Tensor(),
                 const Tensor& metadata = Tensor(), const Tensor& mean_t = Tensor()) const;

  // The metadata features of metadata [M] -> [M, metadata_dim]; zeros where metadata is NaN.
  Tensor metadata_features(const Tensor& metadata) const;

  const ScoreNetworkOptions& options() const { return o_; }

  Tensor id_embedding;     // [num_nodes, id_dim]
  Tensor condition_token;  // [condition_dim]
  Tensor metadata_projection;  // [metadata_fourier_dim, metadata_dim] buffer (metadata_dim > 0)

 private:
  ScoreNetworkOptions o_;
  std::shared_ptr<nn::GaussianFourierEmbedding> time_embedding_;
  std::shared_ptr<nn::GaussianFourierEmbedding> metadata_embedding_;  // metadata_dim > 0
  std::shared_ptr<nn::TransformerEncoder> transformer_;
  std::shared_ptr<nn::Linear> head_;
};

}  // namespace amor::sbi::simformer
