// Lotka–Volterra at irregular times with one Simformer (docs/function_valued.md, docs/results.md):
// trained at 1e4 simulations with 20 random times per series, its posterior at observations of
// 5, 10 and 20 random times per series must reach C2ST ≤ 0.70 against slice-sampling references
// with the true likelihood (the paper's dense model: 0.645 at 20 times). SLOW_: about an hour on
// one core; the references are cached in the build tree.
#include <gtest/gtest.h>

#include <cstdio>

#include "examples/function_valued/lotka_volterra_checks.h"

namespace function_valued_examples {
namespace {

TEST(SimformerLotkaVolterra, SLOW_PosteriorAtFiveTenAndTwentyTimesFromOneModel) {
  namespace sf = amor::sbi::simformer;
  const sf::SimformerConfig config = sf::lotka_volterra_irregular_config();
  const auto model = sf::train_lotka_volterra_irregular(10000, 20, config, /*seed=*/1);
  LvEvaluationOptions options;
  options.sampling = config.sampling;
#ifdef AMOR_TEST_REFERENCE_CACHE
  options.cache_dir = std::string(AMOR_TEST_REFERENCE_CACHE) + "/lotka_volterra_irregular";
#endif
  const auto rows = evaluate_lotka_volterra(*model, options, /*verbose=*/true);
  for (const int64_t count : options.counts) {
    double sum = 0;
    int64_t k = 0;
    for (const auto& r : rows)
      if (r.count == count) sum += r.c2st, ++k;
    EXPECT_LE(sum / double(k), 0.70) << count << " times per series";
  }
}

}  // namespace
}  // namespace function_valued_examples
