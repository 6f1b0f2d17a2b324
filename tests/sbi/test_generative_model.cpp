// GenerativeModel: the BayesFlow linear-regression model (N ~ U{5..14} per batch) end to end —
// shapes, meta broadcast, residual distribution, thread-count identity, stream separation — and
// each consistency error.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "sbi/generative_model.h"
#include "tests/sbi/stat_util.h"

namespace amor::sbi {
namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// β ~ N([2, 0], diag(3², 1²)), σ ~ Gamma(1, 1); x ~ N(0, 1)^N, y ~ N(β0 + β1 x, σ).
GenerativeModel regression(double y_shift = 0.0) {
  return GenerativeModel(
      [](Rng& rng, const Values&) {
        return Values{{"beta", std::vector<double>{rng.normal(2.0, 3.0), rng.normal(0.0, 1.0)}},
                      {"sigma", rng.gamma(1.0)}};
      },
      [y_shift](Rng& rng, const Values& v) {
        const auto n = int64_t(v.scalar("N"));
        const double b0 = v.get("beta", 0), b1 = v.get("beta", 1), s = v.scalar("sigma");
        std::vector<double> x(static_cast<size_t>(n)), y(static_cast<size_t>(n));
        for (size_t i = 0; i < x.size(); ++i) {
          x[i] = rng.normal();
          y[i] = rng.normal(b0 + b1 * x[i] + y_shift, s);
        }
        return Values{{"x", x}, {"y", y}};
      },
      [](Rng& rng) { return Values{{"N", double(rng.randint(5, 15))}}; });
}

TEST(GenerativeModel, RegressionShapesAndMetaBroadcast) {
  const auto model = regression();
  const Batch b = model.sample(64, 1, 3);
  EXPECT_EQ(b.batch_size, 64);
  const auto n = int64_t(b.meta.scalar("N"));
  EXPECT_TRUE(n >= 5 && n <= 14);
  EXPECT_EQ(b.at("beta").shape(), Shape({64, 2}));
  EXPECT_EQ(b.at("sigma").shape(), Shape({64}));
  EXPECT_EQ(b.at("x").shape(), Shape({64, n}));
  EXPECT_EQ(b.at("y").shape(), Shape({64, n}));
  EXPECT_EQ(b.at("N").shape(), Shape({64}));
  for (double v : b.at("N").to_vector<double>()) EXPECT_EQ(v, double(n));
  EXPECT_EQ(b.meta_names, std::vector<std::string>{"N"});
  EXPECT_EQ(b.prior_names, (std::vector<std::string>{"beta", "sigma"}));
  EXPECT_EQ(b.likelihood_names, (std::vector<std::string>{"x", "y"}));
  for (double s : b.at("sigma").to_vector<double>()) EXPECT_GT(s, 0.0);
  try {
    b.at("theta");
    ADD_FAILURE();
  } catch (const ValueError& e) {
    EXPECT_TRUE(contains(e.what(), "'theta'")) << e.what();
    EXPECT_TRUE(contains(e.what(), "beta")) << e.what();
  }
}

// N is drawn once per batch from U{5..14}: over 2000 batches the ten values are equally likely
// (χ² at tail 1e-4), and every row of a batch shares it.
TEST(GenerativeModel, MetaIsUniformAcrossBatches) {
  const auto model = regression();
  std::vector<int64_t> ns;
  for (uint64_t k = 0; k < 2000; ++k) ns.push_back(int64_t(model.sample(1, 7, k).meta.scalar("N")));
  const auto c = test::chi2_discrete(ns, [](int64_t) { return 0.1; }, 5, 14);
  EXPECT_LT(c.stat, test::chi2_critical(c.df));
}

// The likelihood must see the row's own prior values: (y - β0 - β1 x) / σ pooled over the
// batch is N(0, 1) (KS at 1e-3). A likelihood fed another row's β or σ fails this badly.
TEST(GenerativeModel, LikelihoodSeesItsRowsPrior) {
  const auto model = regression();
  std::vector<double> z;
  for (uint64_t k = 0; k < 20; ++k) {
    const Batch b = model.sample(256, 11, k);
    const auto n = b.at("x").size(1);
    const auto beta = b.at("beta").to_vector<double>(), sigma = b.at("sigma").to_vector<double>();
    const auto x = b.at("x").to_vector<double>(), y = b.at("y").to_vector<double>();
    for (int64_t i = 0; i < 256; ++i)
      for (int64_t j = 0; j < n; ++j) {
        const auto e = size_t(i * n + j);
        z.push_back((y[e] - beta[size_t(2 * i)] - beta[size_t(2 * i + 1)] * x[e]) / sigma[size_t(i)]);
      }
  }
  EXPECT_LT(test::ks_scaled(z, test::normal_cdf), test::kKsCritical);
  // And the prior itself: β0 ~ N(2, 3²) over 5120 rows (5 standard errors).
  double m = 0;
  int64_t count = 0;
  for (uint64_t k = 0; k < 20; ++k) {
    const auto beta = model.sample(256, 11, k).at("beta").to_vector<double>();
    for (size_t i = 0; i < beta.size(); i += 2) m += beta[i], ++count;
  }
  EXPECT_NEAR(m / double(count), 2.0, 5 * 3.0 / std::sqrt(double(count)));
}

TEST(GenerativeModel, ThreadCountIndependentAndStreamsSeparate) {
  const auto model = regression();
  const Batch one = model.sample(512, 5, 2, 1);
  const Batch two = model.sample(512, 5, 2, 2);
  ASSERT_EQ(one.tensors.size(), two.tensors.size());
  for (size_t i = 0; i < one.tensors.size(); ++i) {
    EXPECT_EQ(one.tensors[i].first, two.tensors[i].first);
    EXPECT_EQ(one.tensors[i].second.to_vector<double>(), two.tensors[i].second.to_vector<double>())
        << one.tensors[i].first;
  }
  // Changing the likelihood leaves θ and meta alone (separate streams), but changes y.
  const Batch shifted = regression(1.0).sample(512, 5, 2, 2);
  EXPECT_EQ(shifted.at("beta").to_vector<double>(), one.at("beta").to_vector<double>());
  EXPECT_EQ(shifted.at("sigma").to_vector<double>(), one.at("sigma").to_vector<double>());
  EXPECT_EQ(shifted.at("x").to_vector<double>(), one.at("x").to_vector<double>());
  EXPECT_NE(shifted.at("y").to_vector<double>(), one.at("y").to_vector<double>());
  // Another batch index or seed: different draws; the same: identical.
  EXPECT_NE(model.sample(512, 5, 3).at("beta").to_vector<double>(), one.at("beta").to_vector<double>());
  EXPECT_NE(model.sample(512, 6, 2).at("beta").to_vector<double>(), one.at("beta").to_vector<double>());
  EXPECT_EQ(model.sample(512, 5, 2).at("y").to_vector<double>(), one.at("y").to_vector<double>());
}

TEST(GenerativeModel, NoMetaAndMultiAxisValues) {
  const GenerativeModel m(
      [](Rng& rng, const Values& meta) {
        EXPECT_EQ(meta.size(), 0);
        return Values{{"theta", rng.uniform()}};
      },
      [](Rng&, const Values& v) {
        const double t = v.scalar("theta");
        return Values{{"img", Value({2, 3}, {t, t, t, 2 * t, 2 * t, 2 * t})}};
      });
  const Batch b = m.sample(10, 0);
  EXPECT_TRUE(b.meta_names.empty());
  EXPECT_EQ(b.at("img").shape(), Shape({10, 2, 3}));
  const auto th = b.at("theta").to_vector<double>(), img = b.at("img").to_vector<double>();
  EXPECT_EQ(img[6 * 4 + 5], 2 * th[4]);
}

// Runs `f` and returns the message of the ValueError it must throw.
template <class F>
std::string value_error(F&& f) {
  try {
    f();
  } catch (const ValueError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected ValueError";
  return {};
}

TEST(GenerativeModel, InconsistentShapesAndNameClashes) {
  const auto lik = [](Rng&, const Values&) { return Values{{"x", 1.0}}; };
  // A prior whose vector length varies by row.
  const GenerativeModel ragged([](Rng& rng, const Values&) { return Values{{"theta", std::vector<double>(size_t(rng.randint(1, 4)), 0.0)}}; },
                               lik);
  const std::string m1 = value_error([&] { ragged.sample(64, 0); });
  EXPECT_TRUE(contains(m1, "'theta' with shape")) << m1;
  EXPECT_TRUE(contains(m1, "in row")) << m1;
  // A likelihood that returns a variable only in some rows.
  const GenerativeModel missing([](Rng&, const Values&) { return Values{{"t", 0.0}}; },
                                [](Rng& rng, const Values&) {
                                  Values v{{"x", 1.0}};
                                  v.add(rng.bernoulli(0.5) ? "y" : "z", 0.0);
                                  return v;
                                });
  value_error([&] { missing.sample(64, 0); });
  // Clashes between functions.
  const GenerativeModel clash([](Rng&, const Values&) { return Values{{"x", 0.0}}; }, lik);
  EXPECT_TRUE(contains(value_error([&] { clash.sample(4, 0); }), "'x' is returned by both the prior and the likelihood"));
  const GenerativeModel meta_clash([](Rng&, const Values&) { return Values{{"N", 0.0}}; }, lik,
                                   [](Rng&) { return Values{{"N", 5.0}}; });
  EXPECT_TRUE(contains(value_error([&] { meta_clash.sample(4, 0); }), "'N' is returned by both the meta function and the prior"));
  // Within one Values, and malformed Values.
  EXPECT_TRUE(contains(value_error([] { Values v{{"a", 1.0}, {"a", 2.0}}; }), "already present"));
  value_error([] { Values v{{"", 1.0}}; });
  value_error([] { Value v({2, 2}, {1.0, 2.0, 3.0}); });
  value_error([] { Value(std::vector<double>{1.0, 2.0}).item(); });
  // The likelihood asking for a variable that does not exist: its ValueError reaches the caller.
  const GenerativeModel typo([](Rng&, const Values&) { return Values{{"t", 0.0}}; },
                             [](Rng&, const Values& v) { return Values{{"x", v.scalar("theta")}}; });
  EXPECT_TRUE(contains(value_error([&] { typo.sample(8, 0, 0, 2); }), "no variable 'theta' (present: t)"));
  EXPECT_THROW(Values({{"a", 1.0}}).get("a", 1), IndexError);
  // Arguments.
  const auto model = regression();
  value_error([&] { model.sample(0, 0); });
  value_error([&] { model.sample(4, 0, uint64_t(1) << 32); });
  value_error([] { GenerativeModel(nullptr, [](Rng&, const Values&) { return Values{}; }); });
}

}  // namespace
}  // namespace amor::sbi
