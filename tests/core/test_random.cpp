// Random tensors (core/random.h) and the caching allocator (core/allocator.h): reproducibility
// from a seed, independence of the thread count on large tensors, the counter contract through
// Generator, basic distribution sanity, and no system allocations in a steady-state loop.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "core/allocator.h"
#include "core/autograd.h"
#include "core/ops.h"
#include "core/random.h"
#include "tests/support/gradcheck.h"

namespace amor {
namespace {

// Sets the OpenMP thread count for a scope.
class OmpThreads {
 public:
  explicit OmpThreads(int n) : saved_(omp_get_max_threads()) { omp_set_num_threads(n); }
  ~OmpThreads() { omp_set_num_threads(saved_); }
  OmpThreads(const OmpThreads&) = delete;
  OmpThreads& operator=(const OmpThreads&) = delete;

 private:
  int saved_;
};

bool bitwise_equal(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) return false;
  Tensor x = a.contiguous(), y = b.contiguous();
  return std::memcmp(x.raw_data(), y.raw_data(), size_t(x.numel()) * dtype_size(x.dtype())) == 0;
}

// Each generator kind draws a tensor of `n` elements from a fresh Generator(seed).
using Draw = Tensor (*)(int64_t n, uint64_t seed);
struct DrawCase {
  const char* name;
  Draw draw;
  bool large = false;  // checked across thread counts at >= 1e6 elements (others at 65536)
};

const DrawCase kDraws[] = {
    {"rand_f32", [](int64_t n, uint64_t s) { Generator g(s); return rand(Shape{n}, g); }, true},
    {"rand_f64", [](int64_t n, uint64_t s) { Generator g(s); return rand(Shape{n}, g, {.dtype = DType::F64}); }, true},
    {"randn_f32", [](int64_t n, uint64_t s) { Generator g(s); return randn(Shape{n}, g); }, true},
    {"randn_f64", [](int64_t n, uint64_t s) { Generator g(s); return randn(Shape{n}, g, {.dtype = DType::F64}); }, true},
    {"uniform", [](int64_t n, uint64_t s) { Generator g(s); return uniform(Shape{n}, -3.0, 2.0, g); }},
    {"normal", [](int64_t n, uint64_t s) { Generator g(s); return normal(Shape{n}, 5.0, 0.5, g, {.dtype = DType::F64}); }},
    {"gamma_f32", [](int64_t n, uint64_t s) { Generator g(s); return gamma(Shape{n}, 0.7, g); }, true},
    {"gamma_f64", [](int64_t n, uint64_t s) { Generator g(s); return gamma(Shape{n}, 3.5, g, {.dtype = DType::F64}); }, true},
    {"gamma_tensor", [](int64_t n, uint64_t s) {
       Generator g(s);
       Generator k(s + 1000);
       return gamma(uniform(Shape{n}, 0.2, 5.0, k, {.dtype = DType::F64}), g);
     }},
    {"randint", [](int64_t n, uint64_t s) { Generator g(s); return randint(-5, 1000, Shape{n}, g); }},
    {"bernoulli", [](int64_t n, uint64_t s) { Generator g(s); return bernoulli(Shape{n}, 0.3, g); }},
    {"bernoulli_tensor", [](int64_t n, uint64_t s) {
       Generator g(s);
       Generator p(s + 1000);
       return bernoulli(rand(Shape{n}, p), g);
     }},
};

class RandomDraws : public ::testing::TestWithParam<DrawCase> {};

TEST_P(RandomDraws, SameSeedSameTensor) {
  const DrawCase& c = GetParam();
  EXPECT_TRUE(bitwise_equal(c.draw(1000, 42), c.draw(1000, 42)));
  EXPECT_FALSE(bitwise_equal(c.draw(1000, 42), c.draw(1000, 43)));
}

TEST_P(RandomDraws, ThreadCountDoesNotMatter) {
  // Large enough that the fills run in parallel (the threshold is 16384 elements).
  const DrawCase& c = GetParam();
  const int64_t n = c.large ? int64_t(1) << 20 : int64_t(1) << 16;
  Tensor one, two;
  {
    OmpThreads t(1);
    one = c.draw(n, 7);
  }
  {
    OmpThreads t(2);
    two = c.draw(n, 7);
  }
  EXPECT_TRUE(bitwise_equal(one, two));
}

INSTANTIATE_TEST_SUITE_P(Kinds, RandomDraws, ::testing::ValuesIn(kDraws),
                         [](const ::testing::TestParamInfo<DrawCase>& p) { return std::string(p.param.name); });

TEST(RandomGenerator, OffsetsAdvanceAndSplitsAreSeamless) {
  Generator g(5);
  Tensor a = rand(Shape{10}, g);
  EXPECT_EQ(g.offset(), 10u);
  Tensor b = rand(Shape{6}, g);
  EXPECT_EQ(g.offset(), 16u);
  EXPECT_FALSE(bitwise_equal(a.narrow(0, 0, 6), b));
  // Drawing 10 then 6 equals drawing 16 at once (element i depends only on offset + i).
  Generator h(5);
  Tensor all16 = rand(Shape{16}, h);
  EXPECT_TRUE(bitwise_equal(a, all16.narrow(0, 0, 10)));
  EXPECT_TRUE(bitwise_equal(b, all16.narrow(0, 10, 6)));
  // set_offset rewinds.
  g.set_offset(10);
  EXPECT_TRUE(bitwise_equal(rand(Shape{6}, g), b));
  // Shape does not matter, only the element count.
  Generator k(5);
  EXPECT_TRUE(bitwise_equal(rand(Shape{4, 4}, k).reshape(Shape{16}), all16));
}

TEST(RandomGenerator, StreamsAndForksAreIndependent) {
  Generator a(9, 0), b(9, 1);
  EXPECT_FALSE(bitwise_equal(randn(Shape{100}, a), randn(Shape{100}, b)));
  Generator base(9);
  Generator f1 = base.fork(1), f1_again = base.fork(1), f2 = base.fork(2);
  EXPECT_EQ(f1.seed(), 9u);
  EXPECT_EQ(f1.stream(), f1_again.stream());
  EXPECT_NE(f1.stream(), f2.stream());
  EXPECT_NE(f1.stream(), base.stream());
  EXPECT_TRUE(bitwise_equal(randn(Shape{100}, f1), randn(Shape{100}, f1_again)));
  EXPECT_FALSE(bitwise_equal(randn(Shape{100}, f2), randn(Shape{100}, base)));
}

TEST(RandomDistributions, MomentsAndRanges) {
  Generator g(11);
  const int64_t n = 200000;
  std::vector<double> u = rand(Shape{n}, g, {.dtype = DType::F64}).to_vector<double>();
  EXPECT_GE(*std::min_element(u.begin(), u.end()), 0.0);
  EXPECT_LT(*std::max_element(u.begin(), u.end()), 1.0);
  EXPECT_NEAR(std::accumulate(u.begin(), u.end(), 0.0) / double(n), 0.5, 0.005);
  std::vector<float> uf = uniform(Shape{n}, 2.0, 2.5, g).to_vector<float>();
  EXPECT_GE(*std::min_element(uf.begin(), uf.end()), 2.0f);
  EXPECT_LT(*std::max_element(uf.begin(), uf.end()), 2.5f);

  Tensor z = normal(Shape{n}, 1.5, 2.0, g, {.dtype = DType::F64});
  EXPECT_NEAR(mean(z).item<double>(), 1.5, 0.03);
  EXPECT_NEAR(std::sqrt(var(z).item<double>()), 2.0, 0.03);

  for (double k : {0.3, 1.0, 4.0}) {
    Tensor x = gamma(Shape{n}, k, g, {.dtype = DType::F64});
    EXPECT_NEAR(mean(x).item<double>(), k, 0.02 * std::max(1.0, k)) << "k = " << k;
    EXPECT_NEAR(var(x).item<double>(), k, 0.06 * std::max(1.0, k)) << "k = " << k;
    EXPECT_TRUE(all(gt(x, 0.0)));
  }

  std::vector<int64_t> r = randint(-3, 4, Shape{n}, g).to_vector<int64_t>();
  EXPECT_EQ(*std::min_element(r.begin(), r.end()), -3);
  EXPECT_EQ(*std::max_element(r.begin(), r.end()), 3);

  std::vector<uint8_t> bern = bernoulli(Shape{n}, 0.25, g).to_vector<uint8_t>();
  EXPECT_NEAR(double(std::accumulate(bern.begin(), bern.end(), int64_t(0))) / double(n), 0.25, 0.005);
  EXPECT_FALSE(any(bernoulli(Shape{100}, 0.0, g)));
  EXPECT_TRUE(all(bernoulli(Shape{100}, 1.0, g)));
}

TEST(RandomDistributions, Randperm) {
  Generator g(12);
  for (int64_t n : {0, 1, 2, 17, 1000}) {
    std::vector<int64_t> p = randperm(n, g).to_vector<int64_t>();
    ASSERT_EQ(int64_t(p.size()), n);
    std::sort(p.begin(), p.end());
    for (int64_t i = 0; i < n; ++i) EXPECT_EQ(p[size_t(i)], i);
  }
  Generator a(3), b(3);
  EXPECT_TRUE(bitwise_equal(randperm(50, a), randperm(50, b)));
}

TEST(RandomDistributions, RequiresGradOption) {
  Generator g(13);
  Tensor x = randn(Shape{3}, g, {.dtype = DType::F64, .requires_grad = true});
  EXPECT_TRUE(x.requires_grad());
  EXPECT_TRUE(x.is_leaf());
}

// ---- allocator ----------------------------------------------------------------------------------

TEST(Allocator, SizeClasses) {
  size_t prev = 0;
  for (size_t n : {size_t(0), size_t(1), size_t(64), size_t(65), size_t(100), size_t(128), size_t(129),
                   size_t(1000), size_t(4096), size_t(4097), size_t(1) << 20, (size_t(1) << 20) + 1}) {
    const size_t c = cpu_alloc_size_class(n);
    EXPECT_GE(c, n);
    EXPECT_GE(c, prev);
    EXPECT_EQ(c % 64, 0u) << n;
    EXPECT_LE(c, std::max<size_t>(64, n + n / 4 + 64)) << n;  // at most ~25% waste
    prev = c;
  }
}

TEST(Allocator, BlocksAreAlignedAndReused) {
  void* p = cpu_alloc(1000);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u);
  cpu_free(p, 1000);
  const AllocatorStats before = cpu_allocator_stats();
  void* q = cpu_alloc(990);  // same size class: served from the cache
  const AllocatorStats after = cpu_allocator_stats();
  EXPECT_EQ(q, p);
  EXPECT_EQ(after.cache_hits, before.cache_hits + 1);
  EXPECT_EQ(after.system_allocs, before.system_allocs);
  cpu_free(q, 990);
  cpu_empty_cache();
  EXPECT_EQ(cpu_allocator_stats().cached_bytes, 0u);
}

TEST(Allocator, SteadyStateTrainingLoopMakesNoSystemAllocations) {
  // A small regression step (forward, backward, parameter update) with the same shapes every
  // iteration: after warm-up, every tensor comes from the cache.
  Generator g(21);
  Tensor w1 = randn(Shape{8, 16}, g).requires_grad_();
  Tensor b1 = zeros(Shape{16}).requires_grad_();
  Tensor w2 = randn(Shape{16, 1}, g).requires_grad_();
  Tensor x = randn(Shape{32, 8}, g), y = randn(Shape{32, 1}, g);
  Tensor ln_w = ones(Shape{16}).requires_grad_();
  auto step = [&]() {
    Tensor h = tanh(layer_norm(matmul(x, w1) + b1, ln_w, Tensor()));
    Tensor pred = matmul(softmax(h, -1) * h, w2);
    Tensor loss = mean(square(pred - y));
    loss.backward();
    NoGradGuard ng;
    for (Tensor* p : {&w1, &b1, &w2, &ln_w}) {
      p->add_(p->grad(), -1e-3);
      p->zero_grad();
    }
  };
  for (int i = 0; i < 3; ++i) step();  // warm-up fills the cache
  const AllocatorStats before = cpu_allocator_stats();
  for (int i = 0; i < 20; ++i) step();
  const AllocatorStats after = cpu_allocator_stats();
  EXPECT_EQ(after.system_allocs, before.system_allocs);
  EXPECT_GT(after.allocations, before.allocations);  // the loop did allocate, from the cache
  EXPECT_EQ(after.cache_hits - before.cache_hits, after.allocations - before.allocations);
}

}  // namespace
}  // namespace amor
