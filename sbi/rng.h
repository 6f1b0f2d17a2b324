// Rng: scalar random draws for simulator and prior code.
//
// One Rng per simulation (or per prior draw): its numbers are a pure function of
// (seed, stream, index) through Philox-4x32-10 (kernels/cpu/philox.h), so a batch of n
// simulations run over any number of threads gives bit-identical results. Use a distinct
// `stream` for each purpose (prior draws, simulations, observation noise, ...) so they never
// share counters.
#pragma once

#include <cstdint>

#include "kernels/cpu/philox.h"

namespace amor::sbi {

// Streams used by the library itself; user code may use any value >= kUserStreamBase.
enum RngStream : uint64_t {
  kPriorStream = 1,
  kSimulatorStream = 2,
  kMetaStream = 3,
  kSplitStream = 4,  // train/validation splits, shuffles
  kUserStreamBase = 1u << 16,
};

class Rng {
 public:
  Rng(uint64_t seed, uint64_t stream, uint64_t index) : cursor_(seed, stream, index) {}

  uint64_t bits();                      // 64 uniform bits
  double uniform();                     // U[0, 1), 53-bit resolution
  double uniform(double lo, double hi); // U[lo, hi)
  double normal();                      // N(0, 1)
  double normal(double mean, double std);
  double lognormal(double mu, double sigma);   // exp(N(mu, sigma²))
  double gamma(double shape);                  // Gamma(shape, scale 1), Marsaglia–Tsang
  double beta(double a, double b);
  double student_t(double df);
  bool bernoulli(double p);
  int64_t randint(int64_t lo, int64_t hi);     // uniform in [lo, hi), unbiased
  int64_t binomial(int64_t n, double p);       // exact for every n (inversion / BTRS)
  int64_t poisson(double rate);
  int64_t categorical(const double* probs, int64_t k);  // probs need not be normalised

 private:
  kernels::cpu::PhiloxCursor cursor_;
  bool has_spare_ = false;  // Box–Muller pair
  double spare_ = 0.0;
};

}  // namespace amor::sbi
