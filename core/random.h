// Random tensors from an explicit counter-based generator.
//
// A Generator is (seed, stream, offset). Every random op reserves a block of counters from
// `offset` and element i of its output is a pure function of (seed, stream, offset + i) through
// Philox-4x32-10 (kernels/cpu/philox.h). So the numbers do not depend on the thread count or on
// how the work is split, and two generators with different streams are independent.
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace amor {

class Generator {
 public:
  explicit Generator(uint64_t seed = 0, uint64_t stream = 0) : seed_(seed), stream_(stream) {}

  uint64_t seed() const { return seed_; }
  uint64_t stream() const { return stream_; }
  uint64_t offset() const { return offset_; }
  void set_offset(uint64_t o) { offset_ = o; }
  // Reserves `n` counters and returns the first.
  uint64_t advance(uint64_t n) {
    uint64_t o = offset_;
    offset_ += n;
    return o;
  }
  // An independent generator derived from this one (e.g. one per thread or per simulation).
  Generator fork(uint64_t sub_stream) const;

 private:
  uint64_t seed_, stream_, offset_ = 0;
};

Tensor rand(const Shape& shape, Generator& gen, TensorOptions o = {});   // U[0, 1)
Tensor uniform(const Shape& shape, double lo, double hi, Generator& gen, TensorOptions o = {});
Tensor randn(const Shape& shape, Generator& gen, TensorOptions o = {});  // N(0, 1)
Tensor normal(const Shape& shape, double mean, double std, Generator& gen, TensorOptions o = {});
// Integers uniform in [lo, hi) as int64.
Tensor randint(int64_t lo, int64_t hi, const Shape& shape, Generator& gen);
// Bernoulli(p) as bool; p may be a scalar or a tensor of probabilities.
Tensor bernoulli(const Shape& shape, double p, Generator& gen);
Tensor bernoulli(const Tensor& p, Generator& gen);
// Gamma(shape k, scale 1) per element (k > 0), Marsaglia–Tsang.
Tensor gamma(const Tensor& concentration, Generator& gen);
Tensor gamma(const Shape& shape, double concentration, Generator& gen, TensorOptions o = {});
// A random permutation of 0..n-1 (int64).
Tensor randperm(int64_t n, Generator& gen);

}  // namespace amor
