// SIRD at random times: SBC over γ, δ and β at random query times (sird_random_times_checks.h).
#include "sird_random_times_checks.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <stdexcept>

#include "sbi/rng.h"

namespace sird_examples {

using amor::Tensor;
using SI = amor::sbi::tasks::SirdIrregular;

namespace {
// The rounds' times and noise; the truths use SirdIrregular::draw(seed, round).
constexpr uint64_t kQueryStream = 0x5BC1, kNoiseIndexOffset = 1u << 20;
}  // namespace

SirdSbcRound sird_sbc_round(int64_t round, const SirdSbcOptions& options) {
  const SI::Truth truth = SI::draw(options.seed, uint64_t(round));
  amor::sbi::Rng rng(options.seed, kQueryStream, uint64_t(round));
  SirdSbcRound r;
  r.beta_query_times = SI::random_times(rng, options.beta_query_times, /*observation=*/false);
  const std::vector<double> ti = SI::random_times(rng, options.observation_times, true);
  const std::vector<double> tr = SI::random_times(rng, options.observation_times, true);
  const std::vector<double> td = SI::random_times(rng, options.observation_times, true);
  r.observation = SI::simulate(truth, ti, tr, td, options.seed, kNoiseIndexOffset + uint64_t(round));
  r.truth = {truth.gamma, truth.delta};
  for (double b : truth.beta(r.beta_query_times)) r.truth.push_back(b);
  return r;
}

SirdSbcResult sird_random_times_sbc(const amor::sbi::simformer::SimformerModel& model, const SirdSbcOptions& options,
                                    bool verbose) {
  if (options.rounds < 2 || options.draws < 1 || options.beta_query_times < 1 || options.observation_times < 1)
    throw std::invalid_argument("sird_random_times_sbc: need >= 2 rounds, >= 1 draw, >= 1 query and observation time");
  const int64_t n = options.rounds, d = 2 + options.beta_query_times, L = options.draws;
  Tensor truth = Tensor::empty({n, d}, amor::DType::F64);
  Tensor samples = Tensor::empty({n, L, d}, amor::DType::F64);
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < n; ++i) {
    const SirdSbcRound r = sird_sbc_round(i, options);
    const Tensor s = amor::sbi::simformer::sird_irregular_posterior(model, r.observation, r.beta_query_times, L,
                                                                    options.seed + 7919 * uint64_t(i + 1),
                                                                    options.sampling);
    std::copy(r.truth.begin(), r.truth.end(), truth.data<double>() + i * d);
    std::copy_n(s.data<double>(), L * d, samples.data<double>() + i * L * d);
    if (verbose && (i + 1) % 20 == 0) {
      std::printf("SBC round %lld/%lld  %.0f s\n", static_cast<long long>(i + 1), static_cast<long long>(n),
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      std::fflush(stdout);
    }
  }
  SirdSbcResult result;
  result.sampling_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  result.ranks = amor::sbi::sbc_ranks(truth, samples);
  amor::sbi::SbcCheckOptions check;
  check.seed = options.seed;
  result.check = amor::sbi::check_sbc(result.ranks, L, check);
  result.names = {"gamma", "delta"};
  for (int64_t q = 1; q <= options.beta_query_times; ++q) result.names.push_back("beta(t_(" + std::to_string(q) + "))");
  return result;
}

std::string SirdSbcResult::summary() const {
  std::string s;
  char line[256];
  for (size_t j = 0; j < names.size(); ++j) {
    std::snprintf(line, sizeof line, "%-13s %s  KS p=%.4g  chi2 p=%.4g  ECDF %s band\n", names[j].c_str(),
                  check.parameter_passed[j] ? "pass" : "FAIL", check.uniformity.ks_pvalue[j],
                  check.uniformity.chi2_pvalue[j], check.ecdf.inside[j] ? "inside" : "outside");
    s += line;
  }
  s += check.passed ? "SBC at random times: pass\n" : "SBC at random times: FAIL\n";
  return s;
}

}  // namespace sird_examples
