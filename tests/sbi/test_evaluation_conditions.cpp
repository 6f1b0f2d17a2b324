// The condition masks and values of the all-conditional evaluation
// (sbi/diagnostics/evaluation_conditions.h).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"
#include "sbi/diagnostics/evaluation_conditions.h"
#include "sbi/task.h"

namespace amor::sbi {
namespace {

TEST(EvaluationConditions, MasksSplitTheJointAndValuesComeFromOneJointDraw) {
  const TaskPtr task = make_task("tree");
  const std::vector<EvaluationCondition> cs = draw_evaluation_conditions(*task, 2000, 4);
  ASSERT_EQ(cs.size(), 2000u);
  std::map<std::string, int> kinds;
  std::vector<double> theta1;
  for (size_t k = 0; k < cs.size(); ++k) {
    const EvaluationCondition& c = cs[k];
    EXPECT_EQ(c.index, int64_t(k));
    ASSERT_FALSE(c.observed.empty());
    ASSERT_FALSE(c.latent.empty());
    ASSERT_EQ(c.observed.size() + c.latent.size(), 7u);
    ASSERT_EQ(c.joint.size(), 7u);
    std::set<int64_t> seen;
    for (const auto& [i, v] : c.observed) {
      ASSERT_TRUE(seen.insert(i).second);
      ASSERT_EQ(v, c.joint[size_t(i)]);  // the observed values are the joint draw's
    }
    for (int64_t i : c.latent) ASSERT_TRUE(seen.insert(i).second);
    if (c.kind == "posterior") {
      ASSERT_EQ(c.latent, (std::vector<int64_t>{0, 1, 2}));
    }
    if (c.kind == "likelihood") {
      ASSERT_EQ(c.latent, (std::vector<int64_t>{3, 4, 5, 6}));
    }
    ++kinds[c.kind];
    theta1.push_back(c.joint[0]);
  }
  // The joint mask never survives; the other four kinds are equally likely (the Bernoulli kinds
  // lose the few all-latent / all-observed draws to redraws: 0.7^7 + 0.3^7 ≈ 8 %): ~500 each,
  // sd ~20.
  EXPECT_EQ(kinds.count("joint"), 0u);
  EXPECT_NEAR(kinds["posterior"], 521, 80);
  EXPECT_NEAR(kinds["likelihood"], 521, 80);
  EXPECT_NEAR(kinds["bernoulli(0.3)"], 479, 80);
  EXPECT_NEAR(kinds["bernoulli(0.7)"], 479, 80);
  // θ1 ~ N(0, 1) across conditions (the values are joint draws, not fixed).
  double m = 0, v = 0;
  for (double t : theta1) m += t / double(theta1.size());
  for (double t : theta1) v += (t - m) * (t - m) / double(theta1.size() - 1);
  EXPECT_NEAR(m, 0.0, 5 / std::sqrt(2000.0));
  EXPECT_NEAR(v, 1.0, 5 * std::sqrt(2 / 2000.0));
}

TEST(EvaluationConditions, SeededAndIndependentOfHowManyAreDrawn) {
  const TaskPtr task = make_task("hmm");
  const auto a = draw_evaluation_conditions(*task, 20, 9);
  const auto b = draw_evaluation_conditions(*task, 5, 9);
  const auto c = draw_evaluation_conditions(*task, 20, 10);
  for (size_t k = 0; k < 5; ++k) {
    EXPECT_EQ(a[k].observed, b[k].observed);
    EXPECT_EQ(a[k].latent, b[k].latent);
  }
  int same = 0;
  for (size_t k = 0; k < 20; ++k) same += a[k].joint == c[k].joint ? 1 : 0;
  EXPECT_EQ(same, 0);
  EXPECT_THROW(draw_evaluation_conditions(*task, -1, 0), ValueError);
  EXPECT_TRUE(draw_evaluation_conditions(*task, 0, 0).empty());
}

}  // namespace
}  // namespace amor::sbi
