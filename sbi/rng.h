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

  // Invalid arguments never throw (simulators call these in hot loops); they give a documented
  // sentinel instead: NaN for the real-valued draws, -1 for the counts, as listed per function.
  uint64_t bits();                      // 64 uniform bits
  double uniform();                     // U[0, 1), 53-bit resolution
  double uniform(double lo, double hi); // U[lo, hi); lo >= hi gives lo + (hi - lo)·u
  double normal();                      // N(0, 1), Box–Muller (the second value is kept)
  double normal(double mean, double std);
  double lognormal(double mu, double sigma);   // exp(N(mu, sigma²))
  // Gamma(shape, scale 1), Marsaglia–Tsang (shape < 1 boosted). shape <= 0 / NaN -> NaN.
  double gamma(double shape);
  double beta(double a, double b);             // a, b <= 0, NaN or inf -> NaN
  double student_t(double df);                 // df <= 0 / NaN -> NaN; df = inf -> N(0, 1)
  bool bernoulli(double p);                    // p <= 0 or NaN -> false; p >= 1 -> true
  int64_t randint(int64_t lo, int64_t hi);     // uniform in [lo, hi), unbiased; hi <= lo -> lo
  // Exact for every n (inversion for n·p < 10, BTRS otherwise). n < 0 or n > 2^62, p NaN or
  // outside [0, 1] -> -1.
  int64_t binomial(int64_t n, double p);
  int64_t poisson(double rate);                // rate < 0, NaN, inf or > 4.6e18 -> -1
  // Index i with probability probs[i] / sum(probs); probs need not be normalised. k <= 0, a
  // negative / NaN / infinite weight, or all weights 0 -> -1.
  int64_t categorical(const double* probs, int64_t k);

 private:
  kernels::cpu::PhiloxCursor cursor_;
  bool has_spare_ = false;  // Box–Muller pair
  double spare_ = 0.0;
};

}  // namespace amor::sbi
