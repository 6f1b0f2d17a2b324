// Philox-4x32-10, the counter-based generator of Salmon, Moraes, Dror & Shaw, "Parallel random
// numbers: as easy as 1, 2, 3" (SC 2011), as in Random123's philox4x32_R(10, ...).
//
// A 128-bit counter and a 64-bit key map to 128 random bits through 10 rounds of a keyed
// bijection; there is no state to carry, so element i of any fill can be computed on its own
// by any thread (or CUDA thread: everything here is AMOR_HOST_DEVICE and header-only).
#pragma once

#include <cstdint>

#include "kernels/host_device.h"

namespace amor::kernels::cpu {

struct Philox4 {
  uint32_t v[4];
};

inline constexpr uint32_t kPhiloxM0 = 0xD2511F53u;  // round multipliers
inline constexpr uint32_t kPhiloxM1 = 0xCD9E8D57u;
inline constexpr uint32_t kPhiloxW0 = 0x9E3779B9u;  // Weyl key increments (golden ratio, sqrt 3 - 1)
inline constexpr uint32_t kPhiloxW1 = 0xBB67AE85u;

namespace philox_detail {

AMOR_HOST_DEVICE constexpr uint32_t mulhi(uint32_t a, uint32_t b) {
  return uint32_t((uint64_t(a) * uint64_t(b)) >> 32);
}

// One round: two 32x32 -> 64 multiplies, the high halves xored with the other words and key.
AMOR_HOST_DEVICE constexpr Philox4 philox_round(Philox4 c, uint32_t k0, uint32_t k1) {
  const uint32_t hi0 = mulhi(kPhiloxM0, c.v[0]), lo0 = kPhiloxM0 * c.v[0];
  const uint32_t hi1 = mulhi(kPhiloxM1, c.v[2]), lo1 = kPhiloxM1 * c.v[2];
  return Philox4{{hi1 ^ c.v[1] ^ k0, lo1, hi0 ^ c.v[3] ^ k1, lo0}};
}

}  // namespace philox_detail

// 128 random bits for (counter, key). Known answers (Random123 kat_vectors):
//   counter 0,           key 0                 -> 6627e8d5 e169c58d bc57ac4c 9b00dbd8
//   counter ffffffff x4, key ffffffff ffffffff -> 408f276d 41c83b0e a20bc7c6 6d5451fd
AMOR_HOST_DEVICE constexpr Philox4 philox4x32_10(Philox4 counter, uint32_t key0, uint32_t key1) {
  Philox4 c = philox_detail::philox_round(counter, key0, key1);
  for (int r = 1; r < 10; ++r) {
    key0 += kPhiloxW0;
    key1 += kPhiloxW1;
    c = philox_detail::philox_round(c, key0, key1);
  }
  return c;
}

// [0, 1) with 24-bit resolution: the top 24 bits times 2^-24 (exact in float, never 1).
AMOR_HOST_DEVICE constexpr float uint32_to_unit_float(uint32_t x) {
  return float(x >> 8) * (1.0f / 16777216.0f);
}

// [0, 1) with 53-bit resolution from 64 bits (hi:lo): the top 53 bits times 2^-53.
AMOR_HOST_DEVICE constexpr double uint64_to_unit_double(uint32_t hi, uint32_t lo) {
  const uint64_t x = (uint64_t(hi) << 32) | uint64_t(lo);
  return double(x >> 11) * (1.0 / 9007199254740992.0);
}

// ---------------------------------------------------------------------------------------------
// Counter scheme shared by every random fill (CPU and, later, CUDA)
// ---------------------------------------------------------------------------------------------
//
// Element e (= offset + i) of a fill with (seed, stream) owns the sequence of Philox blocks
//   block(e, d) = philox4x32_10(counter = {lo32(e), hi32(e), lo32(stream), hi32(stream)},
//                               key0 = lo32(seed), key1 = hi32(seed) ^ (d * kPhiloxDrawMul))
// for draw numbers d = 0, 1, 2, ... Most elements need only block 0 (4 words); rejection
// samplers (randint, gamma) walk on to d = 1, 2, ... when a proposal is rejected.
//
// Why this never collides: for one seed, the counter carries the full 64-bit element index and
// the full 64-bit stream, so different (element, stream) pairs have different counters; the draw
// number lives in the key, and d -> d * kPhiloxDrawMul (odd) is a bijection on 32 bits, so
// different draws have different keys. Philox is a bijection of the counter for each key, and
// different keys are independent streams. Draw 0 is plain philox4x32_10(counter, seed). Two
// different seeds can only share a block when their high halves differ by exactly
// (d * M) ^ (d' * M) for some draws d != d' and their low halves agree: never for seeds < 2^32.
// (Reserving counter bits for d instead would cap the stream or the element index.)
inline constexpr uint32_t kPhiloxDrawMul = 0x85EBCA6Bu;

AMOR_HOST_DEVICE constexpr Philox4 philox_element_block(uint64_t seed, uint64_t stream,
                                                        uint64_t element, uint32_t draw) {
  return philox4x32_10(Philox4{{uint32_t(element), uint32_t(element >> 32), uint32_t(stream),
                                uint32_t(stream >> 32)}},
                       uint32_t(seed), uint32_t(seed >> 32) ^ (draw * kPhiloxDrawMul));
}

// The words of one element's sequence, in order: block(e, 0).v[0..3], block(e, 1).v[0..3], ...
struct PhiloxCursor {
  uint64_t seed, stream, element;
  uint32_t draw = 0;  // next block to generate
  int pos = 4;        // next word of `buf`; 4 = empty
  Philox4 buf{};

  AMOR_HOST_DEVICE constexpr PhiloxCursor(uint64_t seed_, uint64_t stream_, uint64_t element_)
      : seed(seed_), stream(stream_), element(element_) {}

  AMOR_HOST_DEVICE constexpr uint32_t next_u32() {
    if (pos == 4) {
      buf = philox_element_block(seed, stream, element, draw++);
      pos = 0;
    }
    return buf.v[pos++];
  }
  // Two words, the first one high.
  AMOR_HOST_DEVICE constexpr uint64_t next_u64() {
    const uint32_t hi = next_u32();
    return (uint64_t(hi) << 32) | next_u32();
  }
  AMOR_HOST_DEVICE constexpr float next_float() { return uint32_to_unit_float(next_u32()); }
  AMOR_HOST_DEVICE constexpr double next_double() {
    const uint32_t hi = next_u32();
    return uint64_to_unit_double(hi, next_u32());
  }
};

}  // namespace amor::kernels::cpu
