#include "sbi/simformer/condition_masks.h"

#include <cmath>
#include <string>

#include "core/error.h"

namespace amor::sbi::simformer {

void ConditionMaskDistribution::validate() const {
  double total = 0;
  for (double w : weights) {
    if (!(w >= 0) || !std::isfinite(w)) throw ValueError("simformer: condition-mask weights must be finite and >= 0");
    total += w;
  }
  if (!(total > 0)) throw ValueError("simformer: condition-mask weights must not all be 0");
  for (double p : {p_low, p_high})
    if (!(p >= 0 && p <= 1)) throw ValueError("simformer: Bernoulli probabilities must lie in [0, 1]");
}

nlohmann::json ConditionMaskDistribution::to_json() const {
  return {{"joint", weights[0]},     {"posterior", weights[1]}, {"likelihood", weights[2]},
          {"bernoulli_low", weights[3]}, {"bernoulli_high", weights[4]}, {"p_low", p_low},
          {"p_high", p_high},        {"shared_bernoulli", shared_bernoulli}};
}

ConditionMaskDistribution ConditionMaskDistribution::from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw ValueError("simformer: condition_masks must be a JSON object");
  ConditionMaskDistribution d;
  static const char* kNames[5] = {"joint", "posterior", "likelihood", "bernoulli_low", "bernoulli_high"};
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    if (k == "shared_bernoulli") {
      if (!it.value().is_boolean()) throw ValueError("simformer: condition_masks.shared_bernoulli must be a boolean");
      d.shared_bernoulli = it.value().get<bool>();
      continue;
    }
    if (!it.value().is_number()) throw ValueError("simformer: condition_masks." + k + " must be a number");
    const double v = it.value().get<double>();
    bool found = false;
    for (int i = 0; i < 5; ++i)
      if (k == kNames[i]) {
        d.weights[size_t(i)] = v;
        found = true;
      }
    if (k == "p_low") d.p_low = v, found = true;
    if (k == "p_high") d.p_high = v, found = true;
    if (!found) throw ValueError("simformer: unknown condition_masks key '" + k + "'");
  }
  d.validate();
  return d;
}

Tensor sample_condition_masks(const ConditionMaskDistribution& dist, int64_t batch, int64_t theta_dim,
                              int64_t x_dim, Generator& gen) {
  const int64_t n = theta_dim + x_dim;
  const Tensor kind_u = rand({batch}, gen, {.dtype = DType::F64});
  const Tensor bern_u = rand({dist.shared_bernoulli ? 1 : batch, n}, gen, {.dtype = DType::F64});
  const double* ku = kind_u.data<double>();
  const double* bu = bern_u.data<double>();
  double total = 0;
  for (double w : dist.weights) total += w;

  Tensor out = Tensor::empty({batch, n}, DType::Bool);
  bool* o = out.data<bool>();
  for (int64_t b = 0; b < batch; ++b) {
    double u = ku[b] * total;
    int kind = 0;
    while (kind < 4 && u >= dist.weights[size_t(kind)]) u -= dist.weights[size_t(kind++)];
    bool* row = o + b * n;
    const double* bern = bu + (dist.shared_bernoulli ? 0 : b * n);
    bool all = true;
    for (int64_t i = 0; i < n; ++i) {
      bool v = false;
      switch (kind) {
        case 0: v = false; break;
        case 1: v = i >= theta_dim; break;
        case 2: v = i < theta_dim; break;
        case 3: v = bern[i] < dist.p_low; break;
        default: v = bern[i] < dist.p_high; break;
      }
      row[i] = v;
      all = all && v;
    }
    if (all)
      for (int64_t i = 0; i < n; ++i) row[i] = false;
  }
  return out;
}

Tensor posterior_mask(int64_t batch, int64_t theta_dim, int64_t x_dim) {
  Tensor out = Tensor::empty({batch, theta_dim + x_dim}, DType::Bool);
  bool* o = out.data<bool>();
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t i = 0; i < theta_dim + x_dim; ++i) o[b * (theta_dim + x_dim) + i] = i >= theta_dim;
  return out;
}

Tensor likelihood_mask(int64_t batch, int64_t theta_dim, int64_t x_dim) {
  Tensor out = Tensor::empty({batch, theta_dim + x_dim}, DType::Bool);
  bool* o = out.data<bool>();
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t i = 0; i < theta_dim + x_dim; ++i) o[b * (theta_dim + x_dim) + i] = i < theta_dim;
  return out;
}

}  // namespace amor::sbi::simformer
