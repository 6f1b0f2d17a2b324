// index_select / gather / scatter_add / index_add against slow twins (exact: copies, and sums
// in the same order), out-of-range status, and untouched outputs on error.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "kernels/cpu/index.h"
#include "tests/kernels/cpu_test_util.h"

namespace amor::kernels::cpu {
namespace {

using namespace testing;  // NOLINT: the kernel test helpers

// Shapes of the indexed tensor [outer, n, inner] plus the index length.
struct IndexShape {
  int64_t outer, n, inner, n_idx;
};
const std::vector<IndexShape> kShapes = {
    {1, 1, 1, 1},     {1, 5, 1, 9}, {3, 4, 1, 2},     {2, 7, 3, 5}, {1, 3, 70, 4}, {4, 10, 65, 12},
    {200, 50, 1, 40}, {2, 1, 5, 3}, {1, 300, 130, 2}, {0, 3, 2, 4}, {2, 3, 0, 4},  {2, 3, 4, 0},
};

template <class T>
std::vector<T> random_values(int64_t n, std::mt19937& rng) {
  std::uniform_int_distribution<int> dist(0, 100);  // exact in every T, uint8_t included
  std::vector<T> v(static_cast<size_t>(n));
  for (auto& e : v) e = static_cast<T>(dist(rng));
  return v;
}

std::vector<int64_t> random_indices(int64_t count, int64_t n, std::mt19937& rng) {
  std::uniform_int_distribution<int64_t> dist(0, n - 1);
  std::vector<int64_t> v(static_cast<size_t>(count));
  for (auto& e : v) e = dist(rng);
  return v;
}

template <class T>
class IndexReadTest : public ::testing::Test {};
using ReadTypes = Types<float, double, int64_t, uint8_t>;
TYPED_TEST_SUITE(IndexReadTest, ReadTypes);

template <class T>
class IndexAddTest : public ::testing::Test {};
using AddTypes = Types<float, double, int64_t>;
TYPED_TEST_SUITE(IndexAddTest, AddTypes);

TYPED_TEST(IndexReadTest, IndexSelectAndGatherMatchReference) {
  using T = TypeParam;
  std::mt19937 rng(51);
  for (const auto s : kShapes) {
    SCOPED_TRACE(::testing::Message()
                 << s.outer << "," << s.n << "," << s.inner << " idx " << s.n_idx);
    const auto x = random_values<T>(s.outer * s.n * s.inner, rng);
    const int64_t out_numel = s.outer * s.n_idx * s.inner;
    const auto idx = random_indices(s.n_idx, s.n, rng);
    Guarded<T> out(out_numel, T(99));
    ASSERT_EQ(index_select(x.data(), idx.data(), out.data(), s.outer, s.n, s.inner, s.n_idx), -1);
    ASSERT_TRUE(out.guards_intact());
    for (int64_t o = 0; o < s.outer; ++o)
      for (int64_t j = 0; j < s.n_idx; ++j)
        for (int64_t i = 0; i < s.inner; ++i)
          ASSERT_EQ(out[(o * s.n_idx + j) * s.inner + i], x[(o * s.n + idx[j]) * s.inner + i]);

    const auto gidx = random_indices(out_numel, s.n, rng);
    Guarded<T> gout(out_numel, T(99));
    ASSERT_EQ(gather(x.data(), gidx.data(), gout.data(), s.outer, s.n, s.inner, s.n_idx), -1);
    ASSERT_TRUE(gout.guards_intact());
    for (int64_t o = 0; o < s.outer; ++o)
      for (int64_t j = 0; j < s.n_idx; ++j)
        for (int64_t i = 0; i < s.inner; ++i) {
          const int64_t p = (o * s.n_idx + j) * s.inner + i;
          ASSERT_EQ(gout[p], x[(o * s.n + gidx[p]) * s.inner + i]);
        }
  }
}

TYPED_TEST(IndexAddTest, ScatterAddAndIndexAddMatchReference) {
  using T = TypeParam;
  std::mt19937 rng(52);
  for (const auto s : kShapes) {
    SCOPED_TRACE(::testing::Message()
                 << s.outer << "," << s.n << "," << s.inner << " idx " << s.n_idx);
    const int64_t out_numel = s.outer * s.n * s.inner;
    const int64_t src_numel = s.outer * s.n_idx * s.inner;
    const auto base = random_values<T>(out_numel, rng);
    const auto src = random_values<T>(src_numel, rng);

    // index_add: duplicates in idx are the point (the backward of a repeated select).
    const auto idx = random_indices(s.n_idx, s.n, rng);
    Guarded<T> out(out_numel);
    std::copy(base.begin(), base.end(), out.data());
    std::vector<T> ref(base);
    for (int64_t o = 0; o < s.outer; ++o)
      for (int64_t j = 0; j < s.n_idx; ++j)
        for (int64_t i = 0; i < s.inner; ++i)
          ref[(o * s.n + idx[j]) * s.inner + i] += src[(o * s.n_idx + j) * s.inner + i];
    ASSERT_EQ(index_add(out.data(), idx.data(), src.data(), s.outer, s.n, s.inner, s.n_idx), -1);
    ASSERT_TRUE(out.guards_intact());
    ASSERT_EQ(out.vec(), ref);

    const auto gidx = random_indices(src_numel, s.n, rng);
    Guarded<T> sout(out_numel);
    std::copy(base.begin(), base.end(), sout.data());
    ref = base;
    for (int64_t o = 0; o < s.outer; ++o)
      for (int64_t j = 0; j < s.n_idx; ++j)
        for (int64_t i = 0; i < s.inner; ++i) {
          const int64_t p = (o * s.n_idx + j) * s.inner + i;
          ref[(o * s.n + gidx[p]) * s.inner + i] += src[p];
        }
    ASSERT_EQ(scatter_add(sout.data(), gidx.data(), src.data(), s.outer, s.n, s.inner, s.n_idx),
              -1);
    ASSERT_TRUE(sout.guards_intact());
    ASSERT_EQ(sout.vec(), ref);
  }
}

TEST(IndexAddFloat, AccumulatesInIndexOrderWhateverTheThreadCount) {
  // Non-integer values: the result depends on the summation order, which must be j order.
  std::mt19937 rng(53);
  const IndexShape s{300, 8, 40, 64};
  const auto src = random_vector<float>(s.outer * s.n_idx * s.inner, rng);
  const auto idx = random_indices(s.n_idx, s.n, rng);
  const auto gidx = random_indices(s.outer * s.n_idx * s.inner, s.n, rng);
  auto run = [&](int threads) {
    ThreadCount guard(threads);
    std::vector<float> a(static_cast<size_t>(s.outer * s.n * s.inner)), b(a);
    index_add(a.data(), idx.data(), src.data(), s.outer, s.n, s.inner, s.n_idx);
    scatter_add(b.data(), gidx.data(), src.data(), s.outer, s.n, s.inner, s.n_idx);
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  const auto one = run(1);
  EXPECT_TRUE(bitwise_equal(one, run(2)));
  EXPECT_TRUE(bitwise_equal(one, run(3)));
  // And it equals the sequential twin bit for bit.
  std::vector<float> ref(static_cast<size_t>(s.outer * s.n * s.inner));
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t j = 0; j < s.n_idx; ++j)
      for (int64_t i = 0; i < s.inner; ++i)
        ref[(o * s.n + idx[j]) * s.inner + i] += src[(o * s.n_idx + j) * s.inner + i];
  EXPECT_TRUE(bitwise_equal(std::vector<float>(one.begin(), one.begin() + ref.size()), ref));
}

TEST(IndexErrors, ReturnFirstBadPositionAndWriteNothing) {
  const std::vector<float> x = {0, 1, 2, 3, 4, 5};  // [1, 3, 2]
  std::vector<float> out(4, -1.f);
  const std::vector<float> untouched(out);
  // index_select / index_add: position in idx[n_idx].
  for (const auto& [idx, bad] : std::vector<std::pair<std::vector<int64_t>, int64_t>>{
           {{0, -1}, 1}, {{3, 0}, 0}, {{2, 7}, 1}, {{-5, 9}, 0}}) {
    EXPECT_EQ(index_select(x.data(), idx.data(), out.data(), 1, 3, 2, 2), bad);
    EXPECT_EQ(out, untouched);
    std::vector<float> acc(6, 0.f);
    EXPECT_EQ(index_add(acc.data(), idx.data(), out.data(), 1, 3, 2, 2), bad);
    EXPECT_EQ(acc, std::vector<float>(6, 0.f));
  }
  // gather / scatter_add: flat position in idx[outer, n_idx, inner].
  const std::vector<int64_t> gidx = {0, 2, 1, 3};  // [1, 2, 2]: 3 is out of range for n = 3
  EXPECT_EQ(gather(x.data(), gidx.data(), out.data(), 1, 3, 2, 2), 3);
  EXPECT_EQ(out, untouched);
  std::vector<float> acc(6, 0.f);
  EXPECT_EQ(scatter_add(acc.data(), gidx.data(), out.data(), 1, 3, 2, 2), 3);
  EXPECT_EQ(acc, std::vector<float>(6, 0.f));
  const std::vector<int64_t> neg = {0, -1, 1, 0};
  EXPECT_EQ(gather(x.data(), neg.data(), out.data(), 1, 3, 2, 2), 1);
  // Indexing an empty axis: every index is out of range, even with no output elements.
  const int64_t zero = 0;
  EXPECT_EQ(index_select(x.data(), &zero, out.data(), 0, 0, 2, 1), 0);
  // All valid, with a uint8_t payload.
  const std::vector<uint8_t> bytes = {1, 0, 1};
  std::vector<uint8_t> picked(2);
  const std::vector<int64_t> pick = {2, 1};
  EXPECT_EQ(index_select(bytes.data(), pick.data(), picked.data(), 1, 3, 1, 2), -1);
  EXPECT_EQ(picked, (std::vector<uint8_t>{1, 0}));
}

}  // namespace
}  // namespace amor::kernels::cpu
