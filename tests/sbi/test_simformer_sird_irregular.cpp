// SIRD at random times with one Simformer (docs/sird.md, "At random times"): trained with the
// recipe at 1e4 simulations (10 random β times, 10 random times per series), its posterior over
// γ, δ and β at 10 random query times, from 10 random observation times per series, must pass
// simulation-based calibration: 200 rounds, each its own times, 100 draws, check_sbc at
// family-wise α = 0.05. SLOW_: the training alone is 8000 steps of 256 (tens of minutes of a
// core). The quick rounds test below checks the loop's bookkeeping on an untrained-size model.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "examples/sird/sird_random_times_checks.h"

namespace sird_examples {
namespace {

namespace sf = amor::sbi::simformer;
using SI = amor::sbi::tasks::SirdIrregular;

TEST(SimformerSirdIrregular, SbcRoundsDrawTheirOwnTimesAndTruths) {
  SirdSbcOptions o;
  o.beta_query_times = 4;
  o.observation_times = 3;
  const SirdSbcRound a = sird_sbc_round(0, o), b = sird_sbc_round(1, o), again = sird_sbc_round(0, o);
  ASSERT_EQ(a.beta_query_times.size(), 4u);
  ASSERT_EQ(a.truth.size(), 6u);
  ASSERT_EQ(a.observation.size(), 9);
  EXPECT_TRUE(std::is_sorted(a.beta_query_times.begin(), a.beta_query_times.end()));
  EXPECT_NE(a.beta_query_times, b.beta_query_times);
  EXPECT_NE(a.observation.times, b.observation.times);
  EXPECT_EQ(a.observation.values, again.observation.values);
  // The truth is draw (seed, round): γ, δ and its β at the query times.
  const SI::Truth t = SI::draw(o.seed, 0);
  EXPECT_EQ(a.truth[0], t.gamma);
  EXPECT_EQ(a.truth[1], t.delta);
  const std::vector<double> beta = t.beta(a.beta_query_times);
  for (size_t q = 0; q < 4; ++q) EXPECT_EQ(a.truth[2 + q], beta[q]);
}

TEST(SimformerSirdIrregular, SbcLoopRanksEveryParameterOnATinyModel) {
  // The plumbing only (a 1-layer model trained 30 steps is far from calibrated): ranks [n, 2 + q]
  // in 0..L, one name per column, a verdict per parameter.
  sf::SimformerConfig c = sf::sird_irregular_config();
  c.network.layers = 1;
  c.network.heads = 1;
  c.network.head_dim = 4;
  c.network.time_embedding_dim = 8;
  c.training.steps = 30;
  c.training.batch_size = 32;
  c.sampling.steps = 5;
  const auto model = sf::train_sird_irregular(200, 4, 3, c, 3);
  SirdSbcOptions o;
  o.rounds = 6;
  o.beta_query_times = 3;
  o.observation_times = 2;
  o.draws = 9;
  o.sampling = c.sampling;
  const SirdSbcResult r = sird_random_times_sbc(*model, o, /*verbose=*/false);
  ASSERT_EQ(r.ranks.shape(), (amor::Shape{6, 5}));
  for (int64_t v : r.ranks.to_vector<int64_t>()) EXPECT_TRUE(v >= 0 && v <= 9) << v;
  EXPECT_EQ(r.names, (std::vector<std::string>{"gamma", "delta", "beta(t_(1))", "beta(t_(2))", "beta(t_(3))"}));
  EXPECT_EQ(r.check.parameter_passed.size(), 5u);
  EXPECT_NE(r.summary().find("beta(t_(3))"), std::string::npos);
  // Posterior samples lie inside the bounds: γ, δ in (0, 0.5), β in (0, 1).
  const SirdSbcRound round = sird_sbc_round(0, o);
  const amor::Tensor s = sf::sird_irregular_posterior(*model, round.observation, {0.0, 25.0, 50.0}, 40, 1, c.sampling);
  ASSERT_EQ(s.shape(), (amor::Shape{40, 5}));
  for (int64_t i = 0; i < 40; ++i) {
    const double* row = s.data<double>() + i * 5;
    EXPECT_TRUE(row[0] >= 0 && row[0] <= 0.5 && row[1] >= 0 && row[1] <= 0.5) << i;
    for (int q = 2; q < 5; ++q) EXPECT_TRUE(row[q] >= 0 && row[q] <= 1) << i;
  }
  // Bad queries are typed errors.
  EXPECT_THROW(sf::sird_irregular_posterior(*model, round.observation, {60.0}, 5, 1, c.sampling), amor::ValueError);
  SI::Points bad = round.observation;
  bad.nodes[0] = SI::kBetaNode;
  EXPECT_THROW(sf::sird_irregular_posterior(*model, bad, {1.0}, 5, 1, c.sampling), amor::ValueError);
  bad = round.observation;
  bad.values[0] = -1.0;
  EXPECT_THROW(sf::sird_irregular_posterior(*model, bad, {1.0}, 5, 1, c.sampling), amor::ValueError);
  bad = round.observation;
  bad.times[0] = 51.0;
  EXPECT_THROW(sf::sird_irregular_posterior(*model, bad, {1.0}, 5, 1, c.sampling), amor::ValueError);
  bad = round.observation;
  bad.values.pop_back();
  EXPECT_THROW(sf::sird_irregular_posterior(*model, bad, {1.0}, 5, 1, c.sampling), amor::ValueError);
}

TEST(SimformerSirdIrregular, SLOW_CalibratedAtRandomTimes) {
  const sf::SimformerConfig config = sf::sird_irregular_config();
  int64_t dropped = -1;
  const auto model = sf::train_sird_irregular(10000, 10, 10, config, /*seed=*/1, {}, nullptr, &dropped);
  EXPECT_EQ(dropped, 0);
  SirdSbcOptions options;
  options.sampling = config.sampling;
  const SirdSbcResult r = sird_random_times_sbc(*model, options, /*verbose=*/true);
  std::printf("%s", r.summary().c_str());
  EXPECT_TRUE(r.check.passed) << r.summary();
}

}  // namespace
}  // namespace sird_examples
