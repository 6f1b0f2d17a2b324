#include "sbi/diagnostics/evaluation_conditions.h"

#include <cmath>
#include <vector>

#include "core/error.h"
#include "sbi/rng.h"

namespace amor::sbi {

namespace {

constexpr int64_t kMaxSimulationTries = 1000;

}  // namespace

std::vector<EvaluationCondition> draw_evaluation_conditions(const Task& task, int64_t num, uint64_t seed) {
  AMOR_CHECK(num >= 0, ValueError, "evaluation conditions: the number of conditions must be >= 0, got ", num);
  const DistributionPtr prior = task.prior();
  const SimulatorPtr simulator = task.simulator();
  const int64_t theta_dim = task.theta_dim(), x_dim = task.x_dim(), t = theta_dim + x_dim;
  AMOR_CHECK(t >= 2, ValueError, "evaluation conditions: task '", task.name(), "' has ", t,
             " entries; a condition needs at least one observed and one latent");
  std::vector<EvaluationCondition> out;
  for (int64_t k = 0; k < num; ++k) {
    Rng rng(seed, kEvaluationConditionStream, uint64_t(k));
    EvaluationCondition c;
    c.index = k;
    std::vector<bool> observed(static_cast<size_t>(t));
    while (true) {
      const int64_t kind = rng.randint(0, 5);  // joint, posterior, likelihood, B(0.3), B(0.7)
      int64_t count = 0;
      for (int64_t i = 0; i < t; ++i) {
        bool o = false;
        if (kind == 1) o = i >= theta_dim;
        else if (kind == 2) o = i < theta_dim;
        else if (kind == 3) o = rng.bernoulli(0.3);
        else if (kind == 4) o = rng.bernoulli(0.7);
        observed[size_t(i)] = o;
        count += o ? 1 : 0;
      }
      if (count == 0 || count == t) continue;
      static const char* const kNames[] = {"joint", "posterior", "likelihood", "bernoulli(0.3)", "bernoulli(0.7)"};
      c.kind = kNames[kind];
      break;
    }
    c.joint.assign(size_t(t), 0.0);
    bool valid = false;
    for (int64_t tries = 0; tries < kMaxSimulationTries && !valid; ++tries) {
      prior->sample_one(rng, c.joint.data());
      simulator->simulate_one(c.joint.data(), c.joint.data() + theta_dim, rng);
      valid = true;
      for (int64_t i = theta_dim; i < t; ++i) valid = valid && std::isfinite(c.joint[size_t(i)]);
    }
    AMOR_CHECK(valid, ValueError, "evaluation conditions: ", kMaxSimulationTries, " simulations of task '",
               task.name(), "' in a row were invalid");
    for (int64_t i = 0; i < t; ++i) {
      if (observed[size_t(i)]) c.observed.emplace_back(i, c.joint[size_t(i)]);
      else c.latent.push_back(i);
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace amor::sbi
