// All-conditional evaluation (the Simformer's Fig. 4b metric, ../shared/reference/simformer.md §6):
// a model that samples any conditional of the joint (a ConditionalSampler) is scored on random
// condition masks by the C2ST between its samples of the latent entries and reference samples of
// the same conditional drawn by MCMC on the task's true joint density.
//
//   1. conditions   draw_evaluation_conditions(task, num_conditions, seed)
//   2. reference    conditional_reference_samples(task, observed, n, ...) — SMC on the joint
//                   density (sbi/diagnostics/conditional_reference.h); cached as CSV under
//                   cache_dir (below), recomputed when missing or not matching
//   3. model        model.sample_conditional(observed, n, ...)
//   4. score        c2st(reference latent columns, model latent columns)
//
// Cache: <cache_dir>/<task>/seed<S>_condition<K>_<key>.csv, one header line (the latent entries'
// names) and n rows. <key> is a hash of everything the samples depend on (the sampler's version,
// the task, the condition's entries and values, n, the seed and the sampler's options), so a
// changed setting never reads stale samples. Keep cache_dir in the build tree, not the repository.
//
// Seeds: the reference of condition k uses mix(seed, k, 1), the model mix(seed, k, 2) (a 64-bit
// hash), so the two are independent and each condition's draws depend only on (seed, k).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "sbi/diagnostics/c2st.h"
#include "sbi/diagnostics/conditional_reference.h"
#include "sbi/diagnostics/evaluation_conditions.h"
#include "sbi/method.h"
#include "sbi/task.h"

namespace amor::sbi {

struct ConditionResult {
  EvaluationCondition condition;
  double c2st = 0.0;
  double reference_seconds = 0.0;  // sampling or reading the reference
  double sampling_seconds = 0.0;   // the model's samples
  double c2st_seconds = 0.0;
  bool reference_from_cache = false;
  std::string reference_path;      // the cache file; empty without a cache
};

struct AllConditionalsOptions {
  int64_t num_conditions = 20;
  int64_t num_samples = 10000;  // model and reference samples per condition
  uint64_t seed = 0;
  std::string cache_dir;        // empty: no cache
  ConditionalReferenceOptions reference;
  C2stOptions c2st;
  // Called after each condition is scored (progress display).
  std::function<void(const ConditionResult&)> on_condition;

  void validate() const;  // ValueError naming the field
};

struct AllConditionalsResult {
  std::vector<ConditionResult> conditions;
  double mean_c2st = 0.0;
};

// model: its variable_names() must have the task's theta_dim + x_dim entries (ValueError
// otherwise). NotImplementedError when the task has no joint density.
AllConditionalsResult evaluate_all_conditionals(ConditionalSampler& model, const Task& task,
                                                const AllConditionalsOptions& options);

// Reference samples of one condition's latent entries, [n, latent] float64, through the cache
// (cache_dir empty: always sampled). seed: the evaluation's (the sampler gets
// condition_reference_seed(seed, condition.index)). from_cache / path (optional) report what
// happened. IOError when the cache cannot be written.
Tensor cached_conditional_reference(const Task& task, const EvaluationCondition& condition, int64_t n,
                                    uint64_t seed, const ConditionalReferenceOptions& options,
                                    const std::string& cache_dir, bool* from_cache = nullptr,
                                    std::string* path = nullptr);

// The seeds of condition k (see above).
uint64_t condition_reference_seed(uint64_t seed, int64_t k);
uint64_t condition_model_seed(uint64_t seed, int64_t k);

}  // namespace amor::sbi
