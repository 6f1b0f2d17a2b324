// kernels/cpu/attention: fused masked attention against a naive double-precision twin
// (materialised scores, mask, softmax, matmuls), the twin's hand-derived backward against
// central finite differences, the fully-masked contract, and thread-count determinism.
#include "kernels/cpu/attention.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "tests/kernels/cpu_test_util.h"

namespace amor::kernels::cpu {
namespace {

using namespace testing;  // NOLINT: the kernel test helpers

constexpr double kInfD = std::numeric_limits<double>::infinity();
constexpr double kNaND = std::numeric_limits<double>::quiet_NaN();

// ---------------------------------------------------------------------------------------------
// Problem setup: q, k, v live in three "slots" of one buffer, addressed as
//   slot·slot_stride + b·sb + t·st + h·sh + d.
// Layouts: packed qkv [B, T, 3, H, D] (how the layer calls the kernel), three contiguous
// [B, T, H, D] tensors, and three [B, H, T, D] tensors (token stride D, head stride T·D).
// out, dout and the gradients use the same addressing, in their own buffers: out and dout in
// slot 0 (the other slots of out hold a sentinel that must survive, those of dout NaN that must
// not be read), dq/dk/dv in slots 0/1/2.

enum class Layout { packed_qkv, contiguous, heads_first };
enum class MaskKind { none, shared, per_batch };

struct Shape {
  int64_t B, T, H, D;
};

struct Geometry {
  Shape s;
  int64_t sb, st, sh, slot, size;
  Geometry(Shape shape, Layout layout) : s(shape) {
    const int64_t B = s.B, T = s.T, H = s.H, D = s.D;
    switch (layout) {
      case Layout::packed_qkv:
        st = 3 * H * D, sb = T * st, sh = D, slot = H * D;
        break;
      case Layout::contiguous:
        st = H * D, sb = T * st, sh = D, slot = B * T * H * D;
        break;
      case Layout::heads_first:
        st = D, sh = T * D, sb = H * T * D, slot = B * T * H * D;
        break;
    }
    size = 3 * B * T * H * D;
  }
  int64_t at(int64_t slot_index, int64_t b, int64_t t, int64_t h, int64_t d) const {
    return slot_index * slot + b * sb + t * st + h * sh + d;
  }
};

std::string describe(Shape s, Layout layout, MaskKind mk) {
  std::ostringstream os;
  os << "B=" << s.B << " T=" << s.T << " H=" << s.H << " D=" << s.D << " layout="
     << int(layout) << " mask=" << int(mk);
  return os.str();
}

// Random mask: Bernoulli(density), then a few rows and columns forced fully masked; nonzero
// entries take several values (anything != 0 allows). [T, T] (shared) or [B, T, T].
std::vector<uint8_t> make_mask(MaskKind mk, Shape s, std::mt19937& rng) {
  if (mk == MaskKind::none) return {};
  const int64_t nb = mk == MaskKind::shared ? 1 : s.B, T = s.T;
  std::vector<uint8_t> m(size_t(nb * T * T));
  std::uniform_real_distribution<double> u(0, 1);
  const double densities[] = {0.2, 0.5, 0.9, 1.0};
  const double density = densities[rng() % 4];
  std::uniform_int_distribution<int> value(1, 255);
  for (auto& e : m) e = u(rng) < density ? uint8_t(value(rng) % 2 ? 1 : value(rng)) : 0;
  for (int64_t b = 0; b < nb; ++b) {
    uint8_t* mb = m.data() + b * T * T;
    if (T > 1 && u(rng) < 0.7) {  // a fully masked query row
      const int64_t i = int64_t(rng() % uint64_t(T));
      for (int64_t j = 0; j < T; ++j) mb[i * T + j] = 0;
    }
    if (T > 1 && u(rng) < 0.7) {  // a key no query can see
      const int64_t j = int64_t(rng() % uint64_t(T));
      for (int64_t i = 0; i < T; ++i) mb[i * T + j] = 0;
    }
  }
  return m;
}

bool allowed(const std::vector<uint8_t>& mask, MaskKind mk, Shape s, int64_t b, int64_t i,
             int64_t j) {
  if (mk == MaskKind::none) return true;
  const int64_t mb = mk == MaskKind::shared ? 0 : b;
  return mask[size_t((mb * s.T + i) * s.T + j)] != 0;
}

// ---------------------------------------------------------------------------------------------
// Naive twin in double: per (b, h) materialise S [T, T], mask, softmax, then O = P V; backward
// from the same P: dP = dO Vᵀ, Δ_i = Σ_j P_ij dP_ij, dS = P ∘ (dP − Δ), dQ = scale·dS K,
// dK = scale·dSᵀ Q, dV = Pᵀ dO. Reads/writes through a Geometry; lse: [B, H, T].

struct Reference {
  std::vector<double> out, lse, dq, dk, dv;  // out/dq/dk/dv: slot 0 of a Geometry-sized buffer
};

template <class T>
Reference reference(const Geometry& g, double scale, const std::vector<uint8_t>& mask,
                    MaskKind mk, const std::vector<T>& x, const std::vector<T>* dout) {
  const Shape s = g.s;
  const int64_t Tn = s.T, D = s.D;
  Reference r;
  r.out.assign(size_t(g.size), 0.0);
  r.lse.assign(size_t(s.B * s.H * Tn), 0.0);
  r.dq = r.dk = r.dv = r.out;
  std::vector<double> P(size_t(Tn * Tn)), dS(size_t(Tn * Tn));
  auto X = [&](int64_t slot, int64_t b, int64_t t, int64_t h, int64_t d) {
    return double(x[size_t(g.at(slot, b, t, h, d))]);
  };
  for (int64_t b = 0; b < s.B; ++b)
    for (int64_t h = 0; h < s.H; ++h) {
      for (int64_t i = 0; i < Tn; ++i) {
        double m = -kInfD;
        for (int64_t j = 0; j < Tn; ++j) {
          double dot = 0;
          for (int64_t d = 0; d < D; ++d) dot += X(0, b, i, h, d) * X(1, b, j, h, d);
          P[size_t(i * Tn + j)] = allowed(mask, mk, s, b, i, j) ? scale * dot : -kInfD;
          m = std::max(m, P[size_t(i * Tn + j)]);
        }
        double sum = 0;
        for (int64_t j = 0; j < Tn; ++j) {
          double& pij = P[size_t(i * Tn + j)];
          pij = pij == -kInfD ? 0.0 : std::exp(pij - m);
          sum += pij;
        }
        for (int64_t j = 0; j < Tn; ++j) {
          double& pij = P[size_t(i * Tn + j)];
          pij = sum > 0 ? pij / sum : 0.0;
        }
        r.lse[size_t((b * s.H + h) * Tn + i)] = sum > 0 ? m + std::log(sum) : kInfD;
        for (int64_t d = 0; d < D; ++d) {
          double o = 0;
          for (int64_t j = 0; j < Tn; ++j) o += P[size_t(i * Tn + j)] * X(2, b, j, h, d);
          r.out[size_t(g.at(0, b, i, h, d))] = o;
        }
      }
      if (dout == nullptr) continue;
      auto G = [&](int64_t t, int64_t d) { return double((*dout)[size_t(g.at(0, b, t, h, d))]); };
      for (int64_t i = 0; i < Tn; ++i) {
        double delta = 0;
        std::vector<double> dP(static_cast<size_t>(Tn));
        for (int64_t j = 0; j < Tn; ++j) {
          double dp = 0;
          for (int64_t d = 0; d < D; ++d) dp += G(i, d) * X(2, b, j, h, d);
          dP[size_t(j)] = dp;
          delta += P[size_t(i * Tn + j)] * dp;
        }
        for (int64_t j = 0; j < Tn; ++j)
          dS[size_t(i * Tn + j)] = P[size_t(i * Tn + j)] * (dP[size_t(j)] - delta);
      }
      for (int64_t i = 0; i < Tn; ++i)
        for (int64_t d = 0; d < D; ++d) {
          double dq = 0, dk = 0, dv = 0;
          for (int64_t j = 0; j < Tn; ++j) {
            dq += dS[size_t(i * Tn + j)] * X(1, b, j, h, d);
            dk += dS[size_t(j * Tn + i)] * X(0, b, j, h, d);
            dv += P[size_t(j * Tn + i)] * G(j, d);
          }
          r.dq[size_t(g.at(0, b, i, h, d))] = scale * dq;
          r.dk[size_t(g.at(0, b, i, h, d))] = scale * dk;
          r.dv[size_t(g.at(0, b, i, h, d))] = dv;
        }
    }
  return r;
}

// ---------------------------------------------------------------------------------------------
// One random case through the kernel, checked element by element.

template <class T>
struct Tol;
template <>
struct Tol<float> {
  static constexpr double atol = 1e-5, rtol = 1e-5;
};
template <>
struct Tol<double> {
  static constexpr double atol = 1e-10, rtol = 1e-10;
};

constexpr double kSentinel = -777.0;

template <class T>
struct KernelRun {
  std::vector<T> out, lse, grads;  // out: Geometry-sized; grads: dq/dk/dv in slots 0/1/2
};

template <class T>
KernelRun<T> run_kernel(const Geometry& g, const AttentionParams& p, const std::vector<T>& x,
                  const std::vector<T>& dout) {
  KernelRun<T> r;
  r.out.assign(size_t(g.size), T(kSentinel));
  r.lse.assign(size_t(g.s.B * g.s.H * g.s.T), T(kSentinel));
  r.grads.assign(size_t(g.size), T(kSentinel));
  const T* q = x.data();
  attention_fwd<T>(p, q, q + g.slot, q + 2 * g.slot, r.out.data(), r.lse.data());
  T* dx = r.grads.data();
  attention_bwd<T>(p, q, q + g.slot, q + 2 * g.slot, r.out.data(), r.lse.data(), dout.data(), dx,
                   dx + g.slot, dx + 2 * g.slot);
  return r;
}

template <class T>
void check_case(Shape s, Layout layout, MaskKind mk, std::mt19937& rng) {
  SCOPED_TRACE(describe(s, layout, mk));
  const Geometry g(s, layout);
  std::vector<T> x = random_vector<T>(g.size, rng);
  std::vector<T> dout(size_t(g.size), T(kNaND));  // only slot 0 may be read
  std::uniform_real_distribution<double> u(-1, 1);
  for (int64_t b = 0; b < s.B; ++b)
    for (int64_t t = 0; t < s.T; ++t)
      for (int64_t h = 0; h < s.H; ++h)
        for (int64_t d = 0; d < s.D; ++d) dout[size_t(g.at(0, b, t, h, d))] = T(u(rng));
  const std::vector<uint8_t> mask = make_mask(mk, s, rng);
  const double scale = 1.0 / std::sqrt(double(std::max<int64_t>(s.D, 1)));
  const AttentionParams p = AttentionParams::same_layout(
      s.B, s.T, s.H, s.D, {g.sb, g.st, g.sh}, mk == MaskKind::none ? nullptr : mask.data(),
      mk == MaskKind::per_batch ? s.T * s.T : 0, scale);

  const KernelRun<T> got = run_kernel(g, p, x, dout);
  const Reference ref = reference(g, scale, mask, mk, x, &dout);

  int bad = 0;
  auto expect = [&](const char* what, double v, double want, int64_t b, int64_t t, int64_t h,
                    int64_t d) {
    if (std::isnan(v) && bad++ < 5) ADD_FAILURE() << what << " is NaN";
    if (!close(v, want, Tol<T>::atol, Tol<T>::rtol) && bad++ < 5)
      ADD_FAILURE() << what << "[b=" << b << " t=" << t << " h=" << h << " d=" << d << "] got "
                    << v << " want " << want;
  };
  for (int64_t b = 0; b < s.B; ++b)
    for (int64_t h = 0; h < s.H; ++h)
      for (int64_t t = 0; t < s.T; ++t) {
        const double lse = double(got.lse[size_t((b * s.H + h) * s.T + t)]);
        const double lse_ref = ref.lse[size_t((b * s.H + h) * s.T + t)];
        expect("lse", lse, lse_ref, b, t, h, -1);
        bool row_masked = true, col_masked = true;
        for (int64_t j = 0; j < s.T; ++j) {
          row_masked = row_masked && !allowed(mask, mk, s, b, t, j);
          col_masked = col_masked && !allowed(mask, mk, s, b, j, t);
        }
        if (row_masked) {
          EXPECT_EQ(lse, kInfD);
        }
        for (int64_t d = 0; d < s.D; ++d) {
          const int64_t i0 = g.at(0, b, t, h, d);
          const double o = double(got.out[size_t(i0)]);
          const double dq = double(got.grads[size_t(i0)]);
          const double dk = double(got.grads[size_t(g.at(1, b, t, h, d))]);
          const double dv = double(got.grads[size_t(g.at(2, b, t, h, d))]);
          expect("out", o, ref.out[size_t(i0)], b, t, h, d);
          expect("dq", dq, ref.dq[size_t(i0)], b, t, h, d);
          expect("dk", dk, ref.dk[size_t(i0)], b, t, h, d);
          expect("dv", dv, ref.dv[size_t(i0)], b, t, h, d);
          if (row_masked && (o != 0.0 || dq != 0.0) && bad++ < 5)
            ADD_FAILURE() << "fully masked row " << t << " (b=" << b << " h=" << h
                          << "): out " << o << " dq " << dq << ", want exact zeros";
          if (col_masked && (dk != 0.0 || dv != 0.0) && bad++ < 5)
            ADD_FAILURE() << "fully masked key " << t << " (b=" << b << " h=" << h
                          << "): dk " << dk << " dv " << dv << ", want exact zeros";
        }
      }
  // Nothing written outside out's slot 0; every gradient element written.
  std::vector<char> in_view(size_t(g.size), 0);
  for (int64_t b = 0; b < s.B; ++b)
    for (int64_t t = 0; t < s.T; ++t)
      for (int64_t h = 0; h < s.H; ++h)
        for (int64_t d = 0; d < s.D; ++d) in_view[size_t(g.at(0, b, t, h, d))] = 1;
  for (int64_t i = 0; i < g.size; ++i) {
    if (!in_view[size_t(i)] && double(got.out[size_t(i)]) != kSentinel && bad++ < 5)
      ADD_FAILURE() << "out written outside its view at " << i;
    if (double(got.grads[size_t(i)]) == kSentinel && bad++ < 5)
      ADD_FAILURE() << "gradient element " << i << " not written";
  }
}

template <class T>
class AttentionTest : public ::testing::Test {};
TYPED_TEST_SUITE(AttentionTest, FloatTypes);

TYPED_TEST(AttentionTest, MatchesNaiveReference) {
  using T = TypeParam;
  std::mt19937 rng(2024);
  const Layout layouts[] = {Layout::packed_qkv, Layout::contiguous, Layout::heads_first};
  const MaskKind kinds[] = {MaskKind::none, MaskKind::shared, MaskKind::per_batch};
  // Edge and specialised shapes: T = 1, one query block exactly (16 floats / 8 doubles), one
  // past it, the compiled head dims 10 / 16 / 32, D = 1, and a long row (several key groups).
  const Shape fixed[] = {{1, 1, 1, 1},  {2, 1, 3, 4},  {1, 16, 2, 10}, {2, 17, 1, 16},
                         {1, 8, 4, 32}, {3, 9, 2, 1},  {1, 40, 4, 10}, {2, 33, 2, 32},
                         {1, 70, 1, 7}, {1, 64, 4, 10}};
  int n = 0;
  for (const Shape& s : fixed) {
    check_case<T>(s, layouts[n % 3], kinds[(n + n / 3) % 3], rng);
    ++n;
  }
  std::uniform_int_distribution<int64_t> B(1, 3), Tn(1, 40), H(1, 4), D(1, 16);
  for (int i = 0; i < 60; ++i)
    check_case<T>({B(rng), Tn(rng), H(rng), D(rng)}, layouts[i % 3], kinds[(i / 3) % 3], rng);
}

// Every query row fully masked: out = 0, lse = +inf, all gradients exactly 0, no NaN.
TYPED_TEST(AttentionTest, EverythingMasked) {
  using T = TypeParam;
  const Shape s{2, 19, 3, 10};
  const Geometry g(s, Layout::packed_qkv);
  std::mt19937 rng(5);
  const std::vector<T> x = random_vector<T>(g.size, rng), dout = random_vector<T>(g.size, rng);
  const std::vector<uint8_t> mask(size_t(s.T * s.T), 0);
  const AttentionParams p =
      AttentionParams::same_layout(s.B, s.T, s.H, s.D, {g.sb, g.st, g.sh}, mask.data(), 0, 0.3);
  const KernelRun<T> got = run_kernel(g, p, x, dout);
  for (T l : got.lse) EXPECT_EQ(l, std::numeric_limits<T>::infinity());
  for (int64_t b = 0; b < s.B; ++b)
    for (int64_t t = 0; t < s.T; ++t)
      for (int64_t h = 0; h < s.H; ++h)
        for (int64_t d = 0; d < s.D; ++d) {
          EXPECT_EQ(got.out[size_t(g.at(0, b, t, h, d))], T(0));
          for (int slot = 0; slot < 3; ++slot)
            EXPECT_EQ(got.grads[size_t(g.at(slot, b, t, h, d))], T(0));
        }
}

// Only the diagonal allowed: each query sees its own key with weight exactly 1, so out = v
// exactly; the softmax is constant, so dq = dk = 0 and dv = dout up to rounding (the backward
// recomputes the weight from the rounded lse).
TYPED_TEST(AttentionTest, DiagonalMaskIsIdentity) {
  using T = TypeParam;
  const Shape s{3, 21, 2, 16};
  const Geometry g(s, Layout::contiguous);
  std::mt19937 rng(6);
  const std::vector<T> x = random_vector<T>(g.size, rng), dout = random_vector<T>(g.size, rng);
  std::vector<uint8_t> mask(size_t(s.B * s.T * s.T), 0);
  for (int64_t b = 0; b < s.B; ++b)
    for (int64_t i = 0; i < s.T; ++i) mask[size_t((b * s.T + i) * s.T + i)] = 1;
  const AttentionParams p =
      AttentionParams::same_layout(s.B, s.T, s.H, s.D, {g.sb, g.st, g.sh}, mask.data(), s.T * s.T, 0.25);
  const KernelRun<T> got = run_kernel(g, p, x, dout);
  for (int64_t b = 0; b < s.B; ++b)
    for (int64_t t = 0; t < s.T; ++t)
      for (int64_t h = 0; h < s.H; ++h)
        for (int64_t d = 0; d < s.D; ++d) {
          EXPECT_EQ(got.out[size_t(g.at(0, b, t, h, d))], x[size_t(g.at(2, b, t, h, d))]);
          EXPECT_NEAR(got.grads[size_t(g.at(0, b, t, h, d))], T(0), Tol<T>::atol);
          EXPECT_NEAR(got.grads[size_t(g.at(1, b, t, h, d))], T(0), Tol<T>::atol);
          EXPECT_NEAR(got.grads[size_t(g.at(2, b, t, h, d))], dout[size_t(g.at(0, b, t, h, d))],
                      Tol<T>::atol);
        }
}

// Thread count does not change a single bit.
TYPED_TEST(AttentionTest, DeterministicAcrossThreadCounts) {
  using T = TypeParam;
  const Shape s{9, 37, 4, 10};
  const Geometry g(s, Layout::packed_qkv);
  std::mt19937 rng(11);
  const std::vector<T> x = random_vector<T>(g.size, rng), dout = random_vector<T>(g.size, rng);
  const std::vector<uint8_t> mask = make_mask(MaskKind::per_batch, s, rng);
  const AttentionParams p =
      AttentionParams::same_layout(s.B, s.T, s.H, s.D, {g.sb, g.st, g.sh}, mask.data(), s.T * s.T, 0.3);
  ASSERT_GT(s.B * s.H * s.T * s.T * s.D, kAttentionParallelWork);
  KernelRun<T> one, two, three;
  {
    ThreadCount tc(1);
    one = run_kernel(g, p, x, dout);
  }
  {
    ThreadCount tc(2);
    two = run_kernel(g, p, x, dout);
  }
  {
    ThreadCount tc(3);
    three = run_kernel(g, p, x, dout);
  }
  for (const KernelRun<T>* r : {&two, &three}) {
    EXPECT_TRUE(bitwise_equal(one.out, r->out));
    EXPECT_TRUE(bitwise_equal(one.lse, r->lse));
    EXPECT_TRUE(bitwise_equal(one.grads, r->grads));
  }
}

// Each operand with its own strides, as core's attention ops call the kernel: q and v slices of
// a packed [B, T, 3, H, D] buffer, k heads-first [B, H, T, D], out contiguous with padded token
// rows, dout heads-first, dq/dk/dv the three slices of one packed gradient buffer. The same
// numbers in one common contiguous layout are checked against the naive twin; the mixed run must
// equal that run bit for bit (the arithmetic never depends on where an operand lives), write
// every gradient element and leave out's padding alone.
TYPED_TEST(AttentionTest, SeparateStridesPerOperand) {
  using T = TypeParam;
  const Shape s{3, 21, 4, 10};
  const int64_t B = s.B, Tn = s.T, H = s.H, D = s.D;
  std::mt19937 rng(17);
  const Geometry g(s, Layout::contiguous);
  const std::vector<T> x = random_vector<T>(g.size, rng);
  const std::vector<T> dout = random_vector<T>(g.size, rng);
  const std::vector<uint8_t> mask = make_mask(MaskKind::per_batch, s, rng);
  const double scale = 0.4;
  const AttentionParams common = AttentionParams::same_layout(B, Tn, H, D, {g.sb, g.st, g.sh},
                                                               mask.data(), Tn * Tn, scale);
  const KernelRun<T> want = run_kernel(g, common, x, dout);
  {  // the common-layout run itself against the twin
    const Reference ref = reference(g, scale, mask, MaskKind::per_batch, x, &dout);
    for (int64_t i = 0; i < B * Tn * H * D; ++i) {
      EXPECT_TRUE(close(double(want.out[size_t(i)]), ref.out[size_t(i)], Tol<T>::atol, Tol<T>::rtol));
      EXPECT_TRUE(close(double(want.grads[size_t(i)]), ref.dq[size_t(i)], Tol<T>::atol, Tol<T>::rtol));
    }
  }

  const AttentionStrides packed{Tn * 3 * H * D, 3 * H * D, D}, heads_first{H * Tn * D, D, Tn * D};
  const AttentionStrides padded{Tn * (H * D + 3), H * D + 3, D};
  auto index = [](const AttentionStrides& st, int64_t b, int64_t t, int64_t h, int64_t d) {
    return size_t(b * st.sb + t * st.st + h * st.sh + d);
  };
  const int64_t n = B * Tn * H * D;
  std::vector<T> qkv(size_t(3 * n), T(kNaND));  // the unused slot 1 must not be read
  std::vector<T> kbuf(static_cast<size_t>(n), T(kNaND));
  std::vector<T> gbuf(static_cast<size_t>(n), T(kNaND));
  std::vector<T> obuf(size_t(B * Tn * (H * D + 3)), T(kSentinel));
  std::vector<T> dqkv(size_t(3 * n), T(kSentinel));
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < Tn; ++t)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t d = 0; d < D; ++d) {
          qkv[index(packed, b, t, h, d)] = x[size_t(g.at(0, b, t, h, d))];
          kbuf[index(heads_first, b, t, h, d)] = x[size_t(g.at(1, b, t, h, d))];
          qkv[index(packed, b, t, h, d) + size_t(2 * H * D)] = x[size_t(g.at(2, b, t, h, d))];
          gbuf[index(heads_first, b, t, h, d)] = dout[size_t(g.at(0, b, t, h, d))];
        }
  AttentionParams p = common;
  p.q = p.v = p.dq = p.dk = p.dv = packed;
  p.k = p.dout = heads_first;
  p.out = padded;
  std::vector<T> lse(size_t(B * H * Tn));
  attention_fwd<T>(p, qkv.data(), kbuf.data(), qkv.data() + 2 * H * D, obuf.data(), lse.data());
  attention_bwd<T>(p, qkv.data(), kbuf.data(), qkv.data() + 2 * H * D, obuf.data(), lse.data(),
                   gbuf.data(), dqkv.data(), dqkv.data() + H * D, dqkv.data() + 2 * H * D);
  EXPECT_TRUE(bitwise_equal(lse, want.lse));
  int bad = 0;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < Tn; ++t) {
      for (int64_t j = H * D; j < H * D + 3; ++j)
        if (obuf[size_t(b * padded.sb + t * padded.st + j)] != T(kSentinel) && bad++ < 5)
          ADD_FAILURE() << "out padding written at b=" << b << " t=" << t;
      for (int64_t h = 0; h < H; ++h)
        for (int64_t d = 0; d < D; ++d)
          for (int slot = 0; slot < 3; ++slot) {
            const T got = dqkv[index(packed, b, t, h, d) + size_t(slot * H * D)];
            const T exp = want.grads[size_t(g.at(slot, b, t, h, d))];
            if (std::memcmp(&got, &exp, sizeof(T)) != 0 && bad++ < 5)
              ADD_FAILURE() << "d" << "qkv"[slot] << " b=" << b << " t=" << t << " h=" << h
                            << " d=" << d << ": " << got << " vs " << exp;
          }
      for (int64_t h = 0; h < H; ++h)
        for (int64_t d = 0; d < D; ++d) {
          const T got = obuf[index(padded, b, t, h, d)], exp = want.out[size_t(g.at(0, b, t, h, d))];
          if (std::memcmp(&got, &exp, sizeof(T)) != 0 && bad++ < 5)
            ADD_FAILURE() << "out b=" << b << " t=" << t << ": " << got << " vs " << exp;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The twin's backward against central finite differences of its own forward, in double, for
// L = Σ out ∘ G (random G), on a tiny masked case with a fully masked row and key. Then the
// kernel's double backward against the same differences.

TEST(AttentionGradient, ReferenceBackwardMatchesFiniteDifferences) {
  const Shape s{2, 5, 2, 3};
  const Geometry g(s, Layout::packed_qkv);
  std::mt19937 rng(99);
  std::vector<double> x = random_vector<double>(g.size, rng);
  const std::vector<double> G = random_vector<double>(g.size, rng);
  std::vector<uint8_t> mask(size_t(s.B * s.T * s.T));
  for (auto& m : mask) m = rng() % 3 != 0;
  for (int64_t j = 0; j < s.T; ++j) mask[size_t(1 * s.T + j)] = 0;                // b=0: row 1
  for (int64_t i = 0; i < s.T; ++i) mask[size_t((s.T + i) * s.T + 3)] = 0;         // b=1: key 3
  mask[size_t((s.T + 2) * s.T + 2)] = 1;  // b=1 row 2 keeps one key
  const double scale = 0.7;
  auto loss = [&](const std::vector<double>& xs) {
    const Reference r = reference<double>(g, scale, mask, MaskKind::per_batch, xs, nullptr);
    double l = 0;
    for (int64_t b = 0; b < s.B; ++b)
      for (int64_t t = 0; t < s.T; ++t)
        for (int64_t h = 0; h < s.H; ++h)
          for (int64_t d = 0; d < s.D; ++d)
            l += r.out[size_t(g.at(0, b, t, h, d))] * G[size_t(g.at(0, b, t, h, d))];
    return l;
  };
  const Reference ref = reference(g, scale, mask, MaskKind::per_batch, x, &G);
  const AttentionParams p =
      AttentionParams::same_layout(s.B, s.T, s.H, s.D, {g.sb, g.st, g.sh}, mask.data(), s.T * s.T, scale);
  const KernelRun<double> got = run_kernel(g, p, x, G);
  const double eps = 1e-6;
  for (int slot = 0; slot < 3; ++slot)
    for (int64_t b = 0; b < s.B; ++b)
      for (int64_t t = 0; t < s.T; ++t)
        for (int64_t h = 0; h < s.H; ++h)
          for (int64_t d = 0; d < s.D; ++d) {
            const size_t i = size_t(g.at(slot, b, t, h, d));
            const double saved = x[i];
            x[i] = saved + eps;
            const double up = loss(x);
            x[i] = saved - eps;
            const double down = loss(x);
            x[i] = saved;
            const double fd = (up - down) / (2 * eps);
            const std::vector<double>& analytic = slot == 0 ? ref.dq : slot == 1 ? ref.dk : ref.dv;
            const size_t i0 = size_t(g.at(0, b, t, h, d));
            EXPECT_NEAR(analytic[i0], fd, 1e-8) << "slot " << slot << " b " << b << " t " << t;
            EXPECT_NEAR(double(got.grads[i]), fd, 1e-8) << "kernel, slot " << slot;
          }
}

}  // namespace
}  // namespace amor::kernels::cpu
