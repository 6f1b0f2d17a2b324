// NumpyRandomState: the random streams of numpy.random.RandomState(seed), bit for bit.
//
// Why this exists: scikit-learn's MLPClassifier and KFold draw their initial weights, epoch
// shuffles and fold assignment from a legacy RandomState seeded with an integer. Replaying those
// streams exactly lets amor's C2ST start from the same weights, see the same mini-batches and
// use the same folds as sbibm's C2ST, so the two differ only by floating-point summation order.
// It is used for nothing else; amor's own randomness comes from core/random.h (Philox).
//
// RandomState(seed) for an integer seed is MT19937 with the reference init_genrand seeding,
// which std::mt19937 implements identically (its output sequence is fixed by the C++
// standard). On top of the 32-bit outputs numpy defines:
//   random_sample  = ((a >> 5) · 2^26 + (b >> 6)) / 2^53 from two outputs a, b
//   uniform(lo,hi) = lo + (hi - lo) · random_sample
//   shuffle        = Fisher–Yates from the back, j drawn by `random_interval(i)`: the smallest
//                    all-ones mask >= i, 32-bit draws & mask, rejected while > i.
// Known answers (checked in tests/sbi/test_numpy_random_state.cpp against numpy 2.4):
//   RandomState(1).uniform(-0.3, 0.3, 2) = [-0.0497867971784556, 0.1321946960652949]
#pragma once

#include <cstdint>
#include <random>

namespace amor::sbi {

class NumpyRandomState {
 public:
  explicit NumpyRandomState(uint32_t seed) : engine_(seed) {}

  uint32_t next_uint32() { return static_cast<uint32_t>(engine_()); }
  // [0, 1) with 53 random bits, numpy's random_sample().
  double random_sample() {
    const uint32_t a = next_uint32() >> 5, b = next_uint32() >> 6;
    return (double(a) * 67108864.0 + double(b)) / 9007199254740992.0;
  }
  double uniform(double lo, double hi) { return lo + (hi - lo) * random_sample(); }
  // Uniform integer in [0, max], numpy's legacy random_interval (max < 2^32 here).
  uint32_t random_interval(uint32_t max);
  // In-place Fisher–Yates exactly as RandomState.shuffle on a 1-D array.
  template <class Int>
  void shuffle(Int* values, int64_t n) {
    for (int64_t i = n - 1; i >= 1; --i) {
      const int64_t j = random_interval(static_cast<uint32_t>(i));
      const Int tmp = values[i];
      values[i] = values[j];
      values[j] = tmp;
    }
  }

 private:
  std::mt19937 engine_;
};

inline uint32_t NumpyRandomState::random_interval(uint32_t max) {
  if (max == 0) return 0;
  uint32_t mask = max;
  mask |= mask >> 1;
  mask |= mask >> 2;
  mask |= mask >> 4;
  mask |= mask >> 8;
  mask |= mask >> 16;
  uint32_t value;
  while ((value = next_uint32() & mask) > max) {
  }
  return value;
}

}  // namespace amor::sbi
