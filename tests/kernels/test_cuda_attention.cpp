// kernels/cuda/attention_device.cuh through the CPU execution harness: forward and backward
// against the kernels/cpu twin on random shapes (T 4..256, D up to 128), layouts and masks ([T,T]
// and [B,T,T]), the fully-masked contract exactly (out = 0, lse = +inf, zero gradients), and the
// same bits under every thread/block schedule (no race between barriers).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "tests/kernels/cuda_harness_util.h"
// The device code after the harness.
#include "kernels/cpu/attention.h"
#include "kernels/cuda/attention_device.cuh"

namespace amor::kernels::cuda {
namespace {

using namespace testing;  // NOLINT: the harness test helpers
using cpu::AttentionParams;

enum class Layout { contiguous, packed_qkv, heads_first };
enum class MaskKind { none, shared, per_batch, all_true, diagonal, all_false };

struct Case {
  int64_t B, T, H, D;
  Layout layout;
  MaskKind mask;
  std::string str() const {
    std::ostringstream os;
    os << "B=" << B << " T=" << T << " H=" << H << " D=" << D << " layout=" << int(layout)
       << " mask=" << int(mask);
    return os.str();
  }
};

// q, k, v in slots 0, 1, 2 of one buffer (packed [B, T, 3, H, D], or separate tensors);
// out, dout and the gradients with the same addressing (gradients dq/dk/dv in slots 0/1/2).
struct Geometry {
  int64_t sb = 0, st = 0, sh = 0, slot = 0, size = 0;
  Geometry(const Case& c) {
    const int64_t B = c.B, T = c.T, H = c.H, D = c.D;
    switch (c.layout) {
      case Layout::packed_qkv: st = 3 * H * D, sb = T * st, sh = D, slot = H * D; break;
      case Layout::contiguous: st = H * D, sb = T * st, sh = D, slot = B * T * H * D; break;
      case Layout::heads_first: st = D, sh = T * D, sb = H * T * D, slot = B * T * H * D; break;
    }
    size = 3 * B * T * H * D;
  }
};

std::vector<uint8_t> make_mask(const Case& c, std::mt19937& rng, int64_t* mask_sb) {
  const int64_t T = c.T;
  const int64_t nb = c.mask == MaskKind::per_batch ? c.B : 1;
  *mask_sb = c.mask == MaskKind::per_batch ? T * T : 0;
  std::vector<uint8_t> m(size_t(nb * T * T), 0);
  std::bernoulli_distribution half(0.5);
  for (int64_t b = 0; b < nb; ++b) {
    uint8_t* mb = m.data() + b * T * T;
    for (int64_t i = 0; i < T; ++i)
      for (int64_t j = 0; j < T; ++j) {
        uint8_t v = 0;
        switch (c.mask) {
          case MaskKind::all_true: v = 1; break;
          case MaskKind::diagonal: v = i == j; break;
          case MaskKind::all_false: v = 0; break;
          default: v = (i == j || half(rng)) ? uint8_t(1 + rng() % 200) : 0; break;
        }
        mb[i * T + j] = v;
      }
    if (c.mask == MaskKind::shared || c.mask == MaskKind::per_batch) {
      // One fully masked query row and one key nobody attends.
      const int64_t i = int64_t(rng() % uint64_t(T)), j = int64_t(rng() % uint64_t(T));
      for (int64_t x = 0; x < T; ++x) mb[i * T + x] = 0, mb[x * T + j] = 0;
    }
  }
  return m;
}

template <class T>
struct Outputs {
  std::vector<T> out, lse, grads;
};

constexpr double kSentinel = -777.0;

template <class T, class Fwd, class Bwd>
Outputs<T> run(const Geometry& g, const AttentionParams& p, const std::vector<T>& x,
               const std::vector<T>& dout, Fwd&& fwd, Bwd&& bwd) {
  Outputs<T> o;
  o.out.assign(size_t(g.size), T(kSentinel));
  o.lse.assign(size_t(p.B * p.H * p.T), T(kSentinel));
  o.grads.assign(size_t(g.size), T(kSentinel));
  const T* q = x.data();
  fwd(p, q, q + g.slot, q + 2 * g.slot, o.out.data(), o.lse.data());
  T* d = o.grads.data();
  bwd(p, q, q + g.slot, q + 2 * g.slot, o.out.data(), o.lse.data(), dout.data(), d, d + g.slot,
      d + 2 * g.slot);
  return o;
}

template <class T>
void check_case(const Case& c, uint32_t seed, bool all_orders) {
  SCOPED_TRACE(c.str());
  std::mt19937 rng(seed);
  const Geometry g(c);
  std::uniform_real_distribution<double> u(-1.5, 1.5);
  std::vector<T> x(size_t(g.size));
  for (auto& e : x) e = T(u(rng));
  // dout only in out's view (slot 0); the other slots are NaN and must never be read.
  std::vector<T> dout(size_t(g.size), std::numeric_limits<T>::quiet_NaN());
  for (int64_t b = 0; b < c.B; ++b)
    for (int64_t t = 0; t < c.T; ++t)
      for (int64_t h = 0; h < c.H; ++h)
        for (int64_t d = 0; d < c.D; ++d) dout[size_t(b * g.sb + t * g.st + h * g.sh + d)] = T(u(rng));
  int64_t mask_sb = 0;
  const std::vector<uint8_t> mask = make_mask(c, rng, &mask_sb);
  const AttentionParams p = AttentionParams::same_layout(
      c.B, c.T, c.H, c.D, {g.sb, g.st, g.sh}, c.mask == MaskKind::none ? nullptr : mask.data(),
      mask_sb, 1.0 / std::sqrt(double(c.D)));

  const Outputs<T> want = run<T>(
      g, p, x, dout, [](auto&&... a) { cpu::attention_fwd<T>(a...); },
      [](auto&&... a) { cpu::attention_bwd<T>(a...); });
  std::vector<HarnessLaunch> launches = all_orders ? all_schedules(seed) : std::vector<HarnessLaunch>{{}};
  Outputs<T> first;
  for (size_t li = 0; li < launches.size(); ++li) {
    const HarnessLaunch launch = launches[li];
    SCOPED_TRACE(schedule_name(launch.schedule));
    const Outputs<T> got = run<T>(
        g, p, x, dout,
        [&](auto&&... a) { run_attention_fwd<T>(a..., launch); },
        [&](auto&&... a) { run_attention_bwd<T>(a..., launch); });
    if (li == 0) {
      expect_close("out", got.out, want.out);
      expect_close("lse", got.lse, want.lse);
      // Gradients sum over T keys or queries: scale the absolute tolerance with T.
      expect_close("grads", got.grads, want.grads, std::sqrt(double(c.T)));
      first = got;
    } else {
      expect_identical("out", got.out, first.out);
      expect_identical("lse", got.lse, first.lse);
      expect_identical("grads", got.grads, first.grads);
    }
  }

  // The contract, exactly: fully masked rows (and keys nobody attends) give zeros, lse = +inf.
  auto allowed = [&](int64_t b, int64_t i, int64_t j) {
    return c.mask == MaskKind::none || mask[size_t(b * mask_sb + i * c.T + j)] != 0;
  };
  int bad = 0;
  for (int64_t b = 0; b < c.B; ++b)
    for (int64_t t = 0; t < c.T; ++t) {
      bool row_masked = true, key_unseen = true;
      for (int64_t j = 0; j < c.T; ++j) {
        row_masked = row_masked && !allowed(b, t, j);
        key_unseen = key_unseen && !allowed(b, j, t);
      }
      for (int64_t h = 0; h < c.H; ++h) {
        if (row_masked && first.lse[size_t((b * c.H + h) * c.T + t)] != std::numeric_limits<T>::infinity() && bad++ < 5)
          ADD_FAILURE() << "lse of fully masked row " << t << " is not +inf";
        for (int64_t d = 0; d < c.D; ++d) {
          const int64_t at = b * g.sb + t * g.st + h * g.sh + d;
          if (row_masked && (first.out[size_t(at)] != T(0) || first.grads[size_t(at)] != T(0)) && bad++ < 5)
            ADD_FAILURE() << "fully masked row " << t << ": out/dq not exactly 0";
          if (key_unseen && (first.grads[size_t(at + g.slot)] != T(0) ||
                             first.grads[size_t(at + 2 * g.slot)] != T(0)) && bad++ < 5)
            ADD_FAILURE() << "key " << t << " nobody attends: dk/dv not exactly 0";
        }
      }
    }
  for (const T v : first.grads) ASSERT_FALSE(std::isnan(double(v))) << "NaN in a gradient";
}

template <class T>
class CudaAttentionHarness : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(CudaAttentionHarness, FloatTypes);

// The mask contracts of aesthetics.md §3.3 at T below, at and above one 32-key tile.
TYPED_TEST(CudaAttentionHarness, MaskContracts) {
  uint32_t seed = 11;
  for (MaskKind mk : {MaskKind::none, MaskKind::all_true, MaskKind::diagonal, MaskKind::all_false,
                      MaskKind::shared, MaskKind::per_batch})
    for (int64_t T : {4, 33})
      check_case<TypeParam>({2, T, 2, 8, Layout::contiguous, mk}, seed++, T == 33);
}

// Random shapes over T 4..100, D 1..128 (every head-dim lane count), layouts and masks.
TYPED_TEST(CudaAttentionHarness, RandomShapesMatchCpuTwin) {
  std::mt19937 rng(2024);
  std::uniform_int_distribution<int64_t> B(1, 2), H(1, 3), T(4, 100), D(1, 128);
  for (int i = 0; i < 8; ++i) {
    const Case c{B(rng), T(rng), H(rng), i < 3 ? 1 + i * 40 : D(rng), Layout(i % 3),
                 i % 2 ? MaskKind::per_batch : MaskKind::shared};
    check_case<TypeParam>(c, 100 + uint32_t(i), i < 2);
  }
}

TYPED_TEST(CudaAttentionHarness, LongSequence) {
  check_case<TypeParam>({1, 256, 1, 5, Layout::packed_qkv, MaskKind::per_batch}, 7, false);
}

TEST(CudaAttentionHarness, RejectsShapesBeyondTheKernels) {
  AttentionParams p;
  p.B = p.T = p.H = 1;
  p.D = 129;
  std::vector<float> buf(1024);
  EXPECT_THROW(run_attention_fwd<float>(p, buf.data(), buf.data(), buf.data(), buf.data(),
                                        buf.data(), HarnessLaunch{}),
               std::invalid_argument);
  p.D = 8;
  p.T = 65535 * 16 + 1;  // more query tiles than grid.y allows
  EXPECT_THROW(run_attention_fwd<float>(p, buf.data(), buf.data(), buf.data(), buf.data(),
                                        buf.data(), HarnessLaunch{}),
               std::invalid_argument);
}

}  // namespace
}  // namespace amor::kernels::cuda
