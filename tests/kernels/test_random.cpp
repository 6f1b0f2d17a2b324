// kernels/cpu/philox.h and kernels/cpu/random: known answers, moments, goodness of fit and the
// counter contract (thread count, streams, offsets).
#include "kernels/cpu/random.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>
#include <vector>

#include "kernels/cpu/philox.h"

namespace kc = amor::kernels::cpu;

// ---------------------------------------------------------------------------------------------
// Philox
// ---------------------------------------------------------------------------------------------

namespace {

void expect_block(kc::Philox4 got, uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  EXPECT_EQ(got.v[0], a);
  EXPECT_EQ(got.v[1], b);
  EXPECT_EQ(got.v[2], c);
  EXPECT_EQ(got.v[3], d);
}

constexpr kc::Philox4 kZeroAnswer = kc::philox4x32_10(kc::Philox4{{0, 0, 0, 0}}, 0, 0);
static_assert(kZeroAnswer.v[0] == 0x6627e8d5u && kZeroAnswer.v[3] == 0x9b00dbd8u,
              "philox4x32_10 is usable in constant expressions");

}  // namespace

TEST(Philox, KnownAnswers) {  // Random123 kat_vectors, philox4x32 10 rounds
  expect_block(kc::philox4x32_10(kc::Philox4{{0, 0, 0, 0}}, 0, 0), 0x6627e8d5u, 0xe169c58du,
               0xbc57ac4cu, 0x9b00dbd8u);
  expect_block(kc::philox4x32_10(kc::Philox4{{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}},
                                 0xffffffffu, 0xffffffffu),
               0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu);
  expect_block(kc::philox4x32_10(kc::Philox4{{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}},
                                 0xa4093822u, 0x299f31d0u),
               0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u);
}

TEST(Philox, UnitConversions) {
  EXPECT_EQ(kc::uint32_to_unit_float(0), 0.0f);
  EXPECT_EQ(kc::uint32_to_unit_float(0xffffffffu), 1.0f - 0x1p-24f);
  EXPECT_EQ(kc::uint32_to_unit_float(0x80000000u), 0.5f);
  EXPECT_EQ(kc::uint64_to_unit_double(0, 0), 0.0);
  EXPECT_EQ(kc::uint64_to_unit_double(0xffffffffu, 0xffffffffu), 1.0 - 0x1p-53);
  EXPECT_EQ(kc::uint64_to_unit_double(0x80000000u, 0), 0.5);
  EXPECT_EQ(kc::uint64_to_unit_double(0, 0x800u), 0x1p-53);  // lowest bit that survives
}

TEST(Philox, CursorWalksTheElementsBlocks) {
  kc::PhiloxCursor c(123, 4, 99);
  for (uint32_t d = 0; d < 3; ++d) {
    const kc::Philox4 b = kc::philox_element_block(123, 4, 99, d);
    for (int w = 0; w < 4; ++w) EXPECT_EQ(c.next_u32(), b.v[w]);
  }
  // Draw 0 is plain Philox of (element, stream) under key = seed.
  const kc::Philox4 p = kc::philox4x32_10(kc::Philox4{{99, 0, 4, 0}}, 123, 0);
  const kc::Philox4 e = kc::philox_element_block(123, 4, 99, 0);
  EXPECT_EQ(std::memcmp(&p, &e, sizeof p), 0);
}

// ---------------------------------------------------------------------------------------------
// Statistics helpers
// ---------------------------------------------------------------------------------------------

namespace {

constexpr int64_t kN = 1000000;

struct Moments {
  double mean, var;
};

template <class T>
Moments moments(const std::vector<T>& x) {
  double s = 0;
  for (T v : x) s += double(v);
  const double mean = s / double(x.size());
  double ss = 0;
  for (T v : x) ss += (double(v) - mean) * (double(v) - mean);
  return {mean, ss / double(x.size() - 1)};
}

// Checks sample mean and variance against (mu, sigma², mu4 = 4th central moment) to 5 sigma.
template <class T>
void expect_moments(const std::vector<T>& x, double mu, double var, double mu4,
                    const char* what) {
  const Moments m = moments(x);
  const double n = double(x.size());
  EXPECT_NEAR(m.mean, mu, 5 * std::sqrt(var / n)) << what << " mean";
  EXPECT_NEAR(m.var, var, 5 * std::sqrt((mu4 - var * var) / n)) << what << " variance";
}

// Kolmogorov–Smirnov statistic sqrt(n)·D_n against a continuous CDF.
template <class T, class Cdf>
double ks_statistic(std::vector<T> x, Cdf cdf) {
  std::sort(x.begin(), x.end());
  const double n = double(x.size());
  double d = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double f = cdf(double(x[i]));
    d = std::max({d, double(i + 1) / n - f, f - double(i) / n});
  }
  return std::sqrt(n) * d;
}

// P(sqrt(n) D_n > 1.95) ~ 0.001 under the null.
constexpr double kKsCritical = 1.95;

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Distributions
// ---------------------------------------------------------------------------------------------

template <class T>
class RandomTyped : public ::testing::Test {};
using RandomTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(RandomTyped, RandomTypes);

TYPED_TEST(RandomTyped, Uniform) {
  using T = TypeParam;
  std::vector<T> x(kN);
  kc::fill_uniform<T>(x.data(), kN, 2024, 0, 0, T(0), T(1));
  for (T v : x) ASSERT_TRUE(v >= T(0) && v < T(1));
  expect_moments(x, 0.5, 1.0 / 12, 1.0 / 80, "U[0,1)");
  EXPECT_LT(ks_statistic(x, [](double v) { return v; }), kKsCritical);

  kc::fill_uniform<T>(x.data(), kN, 2024, 1, 0, T(-3), T(5));
  for (T v : x) ASSERT_TRUE(v >= T(-3) && v < T(5));
  expect_moments(x, 1.0, 64.0 / 12, 4096.0 / 80, "U[-3,5)");
  EXPECT_LT(ks_statistic(x, [](double v) { return (v + 3) / 8; }), kKsCritical);
}

TYPED_TEST(RandomTyped, UniformNeverReturnsHi) {
  using T = TypeParam;
  // [1, 2) in float: 1 + (1 - 2^-24) rounds to 2; the kernel must step back below 2.
  std::vector<T> x(200000);
  kc::fill_uniform<T>(x.data(), int64_t(x.size()), 5, 0, 0, T(1), T(1) + T(1e-6));
  for (T v : x) ASSERT_TRUE(v >= T(1) && v < T(1) + T(1e-6));
  kc::fill_uniform<T>(x.data(), int64_t(x.size()), 5, 0, 0, T(3), T(3));
  for (T v : x) ASSERT_EQ(v, T(3));
}

TYPED_TEST(RandomTyped, Normal) {
  using T = TypeParam;
  std::vector<T> x(kN);
  kc::fill_normal<T>(x.data(), kN, 7, 0, 0, T(0), T(1));
  for (T v : x) ASSERT_TRUE(std::isfinite(double(v)));
  expect_moments(x, 0.0, 1.0, 3.0, "N(0,1)");
  EXPECT_LT(ks_statistic(x, normal_cdf), kKsCritical);

  kc::fill_normal<T>(x.data(), kN, 7, 3, 0, T(2), T(0.5));
  expect_moments(x, 2.0, 0.25, 3 * 0.0625, "N(2,0.25)");
  EXPECT_LT(ks_statistic(x, [](double v) { return normal_cdf((v - 2) / 0.5); }), kKsCritical);
}

TYPED_TEST(RandomTyped, Gamma) {
  using T = TypeParam;
  std::vector<T> x(kN);
  for (double k : {0.3, 1.0, 4.5}) {
    kc::fill_gamma<T>(x.data(), nullptr, T(k), kN, 99, 0, 0);
    for (T v : x) ASSERT_TRUE(v > T(0) && std::isfinite(double(v))) << "k=" << k;
    // Gamma(k, 1): mean k, variance k, 4th central moment 3k² + 6k.
    expect_moments(x, k, k, 3 * k * k + 6 * k, k == 0.3 ? "gamma 0.3" : "gamma");
  }
  // Gamma(1) is Exp(1): KS against 1 - e^-x.
  kc::fill_gamma<T>(x.data(), nullptr, T(1), kN, 5, 0, 0);
  EXPECT_LT(ks_statistic(x, [](double v) { return -std::expm1(-v); }), kKsCritical);
}

TYPED_TEST(RandomTyped, GammaPerElementShape) {
  using T = TypeParam;
  const double ks[2] = {0.5, 3.0};
  std::vector<T> k(kN), x(kN);
  for (int64_t i = 0; i < kN; ++i) k[size_t(i)] = T(ks[i % 2]);
  kc::fill_gamma<T>(x.data(), k.data(), T(0), kN, 1, 2, 3);
  for (int g = 0; g < 2; ++g) {
    std::vector<T> part;
    for (int64_t i = g; i < kN; i += 2) part.push_back(x[size_t(i)]);
    const double kk = ks[g];
    expect_moments(part, kk, kk, 3 * kk * kk + 6 * kk, "gamma per element");
  }
}

TYPED_TEST(RandomTyped, GammaEdgeCases) {
  using T = TypeParam;
  std::vector<T> x(10000);
  kc::fill_gamma<T>(x.data(), nullptr, T(1e-3), int64_t(x.size()), 1, 0, 0);
  for (T v : x) ASSERT_TRUE(v > T(0) && std::isfinite(double(v)));  // clamped, never 0
  const T bad[4] = {T(0), T(-1), std::numeric_limits<T>::quiet_NaN(), T(2)};
  T out[4];
  kc::fill_gamma<T>(out, bad, T(0), 4, 1, 0, 0);
  EXPECT_TRUE(std::isnan(out[0]));
  EXPECT_TRUE(std::isnan(out[1]));
  EXPECT_TRUE(std::isnan(out[2]));
  EXPECT_TRUE(out[3] > T(0));
}

TYPED_TEST(RandomTyped, Bernoulli) {
  using T = TypeParam;
  std::vector<uint8_t> b(kN);
  kc::fill_bernoulli<T>(b.data(), nullptr, T(0.3), kN, 11, 0, 0);
  int64_t ones = 0;
  for (uint8_t v : b) {
    ASSERT_LE(v, 1);
    ones += v;
  }
  EXPECT_NEAR(double(ones) / kN, 0.3, 5 * std::sqrt(0.3 * 0.7 / kN));

  std::vector<T> p(kN);
  for (int64_t i = 0; i < kN; ++i) p[size_t(i)] = i % 2 ? T(0.8) : T(0.1);
  kc::fill_bernoulli<T>(b.data(), p.data(), T(0), kN, 11, 1, 0);
  int64_t odd = 0, even = 0;
  for (int64_t i = 0; i < kN; ++i) (i % 2 ? odd : even) += b[size_t(i)];
  EXPECT_NEAR(double(odd) / (kN / 2), 0.8, 5 * std::sqrt(0.8 * 0.2 / (kN / 2)));
  EXPECT_NEAR(double(even) / (kN / 2), 0.1, 5 * std::sqrt(0.1 * 0.9 / (kN / 2)));

  kc::fill_bernoulli<T>(b.data(), nullptr, T(0), kN, 11, 2, 0);
  EXPECT_EQ(std::count(b.begin(), b.end(), 0), kN);
  kc::fill_bernoulli<T>(b.data(), nullptr, T(1), kN, 11, 2, 0);
  EXPECT_EQ(std::count(b.begin(), b.end(), 1), kN);
}

TEST(Random, RandintChiSquare) {
  std::vector<int64_t> x(kN);
  ASSERT_TRUE(kc::fill_randint(x.data(), kN, 77, 0, 0, -3, 7));
  std::vector<int64_t> counts(10, 0);
  for (int64_t v : x) {
    ASSERT_GE(v, -3);
    ASSERT_LT(v, 7);
    ++counts[size_t(v + 3)];
  }
  double chi2 = 0;
  const double expected = double(kN) / 10;
  for (int64_t c : counts) chi2 += (double(c) - expected) * (double(c) - expected) / expected;
  EXPECT_LT(chi2, 40.0);  // 9 degrees of freedom: P(chi2 > 40) ~ 7e-6
  std::vector<double> xd(x.begin(), x.end());
  // Discrete uniform on 10 values: variance (n²-1)/12, 4th central moment (n²-1)(3n²-7)/240.
  expect_moments(xd, 1.5, 99.0 / 12, 99.0 * 293 / 240, "randint");
}

TEST(Random, RandintWideRanges) {
  std::vector<int64_t> x(kN);
  // Full int64 range (range = 2^64 - 1): the sign bit is a fair coin.
  ASSERT_TRUE(kc::fill_randint(x.data(), kN, 1, 0, 0, std::numeric_limits<int64_t>::min(),
                               std::numeric_limits<int64_t>::max()));
  const auto neg = std::count_if(x.begin(), x.end(), [](int64_t v) { return v < 0; });
  EXPECT_NEAR(double(neg) / kN, 0.5, 5 * std::sqrt(0.25 / kN));
  // Range 3·2^61: modulo reduction would favour the first two thirds; each third is 1/3.
  const int64_t third = int64_t(1) << 61;
  ASSERT_TRUE(kc::fill_randint(x.data(), kN, 1, 1, 0, -third, 2 * third));
  int64_t counts[3] = {0, 0, 0};
  for (int64_t v : x) {
    ASSERT_GE(v, -third);
    ASSERT_LT(v, 2 * third);
    ++counts[v < 0 ? 0 : (v < third ? 1 : 2)];
  }
  for (int64_t c : counts) EXPECT_NEAR(double(c) / kN, 1.0 / 3, 5 * std::sqrt(2.0 / 9 / kN));
  // Empty range: status false, output untouched.
  int64_t y[2] = {5, 6};
  EXPECT_FALSE(kc::fill_randint(y, 2, 1, 0, 0, 4, 4));
  EXPECT_FALSE(kc::fill_randint(y, 2, 1, 0, 0, 4, -1));
  EXPECT_EQ(y[0], 5);
  EXPECT_EQ(y[1], 6);
  // Range of one value.
  ASSERT_TRUE(kc::fill_randint(y, 2, 1, 0, 0, 9, 10));
  EXPECT_EQ(y[0], 9);
  EXPECT_EQ(y[1], 9);
}

TEST(Random, Randperm) {
  std::vector<int64_t> p(1000);
  kc::fill_randperm(p.data(), 1000, 3, 0, 0);
  std::vector<int64_t> sorted = p;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> iota(1000);
  std::iota(iota.begin(), iota.end(), 0);
  EXPECT_EQ(sorted, iota);
  EXPECT_NE(p, iota);

  // All 24 permutations of 4 equally likely (chi-square, 23 dof).
  const int trials = 240000;
  std::vector<int64_t> counts(256, 0);
  int64_t q[4];
  for (int t = 0; t < trials; ++t) {
    kc::fill_randperm(q, 4, 3, 1, uint64_t(t) * 4);
    ++counts[size_t(q[0] * 64 + q[1] * 16 + q[2] * 4 + q[3])];
  }
  double chi2 = 0;
  int seen = 0;
  for (int64_t c : counts) {
    if (!c) continue;
    ++seen;
    chi2 += (double(c) - trials / 24.0) * (double(c) - trials / 24.0) / (trials / 24.0);
  }
  EXPECT_EQ(seen, 24);
  EXPECT_LT(chi2, 65.0);  // mean 23, sd 6.8
  kc::fill_randperm(nullptr, 0, 3, 0, 0);  // n = 0 writes nothing
}

// ---------------------------------------------------------------------------------------------
// The counter contract
// ---------------------------------------------------------------------------------------------

namespace {

// Runs every fill into one byte vector, so contract tests cover all of them at once.
std::vector<unsigned char> fill_all(int64_t n, uint64_t seed, uint64_t stream, uint64_t offset) {
  const auto len = static_cast<size_t>(n);
  std::vector<float> f(len);
  std::vector<double> d(len);
  std::vector<int64_t> ix(len);
  std::vector<uint8_t> b(len);
  std::vector<double> k(len);
  for (int64_t i = 0; i < n; ++i) k[size_t(i)] = 0.2 + double((uint64_t(i) + offset) % 7);
  std::vector<unsigned char> out;
  auto append = [&out](const void* p, size_t bytes) {
    const auto* c = static_cast<const unsigned char*>(p);
    out.insert(out.end(), c, c + bytes);
  };
  kc::fill_uniform<float>(f.data(), n, seed, stream, offset, -1.f, 2.f);
  append(f.data(), f.size() * sizeof(float));
  kc::fill_uniform<double>(d.data(), n, seed, stream, offset, -1.0, 2.0);
  append(d.data(), d.size() * sizeof(double));
  kc::fill_normal<float>(f.data(), n, seed, stream, offset, 1.f, 2.f);
  append(f.data(), f.size() * sizeof(float));
  kc::fill_normal<double>(d.data(), n, seed, stream, offset, 1.0, 2.0);
  append(d.data(), d.size() * sizeof(double));
  EXPECT_TRUE(kc::fill_randint(ix.data(), n, seed, stream, offset, -5, 1000003));
  append(ix.data(), ix.size() * sizeof(int64_t));
  // A range just above 2^63 rejects about half the proposals: exercises redraws.
  EXPECT_TRUE(kc::fill_randint(ix.data(), n, seed, stream, offset, -(int64_t(1) << 62),
                               std::numeric_limits<int64_t>::max()));
  append(ix.data(), ix.size() * sizeof(int64_t));
  kc::fill_bernoulli<float>(b.data(), nullptr, 0.4f, n, seed, stream, offset);
  append(b.data(), b.size());
  kc::fill_gamma<double>(d.data(), k.data(), 0.0, n, seed, stream, offset);
  append(d.data(), d.size() * sizeof(double));
  kc::fill_gamma<float>(f.data(), nullptr, 0.7f, n, seed, stream, offset);
  append(f.data(), f.size() * sizeof(float));
  return out;
}

}  // namespace

TEST(RandomContract, IndependentOfThreadCount) {
  const int64_t n = 3 * kc::kRandomParallelThreshold + 17;
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const auto one = fill_all(n, 42, 9, 1000);
  omp_set_num_threads(2);
  const auto two = fill_all(n, 42, 9, 1000);
  omp_set_num_threads(saved);
  ASSERT_EQ(one.size(), two.size());
  EXPECT_EQ(std::memcmp(one.data(), two.data(), one.size()), 0);
}

TEST(RandomContract, OffsetsCompose) {
  // Filling n from offset o, then m from o + n, equals filling n + m from o.
  const int64_t n = 1000, m = 2 * kc::kRandomParallelThreshold + 5;
  const uint64_t o = (uint64_t(1) << 32) - 300;  // crosses the 32-bit word boundary
  const int64_t total = n + m;
  std::vector<double> whole(static_cast<size_t>(total)), parts(whole.size());
  kc::fill_gamma<double>(whole.data(), nullptr, 0.6, total, 5, 1, o);
  kc::fill_gamma<double>(parts.data(), nullptr, 0.6, n, 5, 1, o);
  kc::fill_gamma<double>(parts.data() + n, nullptr, 0.6, m, 5, 1, o + uint64_t(n));
  EXPECT_EQ(whole, parts);
  // Every fill: compare byte images of (n then m) against (n + m), distribution by
  // distribution; fill_all concatenates per-distribution blocks, so split accordingly.
  const auto w = fill_all(total, 5, 1, o);
  const auto a = fill_all(n, 5, 1, o);
  const auto b = fill_all(m, 5, 1, o + uint64_t(n));
  const size_t widths[] = {4, 8, 4, 8, 8, 8, 1, 8, 4};
  size_t pw = 0, pa = 0, pb = 0;
  for (size_t s : widths) {
    EXPECT_EQ(std::memcmp(w.data() + pw, a.data() + pa, s * size_t(n)), 0) << "width " << s;
    EXPECT_EQ(std::memcmp(w.data() + pw + s * size_t(n), b.data() + pb, s * size_t(m)), 0)
        << "width " << s;
    pw += s * size_t(total);
    pa += s * size_t(n);
    pb += s * size_t(m);
  }
}

TEST(RandomContract, StreamsAndSeedsDiffer) {
  const int64_t n = 4096;
  std::vector<double> a(n), b(n), c(n), a2(n);
  kc::fill_uniform<double>(a.data(), n, 1, 0, 0, 0.0, 1.0);
  kc::fill_uniform<double>(a2.data(), n, 1, 0, 0, 0.0, 1.0);
  kc::fill_uniform<double>(b.data(), n, 1, 1, 0, 0.0, 1.0);
  kc::fill_uniform<double>(c.data(), n, 2, 0, 0, 0.0, 1.0);
  EXPECT_EQ(a, a2);  // a pure function of its inputs
  int same_ab = 0, same_ac = 0;
  for (int64_t i = 0; i < n; ++i) {
    same_ab += a[size_t(i)] == b[size_t(i)];
    same_ac += a[size_t(i)] == c[size_t(i)];
  }
  EXPECT_EQ(same_ab, 0);
  EXPECT_EQ(same_ac, 0);
  // Streams differing only in the high 32 bits are distinct too.
  kc::fill_uniform<double>(b.data(), n, 1, uint64_t(1) << 32, 0, 0.0, 1.0);
  EXPECT_NE(a, b);
  // Correlation between adjacent streams is negligible.
  kc::fill_normal<double>(a.data(), n, 1, 0, 0, 0.0, 1.0);
  kc::fill_normal<double>(b.data(), n, 1, 1, 0, 0.0, 1.0);
  double r = 0;
  for (int64_t i = 0; i < n; ++i) r += a[size_t(i)] * b[size_t(i)];
  EXPECT_LT(std::abs(r / n), 5 / std::sqrt(double(n)));
}
