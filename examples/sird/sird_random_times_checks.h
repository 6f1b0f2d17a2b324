// SIRD at random times (docs/sird.md, "At random times"): simulation-based calibration of one
// Simformer's posterior over γ, δ and β at times it was never asked about. Each round draws a
// truth from the prior (γ, δ, I₀ and the whole GP grid), its own random β query times and random
// observation times per series, simulates the observation, samples the posterior of
// (γ, δ, β(t_1..t_q)) and ranks the truth among the draws. The "parameters" of the check are γ, δ
// and β at the 1st..q-th smallest query time. Shared by the sird_random_times example and the
// SLOW_ test (tests/sbi/test_simformer_sird_irregular.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sbi/diagnostics/sbc.h"
#include "sbi/simformer/function_valued.h"

namespace sird_examples {

struct SirdSbcOptions {
  int64_t rounds = 200;
  int64_t beta_query_times = 10;   // random β query times per round (sorted U[0, 50))
  int64_t observation_times = 10;  // random observation times per series per round (sorted U(0, 50])
  int64_t draws = 100;             // posterior draws per round
  uint64_t seed = 2026;            // truths, times and noise (fixed; not tuned)
  amor::sbi::simformer::SamplingOptions sampling;  // the model's sampler
};

struct SirdSbcResult {
  amor::Tensor ranks;                  // [rounds, 2 + q] int64, in 0..draws
  std::vector<std::string> names;      // "gamma", "delta", "beta(t_(1))", ..., "beta(t_(q))"
  amor::sbi::SbcCheck check;           // check_sbc(ranks, draws, {seed})
  double sampling_seconds = 0;
  std::string summary() const;         // one line per parameter, named, then the verdict
};

// One round's observation and query: the truth of draw (seed, round), its β at the query times.
struct SirdSbcRound {
  amor::sbi::tasks::SirdIrregular::Points observation;
  std::vector<double> beta_query_times;  // sorted
  std::vector<double> truth;             // [2 + q]: γ, δ, β(t_1..t_q)
};
SirdSbcRound sird_sbc_round(int64_t round, const SirdSbcOptions& options);

// Runs the rounds in order; prints progress every 20 rounds when `verbose`.
SirdSbcResult sird_random_times_sbc(const amor::sbi::simformer::SimformerModel& model, const SirdSbcOptions& options,
                                    bool verbose);

}  // namespace sird_examples
