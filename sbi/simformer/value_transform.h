// Bounded variables in the Simformer: per node, a bijection of the values to R applied before
// standardisation, so the diffusion runs on an unconstrained variable (what NPE does with
// flows/unconstrained.h for box priors). Without it the network must learn a score that piles
// mass against a hard wall — β = sigmoid(GP) in SIRD sits near 0 and 1, Lotka–Volterra's
// parameters are sigmoid(N(0, 1))·2 + 1 — and samples that cross the wall are lost to rejection.
//
// Per node with bounds (lo, hi) (±∞ where unbounded), the same maps as UnconstrainingTransform:
//   both finite:  u = logit((v − lo)/(hi − lo))   log|du/dv| = −log(hi − lo) − log p − log(1 − p)
//   lo only:      u = log(v − lo)                 log|du/dv| = −log(v − lo)
//   hi only:      u = log(hi − v)                 log|du/dv| = −log(hi − v)
//   neither:      u = v                           0
// A value exactly on a finite bound (closed support) is moved 1e-12 of the width (or 1e-300 for
// one-sided bounds) inside, so it maps to a large finite u; a value outside is an error for
// training data and observations, and has density 0 for log_prob.
//
// Interval constraints (guidance.h) on a transformed entry are mapped through the monotone map
// (clipped to the bounds); linear constraints that mix a transformed entry with others have no
// image as linear constraints and are refused.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/tensor.h"
#include "sbi/distribution.h"
#include "sbi/simformer/guidance.h"

namespace amor::sbi::simformer {

// The configuration: per node, lower and upper bounds (±∞ where unbounded); empty for none.
// JSON: {"lower": [...], "upper": [...]} with null for ±∞, or the string "prior": the θ nodes take
// the task prior's support (SimformerMethod fills it in; other entry points need explicit bounds).
struct ValueBounds {
  std::vector<double> lower, upper;
  bool from_prior = false;

  bool empty() const { return lower.empty() && !from_prior; }
  // ValueError unless both lists have `nodes` entries with lower < upper (no NaN).
  void validate(int64_t nodes) const;
  nlohmann::json to_json() const;  // null when empty
  static ValueBounds from_json(const nlohmann::json& j);
};

// The bounds "prior" resolves to: the first theta_dim nodes take the prior's support (its axes in
// order), the x_dim after them none. [theta_dim + x_dim] entries each; ValueError when the
// support's width is not theta_dim.
ValueBounds prior_bounds(const Distribution& prior, int64_t theta_dim, int64_t x_dim);

class ValueTransform {
 public:
  ValueTransform() = default;  // the identity
  // bounds.validate(nodes) first; from_prior must have been resolved (ValueError otherwise).
  ValueTransform(const ValueBounds& bounds, int64_t nodes);

  // True when every node maps to itself.
  bool identity() const { return !any_; }
  bool transforms(int64_t node) const { return kinds_.empty() ? false : kinds_[size_t(node)] != Kind::Identity; }

  // values: [N, T'] float64 over tokens of nodes node_ids[T']; returns u [N, T'] float64. Only the
  // entries where `which` ([T'] or [N, T'] bool; undefined: all) is true are mapped; NaN stays
  // NaN. ValueError naming `what`, the entry and its bounds when a mapped entry lies outside them.
  Tensor forward(const Tensor& values, const std::vector<int64_t>& node_ids, const Tensor& which,
                 const std::string& what) const;
  // u: [N, T'] float64 -> values [N, T'] float64, strictly inside the bounds (up to rounding).
  Tensor inverse(const Tensor& u, const std::vector<int64_t>& node_ids) const;
  // Σ over the entries with `which[j]` of log|du/dv| at each row of values [N, T'] -> [N] float64;
  // −∞ for a row with such an entry outside its bounds.
  Tensor log_abs_det(const Tensor& values, const std::vector<int64_t>& node_ids, const std::vector<bool>& which) const;
  // Whether value v of `node` lies inside its (closed) bounds.
  bool inside(int64_t node, double v) const;
  // The same region in transformed units (see the file comment).
  Constraints map(const Constraints& constraints, const std::vector<int64_t>& node_ids) const;

 private:
  enum class Kind { Identity, Logit, LowerLog, UpperLog };
  double forward_one(int64_t node, double v) const;
  double inverse_one(int64_t node, double u) const;
  double log_abs_det_one(int64_t node, double v) const;

  std::vector<Kind> kinds_;
  std::vector<double> lower_, upper_;
  bool any_ = false;
};

}  // namespace amor::sbi::simformer
