// ConditionalFlow: a conditional density q(θ | c) = N(f(θ; c); 0, I)·|det ∂f/∂θ| built from a
// chain of Transforms over a standard-normal base (nflows' Flow), the density estimator of NPE
// (θ | x) and NLE (x | θ).
//
// Data side to noise side, the chain is
//   θ  ->  [UnconstrainingTransform, when a bounded support is given]
//      ->  [standardisation: (θ' - mean) / std per feature, buffers]
//      ->  transform (MAF, coupling flow, NSF, ...)   ->  u ~ N(0, I)
// and the context c is standardised by its own per-feature mean and std (buffers) before any
// transform sees it. Standardisation starts as the identity (mean 0, std 1) and is fitted to
// training data by set_standardization(); log_prob includes its Jacobian, -Σ log std.
//
// Shapes: θ [n, features]; context [n, context_features] or [1, context_features] (broadcast to
// every row), or an undefined Tensor when context_features == 0.
//
// log_prob is differentiable (training). sample / sample_batched / sample_and_log_prob record no
// graph unless `differentiable` is true (reparametrised samples, e.g. for variational
// inference): the autoregressive inverse of a MAF runs the network d times and a recorded graph
// would only cost memory. Noise comes from the caller's Generator, so a seed fixes the samples
// whatever the thread count.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/random.h"
#include "nn/module.h"
#include "sbi/distribution.h"
#include "sbi/flows/transform.h"
#include "sbi/flows/unconstrained.h"

namespace amor::sbi::flows {

struct FlowOptions {
  bool standardize_theta = true;    // sbi's z_score_theta / z_score_x = "independent"
  bool standardize_context = true;  // sbi's z-scoring of the condition
  // When set (and some bound is finite), θ is mapped to R^d by an UnconstrainingTransform
  // before standardisation, so samples always lie inside the support.
  std::optional<Support> support = std::nullopt;
  DType dtype = DType::F32;

  // JSON object {"standardize_theta", "standardize_context", "support": null or
  // {"lower": [...], "upper": [...]} (infinities as the strings "inf" / "-inf"), "dtype"}.
  nlohmann::json to_json() const;
  // Reads the keys above from `j` (missing keys keep their defaults); ValueError on a wrong
  // type or value. Other keys are ignored here (the builders' configs check theirs).
  static FlowOptions from_json(const nlohmann::json& j);
};

class ConditionalFlow : public nn::Module {
 public:
  ConditionalFlow(int64_t features, int64_t context_features, TransformPtr transform,
                  FlowOptions options = {});
  std::string type_name() const override { return "ConditionalFlow"; }

  int64_t features() const { return features_; }
  int64_t context_features() const { return context_features_; }
  const FlowOptions& options() const { return options_; }
  DType dtype() const;
  Transform& transform() const { return *transform_; }

  // theta: [n, d], context: [n, c] / [1, c] / undefined -> log q(θ | c): [n].
  Tensor log_prob(const Tensor& theta, const Tensor& context = Tensor());

  // n draws for one context [1, c] (or undefined) -> [n, d].
  Tensor sample(int64_t n, const Tensor& context, Generator& gen, bool differentiable = false);
  // n draws for each of m contexts [m, c] -> [m, n, d]. Row (i, k) uses noise row i·n + k, so
  // sample_batched(n, c[1, c]) equals sample(n, c) from the same generator state.
  Tensor sample_batched(int64_t n, const Tensor& contexts, Generator& gen, bool differentiable = false);
  // Draws and their log q (cheaper than sample then log_prob): {[n, d], [n]}.
  std::pair<Tensor, Tensor> sample_and_log_prob(int64_t n, const Tensor& context, Generator& gen,
                                                bool differentiable = false);

  // Fits the standardisation to training data: per-feature mean and unbiased std of θ (after
  // the unconstraining map) and of the context over the rows whose values are all finite. A
  // feature with std < 1e-12 (constant) keeps std 1. θ: [N, d]; context: [N, c] or undefined.
  // Switched-off standardisations are left alone. ValueError with fewer than 2 finite rows.
  void set_standardization(const Tensor& theta, const Tensor& context = Tensor());
  // set_standardization, then the transforms' data-dependent initialisation (ActNorm) on the
  // standardised training data.
  void initialize_from_data(const Tensor& theta, const Tensor& context = Tensor());

  // The context as the transforms see it: standardised, broadcast to `rows` rows when it has 1
  // (rows < 0: as given). Undefined in, undefined out.
  Tensor prepare_context(const Tensor& context, int64_t rows = -1) const;
  // The data-side part before the transform chain: θ -> (standardised θ', log-det [n]).
  TransformResult pre_transform(const Tensor& theta);
  // Its inverse: standardised θ' -> (θ, log-det [n]).
  TransformResult pre_transform_inverse(const Tensor& theta);

  // log N(u; 0, I) per row: -½|u|² - (d/2)·log 2π. u: [n, d] -> [n].
  static Tensor standard_normal_log_prob(const Tensor& u);

 private:
  void check_theta(const char* who, const Tensor& theta) const;
  Tensor check_context(const char* who, const Tensor& context, int64_t rows) const;
  Tensor sample_rows(const Tensor& noise, const Tensor& context, Tensor* logdet);

  int64_t features_, context_features_;
  FlowOptions options_;
  std::shared_ptr<UnconstrainingTransform> unconstrain_;  // null when the support is unbounded
  TransformPtr transform_;
  Tensor theta_mean, theta_std, context_mean, context_std;  // buffers when standardising
};

using ConditionalFlowPtr = std::shared_ptr<ConditionalFlow>;

// JSON helpers the builders' configs share.
// An array of numbers in which ±infinity is written as "inf" / "-inf".
nlohmann::json bounds_to_json(const std::vector<double>& v);
std::vector<double> bounds_from_json(const nlohmann::json& j, const char* key);
// Throws ValueError naming `what` and the key when `j` has a key outside `allowed`.
void check_json_keys(const nlohmann::json& j, const std::vector<std::string>& allowed, const char* what);

}  // namespace amor::sbi::flows
