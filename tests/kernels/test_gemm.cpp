// kernels/cpu/gemm: BLAS path, amor's packed kernel (serial and threaded) and the batched driver
// against a naive triple loop in double.
#include "kernels/cpu/gemm.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <tuple>
#include <vector>

namespace kc = amor::kernels::cpu;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A row-major [rows, cols] matrix inside a buffer with row stride ld >= cols. The padding holds
// NaN so a kernel that reads outside the matrix poisons its result.
template <class T>
struct Mat {
  int64_t rows, cols, ld;
  std::vector<T> buf;
  Mat(int64_t r, int64_t c, int64_t pad, std::mt19937_64& rng)
      : rows(r), cols(c), ld(c + pad), buf(size_t(std::max<int64_t>(r * (c + pad), 1)), T(kNaN)) {
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    for (int64_t i = 0; i < r; ++i)
      for (int64_t j = 0; j < c; ++j) buf[size_t(i * ld + j)] = T(u(rng));
  }
  T* data() { return buf.data(); }
  T at(int64_t i, int64_t j) const { return buf[size_t(i * ld + j)]; }
};

// Reference C = alpha·op(A)·op(B) + beta·C in double, plus a bound on the rounding error of a
// T-precision evaluation: eps_T · (K + 2) · (|alpha|·Σ|a||b| + |beta·c|).
template <class T>
void reference(bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha, const Mat<T>& A,
               const Mat<T>& B, double beta, const Mat<T>& C, std::vector<double>& out,
               std::vector<double>& tol) {
  out.assign(size_t(M * N), 0.0);
  tol.assign(size_t(M * N), 0.0);
  const double eps = std::numeric_limits<T>::epsilon();
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double s = 0, sa = 0;
      for (int64_t k = 0; k < K; ++k) {
        const double a = ta ? A.at(k, i) : A.at(i, k);
        const double b = tb ? B.at(j, k) : B.at(k, j);
        s += a * b;
        sa += std::abs(a * b);
      }
      const double c = beta == 0 ? 0.0 : beta * double(C.at(i, j));
      out[size_t(i * N + j)] = alpha * s + c;
      tol[size_t(i * N + j)] = eps * double(K + 2) * (std::abs(alpha) * sa + std::abs(c)) + 1e-300;
    }
}

enum class Path { blas, small, own };  // gemm, gemm_small, gemm_own

// with_bias: a random bias [N] added to every row (its rounding adds eps·|bias| to the bound).
template <class T>
void check_one(Path path, bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, T beta,
               std::mt19937_64& rng, bool with_bias = false) {
  Mat<T> A(ta ? K : M, ta ? M : K, 3, rng);
  Mat<T> B(tb ? N : K, tb ? K : N, 2, rng);
  Mat<T> C(M, N, 5, rng);
  Mat<T> bias(1, N, 0, rng);
  if (beta == T(0))  // beta == 0 must not read C
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) C.buf[size_t(i * C.ld + j)] = T(kNaN);
  std::vector<double> ref, tol;
  reference(ta, tb, M, N, K, double(alpha), A, B, double(beta), C, ref, tol);
  if (with_bias)
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        const double bj = double(bias.at(0, j));
        ref[size_t(i * N + j)] += bj;
        tol[size_t(i * N + j)] += 2 * std::numeric_limits<T>::epsilon() *
                                  (std::abs(bj) + std::abs(ref[size_t(i * N + j)]));
      }
  const T* bp = with_bias ? bias.data() : nullptr;
  Mat<T> out = C;
  if (path == Path::blas)
    kc::gemm<T>(ta, tb, M, N, K, alpha, A.data(), A.ld, B.data(), B.ld, beta, out.data(), out.ld,
                bp);
  else if (path == Path::own)
    kc::gemm_own<T>(ta, tb, M, N, K, alpha, A.data(), A.ld, B.data(), B.ld, beta, out.data(),
                    out.ld, bp);
  else
    kc::gemm_small<T>(ta, tb, M, N, K, alpha, A.data(), A.ld, B.data(), B.ld, beta, out.data(),
                      out.ld, bp);
  int bad = 0;
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t j = 0; j < N; ++j) {
      const double got = double(out.at(i, j)), want = ref[size_t(i * N + j)];
      if (!(std::abs(got - want) <= tol[size_t(i * N + j)]) && bad++ < 3)
        ADD_FAILURE() << "ta=" << ta << " tb=" << tb << " M=" << M << " N=" << N << " K=" << K
                      << " (" << i << "," << j << "): got " << got << " want " << want;
    }
    for (int64_t j = N; j < out.ld; ++j)  // padding of C untouched
      if (!std::isnan(double(out.at(i, j))) && bad++ < 3)
        ADD_FAILURE() << "C padding written at (" << i << "," << j << ")";
  }
}

template <class T>
void sweep(Path path) {
  std::mt19937_64 rng(42);
  const int64_t sizes[] = {1, 3, 17, 64, 130};
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (int64_t M : sizes)
        for (int64_t N : sizes)
          for (int64_t K : sizes) check_one<T>(path, ta, tb, M, N, K, T(0.75), T(-1.25), rng);
  // Other alpha/beta: the beta == 0 overwrite (C holds NaN) and plain accumulate.
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      check_one<T>(path, ta, tb, 17, 33, 9, T(1), T(0), rng);
      check_one<T>(path, ta, tb, 17, 33, 9, T(-2), T(1), rng);
      check_one<T>(path, ta, tb, 5, 70, 1, T(0.5), T(0), rng);
    }
}

}  // namespace

TEST(Gemm, BlasPathDouble) { sweep<double>(Path::blas); }
TEST(Gemm, BlasPathFloat) { sweep<float>(Path::blas); }
TEST(Gemm, SmallPathDouble) { sweep<double>(Path::small); }
TEST(Gemm, SmallPathFloat) { sweep<float>(Path::small); }

TEST(Gemm, OwnPathDouble) { sweep<double>(Path::own); }
TEST(Gemm, OwnPathFloat) { sweep<float>(Path::own); }

// Every side longer than kOwnKernelMaxSide: `gemm` hands these to OpenBLAS when it runs a real
// kernel set (to amor's kernel otherwise), with the bias written into C first.
TEST(Gemm, LongSidesGoThroughBlas) {
  std::mt19937_64 rng(23);
  const int64_t M = kc::kOwnKernelMaxSide + 41, N = kc::kOwnKernelMaxSide + 3,
                K = kc::kOwnKernelMaxSide + 9;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      check_one<float>(Path::blas, ta, tb, M, N, K, 1.f, 0.f, rng, true);
      check_one<double>(Path::blas, ta, tb, M, N, K, -0.5, 1.5, rng, ta);
    }
}

// Long reductions: K slabs (K > 256), the K split into 4 chunks (K >= 2048 with a small C), a
// small C computed transposed (M = 130, N = 20), C read back with beta = 1 between slabs.
template <class T>
void long_k(Path path) {
  std::mt19937_64 rng(5);
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      check_one<T>(path, ta, tb, 15, 37, 300, T(0.75), T(-1.25), rng);
      check_one<T>(path, ta, tb, 6, 70, 2500, T(1), T(0), rng);
      check_one<T>(path, ta, tb, 130, 20, 2100, T(-0.5), T(1), rng);
    }
}
TEST(Gemm, LongKFloat) {
  for (Path p : {Path::blas, Path::small, Path::own}) long_k<float>(p);
}
TEST(Gemm, LongKDouble) {
  for (Path p : {Path::blas, Path::small, Path::own}) long_k<double>(p);
}

// bias [N] added to every row: full and partial column panels (N = 37, 64, 150), K slabs and
// several slabs, beta 0 (C not read) and not, K = 0 (C = beta·C + bias), on every path.
template <class T>
void with_bias(Path path) {
  std::mt19937_64 rng(8);
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      check_one<T>(path, ta, tb, 19, 37, 20, T(1), T(0), rng, true);
      check_one<T>(path, ta, tb, 130, 150, 50, T(1), T(0), rng, true);
      check_one<T>(path, ta, tb, 9, 64, 300, T(0.5), T(-1.5), rng, true);
      check_one<T>(path, ta, tb, 6, 20, 2500, T(1), T(0), rng, true);
      check_one<T>(path, ta, tb, 6, 20, 2500, T(2), T(0.5), rng, true);
      check_one<T>(path, ta, tb, 5, 7, 0, T(1), T(0.5), rng, true);
    }
}
TEST(Gemm, BiasFloat) {
  for (Path p : {Path::blas, Path::small, Path::own}) with_bias<float>(p);
}
TEST(Gemm, BiasDouble) {
  for (Path p : {Path::blas, Path::small, Path::own}) with_bias<double>(p);
}

// Every row-tile size of the kernel (1 to 12 rows: tails of 1-7 rows, the last 1-4 rows joined
// to the last full 8-row tile), in both column-panel widths.
TEST(Gemm, EveryRowTileSize) {
  std::mt19937_64 rng(13);
  for (int64_t M = 1; M <= 24; ++M)
    for (int64_t N : {16, 50})
      for (bool ta : {false, true}) {
        check_one<float>(Path::small, ta, false, M, N, 37, 1.f, 0.f, rng);
        check_one<double>(Path::small, ta, true, M, N, 37, 0.5, 2.0, rng);
      }
}

// Every column remainder of the packed kernel's panels (two SIMD vectors wide, the last one
// vector wide when it can be: N = 1 .. 2 panels + a vector + 1 covers every case for float and
// double at any vector width), with every transpose, beta = 0 over NaN and not, with and without
// a bias, one slab and several (K = 300), on the serial and the threaded entry points.
template <class T>
void every_column_remainder() {
  std::mt19937_64 rng(21);
  for (int64_t N = 1; N <= 81; ++N)
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        check_one<T>(Path::small, ta, tb, 11, N, 7, T(1), T(0), rng, N % 2 == 0);
        check_one<T>(Path::own, ta, tb, 13, N, 5, T(-0.5), T(1.5), rng, N % 2 == 1);
      }
  for (int64_t N : {1, 15, 16, 17, 31, 33, 50})
    for (bool ta : {false, true})
      for (bool tb : {false, true}) check_one<T>(Path::small, ta, tb, 9, N, 300, T(2), T(0), rng);
}
TEST(Gemm, EveryColumnRemainderFloat) { every_column_remainder<float>(); }
TEST(Gemm, EveryColumnRemainderDouble) { every_column_remainder<double>(); }

// K = 1 (a rank-one update) and M = 1 / N = 1 through every entry point.
TEST(Gemm, KOneAndVectors) {
  std::mt19937_64 rng(22);
  for (Path p : {Path::blas, Path::small, Path::own})
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        check_one<float>(p, ta, tb, 37, 45, 1, 1.f, 0.f, rng);
        check_one<double>(p, ta, tb, 1, 45, 33, 0.5, 2.0, rng);
        check_one<double>(p, ta, tb, 45, 1, 33, 1.0, 0.0, rng);
      }
}

TEST(Gemm, OwnKernelSameBitsForAnyThreadCount) {
  // gemm_own shares whole output tiles among threads; gemm_small runs the same arithmetic
  // serially. All must agree bit for bit, for every transpose and beta, with a bias.
  struct Case {
    bool ta, tb;
    int64_t M, N, K;
  };
  const Case cases[] = {{true, false, 120, 50, 5000},   // weight gradient: K split, Cᵀ
                        {true, false, 50, 150, 4000},   // weight gradient: K split, C
                        {false, true, 30, 20, 9000},    // K split, 12 chunks
                        {true, false, 150, 50, 2000},   // below the K split: Cᵀ, slabs
                        {false, true, 300, 70, 64},     // forward Linear
                        {false, false, 77, 33, 700},    // K slabs, partial panel
                        {true, true, 5, 400, 600},      // one row tile: split by panel
                        {false, false, 2000, 40, 50}};  // many row tiles, narrow last panel
  std::mt19937_64 rng(9);
  const int saved = omp_get_max_threads();
  for (const Case& c : cases) {
    ASSERT_GE(c.M * c.N * c.K, kc::kGemmParallelWork);  // big enough to be threaded
    Mat<float> A(c.ta ? c.K : c.M, c.ta ? c.M : c.K, 1, rng);
    Mat<float> B(c.tb ? c.N : c.K, c.tb ? c.K : c.N, 2, rng);
    Mat<float> C0(c.M, c.N, 0, rng), bias(1, c.N, 0, rng);
    for (float beta : {0.f, 0.25f}) {
      auto run = [&](int threads) {
        Mat<float> C = C0;
        if (threads == 0) {
          kc::gemm_small<float>(c.ta, c.tb, c.M, c.N, c.K, 0.5f, A.data(), A.ld, B.data(), B.ld,
                                beta, C.data(), C.ld, bias.data());
        } else {
          omp_set_num_threads(threads);
          kc::gemm_own<float>(c.ta, c.tb, c.M, c.N, c.K, 0.5f, A.data(), A.ld, B.data(), B.ld,
                              beta, C.data(), C.ld, bias.data());
        }
        return C.buf;
      };
      const std::vector<float> serial = run(0);
      for (int threads : {1, 2, 3, 4})
        EXPECT_EQ(run(threads), serial) << "M=" << c.M << " N=" << c.N << " K=" << c.K
                                        << " beta=" << beta << " threads=" << threads;
    }
    check_one<float>(Path::own, c.ta, c.tb, c.M, c.N, c.K, 0.5f, 0.25f, rng, true);
  }
  omp_set_num_threads(saved);
}

TEST(Gemm, SmallCComputedTransposedIsBitForBitTheTranspose) {
  // C = op(A)·op(B) and Cᵀ = op(B)ᵀ·op(A)ᵀ run the same multiply-adds in the same order, so the
  // kernel may compute a small C in whichever orientation fills the SIMD lanes better (here
  // [150, 50] is computed as [50, 150]ᵀ, and the [50, 150] call as it is).
  std::mt19937_64 rng(12);
  const int64_t M = 150, N = 50, K = 4500;
  Mat<float> A(K, M, 0, rng), B(K, N, 0, rng);  // dW = dyᵀ·x: trans_a, B not transposed
  std::vector<float> C(size_t(M * N)), Ct(size_t(N * M));
  kc::gemm_own<float>(true, false, M, N, K, 1.f, A.data(), M, B.data(), N, 0.f, C.data(), N);
  kc::gemm_own<float>(true, false, N, M, K, 1.f, B.data(), N, A.data(), M, 0.f, Ct.data(), M);
  int bad = 0;
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j)
      if (C[size_t(i * N + j)] != Ct[size_t(j * M + i)] && bad++ < 3)
        ADD_FAILURE() << "(" << i << "," << j << "): " << C[size_t(i * N + j)] << " vs "
                      << Ct[size_t(j * M + i)];
  check_one<float>(Path::own, true, false, M, N, K, 1.f, 0.f, rng);  // and against the twin
}

// linear_weight_grad: dw = dyᵀ·x and db = Σ_rows dy against double sums, small and long K, and
// the same bits for 1, 2, 3 threads.
TEST(LinearWeightGrad, MatchesReferenceAndThreadCounts) {
  std::mt19937_64 rng(31);
  const int saved = omp_get_max_threads();
  for (const auto& [rows, out, in] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
           {300, 7, 5}, {2047, 20, 33}, {5000, 150, 50}, {4100, 50, 40}, {2500, 3, 1}}) {
    SCOPED_TRACE(std::to_string(rows) + " rows, " + std::to_string(out) + " x " + std::to_string(in));
    Mat<float> dy(rows, out, 0, rng), x(rows, in, 0, rng);
    std::vector<float> dw(static_cast<size_t>(out * in)), db(static_cast<size_t>(out));
    omp_set_num_threads(1);
    kc::linear_weight_grad<float>(rows, out, in, dy.data(), x.data(), dw.data(), db.data());
    const double eps = std::numeric_limits<float>::epsilon();
    for (int64_t i = 0; i < out; ++i) {
      double s = 0, sa = 0;
      for (int64_t k = 0; k < rows; ++k) s += dy.at(k, i), sa += std::abs(dy.at(k, i));
      EXPECT_NEAR(db[size_t(i)], s, eps * (64 + std::log2(double(rows))) * sa) << "db " << i;
      for (int64_t j = 0; j < in; ++j) {
        double w = 0, wa = 0;
        for (int64_t k = 0; k < rows; ++k)
          w += double(dy.at(k, i)) * x.at(k, j), wa += std::abs(double(dy.at(k, i)) * x.at(k, j));
        ASSERT_NEAR(dw[size_t(i * in + j)], w, eps * double(rows + 2) * wa) << "dw " << i << "," << j;
      }
    }
    for (int threads : {2, 3}) {
      omp_set_num_threads(threads);
      std::vector<float> dw2(dw.size()), db2(db.size());
      kc::linear_weight_grad<float>(rows, out, in, dy.data(), x.data(), dw2.data(), db2.data());
      EXPECT_EQ(dw2, dw) << threads << " threads";
      EXPECT_EQ(db2, db) << threads << " threads";
    }
    // Without db it is the plain GEMM, bit for bit.
    std::vector<float> dw3(dw.size());
    kc::linear_weight_grad<float>(rows, out, in, dy.data(), x.data(), dw3.data(), nullptr);
    EXPECT_EQ(dw3, dw);
  }
  omp_set_num_threads(saved);
}

TEST(Gemm, KZeroScalesC) {
  std::vector<double> C = {1, 2, 3, 4, 5, 6};  // [2,3]
  kc::gemm<double>(false, false, 2, 3, 0, 1.0, nullptr, 1, nullptr, 3, 2.0, C.data(), 3);
  EXPECT_EQ(C, (std::vector<double>{2, 4, 6, 8, 10, 12}));
  std::vector<double> D(6, kNaN);
  kc::gemm<double>(true, true, 2, 3, 0, 1.0, nullptr, 2, nullptr, 0, 0.0, D.data(), 3);
  EXPECT_EQ(D, std::vector<double>(6, 0.0));
  std::vector<float> E = {1, 2, 3, 4};
  kc::gemm_batched<float>(2, false, false, 1, 2, 0, 1.f, nullptr, 0, 0, nullptr, 2, 0, -1.f,
                          E.data(), 2, 2);
  EXPECT_EQ(E, (std::vector<float>{-1, -2, -3, -4}));
}

TEST(Gemm, EmptyIsNoOp) {
  std::vector<double> C = {7, 7};
  kc::gemm<double>(false, false, 0, 2, 5, 1.0, nullptr, 5, nullptr, 2, 0.0, C.data(), 2);
  kc::gemm<double>(false, false, 2, 0, 5, 1.0, nullptr, 5, nullptr, 0, 0.0, C.data(), 0);
  kc::gemm_batched<double>(0, false, false, 1, 2, 5, 1.0, nullptr, 5, 0, nullptr, 2, 0, 0.0,
                           C.data(), 2, 2);
  EXPECT_EQ(C, (std::vector<double>{7, 7}));
}

TEST(Gemm, SingleRowOperandsIgnoreLeadingDimension) {
  // A [1,3], B [3,2], C [1,2] with lda/ldc = 0 (a view whose row stride is irrelevant).
  std::vector<double> A = {1, 2, 3}, B = {1, 2, 3, 4, 5, 6}, C = {0, 0};
  kc::gemm<double>(false, false, 1, 2, 3, 1.0, A.data(), 0, B.data(), 2, 0.0, C.data(), 0);
  EXPECT_EQ(C, (std::vector<double>{22, 28}));
}

namespace {

// Batched: each matrix checked against the reference of its own slice.
template <class T>
void check_batched(bool ta, bool tb, int64_t batch, int64_t M, int64_t N, int64_t K,
                   bool broadcast_a, bool broadcast_b, std::mt19937_64& rng) {
  const T alpha = T(0.5), beta = T(-0.25);
  const int64_t a_rows = ta ? K : M, a_cols = ta ? M : K, b_rows = tb ? N : K,
                b_cols = tb ? K : N;
  const int64_t lda = a_cols + 1, ldb = b_cols + 3, ldc = N + 2;
  const int64_t sa = broadcast_a ? 0 : a_rows * lda + 7;  // gaps between matrices
  const int64_t sb = broadcast_b ? 0 : b_rows * ldb + 1;
  const int64_t sc = M * ldc + 4;
  std::vector<Mat<T>> As, Bs, Cs;
  for (int64_t b = 0; b < batch; ++b) {
    As.emplace_back(a_rows, a_cols, lda - a_cols, rng);
    Bs.emplace_back(b_rows, b_cols, ldb - b_cols, rng);
    Cs.emplace_back(M, N, ldc - N, rng);
  }
  std::vector<T> Abuf(size_t(sa * (batch - 1) + a_rows * lda), T(kNaN));
  std::vector<T> Bbuf(size_t(sb * (batch - 1) + b_rows * ldb), T(kNaN));
  std::vector<T> Cbuf(size_t(sc * (batch - 1) + M * ldc), T(kNaN));
  for (int64_t b = 0; b < batch; ++b) {
    if (broadcast_a) As[size_t(b)] = As[0];
    if (broadcast_b) Bs[size_t(b)] = Bs[0];
    std::copy(As[size_t(b)].buf.begin(), As[size_t(b)].buf.end(), Abuf.begin() + b * sa);
    std::copy(Bs[size_t(b)].buf.begin(), Bs[size_t(b)].buf.end(), Bbuf.begin() + b * sb);
    std::copy(Cs[size_t(b)].buf.begin(), Cs[size_t(b)].buf.end(), Cbuf.begin() + b * sc);
  }
  kc::gemm_batched<T>(batch, ta, tb, M, N, K, alpha, Abuf.data(), lda, sa, Bbuf.data(), ldb, sb,
                      beta, Cbuf.data(), ldc, sc);
  std::vector<double> ref, tol;
  int bad = 0;
  for (int64_t b = 0; b < batch; ++b) {
    reference(ta, tb, M, N, K, double(alpha), As[size_t(b)], Bs[size_t(b)], double(beta),
              Cs[size_t(b)], ref, tol);
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        const double got = double(Cbuf[size_t(b * sc + i * ldc + j)]);
        const double want = ref[size_t(i * N + j)];
        if (!(std::abs(got - want) <= tol[size_t(i * N + j)]) && bad++ < 3)
          ADD_FAILURE() << "batch " << b << " ta=" << ta << " tb=" << tb << " M=" << M
                        << " N=" << N << " K=" << K << " bA=" << broadcast_a
                        << " bB=" << broadcast_b << " (" << i << "," << j << "): got " << got
                        << " want " << want;
      }
  }
}

template <class T>
void batched_sweep() {
  std::mt19937_64 rng(7);
  struct Shape {
    int64_t batch, M, N, K;
  };
  const Shape shapes[] = {
      {5, 17, 17, 17},    // small path, serial (5·17³ < kGemmParallelWork)
      {1000, 10, 12, 10},  // small path, OpenMP over the batch (>= kGemmParallelWork)
      {40, 64, 64, 10},   // attention scores, T = 64, D = 10
      {40, 64, 10, 64},   // attention values
      {3, 3, 1, 130},     // small path with N = 1
      {2, 130, 3, 130},   // small path, tall
      {3, 64, 64, 65},    // one gemm per matrix (64·64·65 > kSmallGemmMaxWork)
      {2, 130, 17, 130},  // one gemm per matrix
  };
  for (const Shape& s : shapes)
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (int bc = 0; bc < 3; ++bc)
          check_batched<T>(ta, tb, s.batch, s.M, s.N, s.K, bc == 1, bc == 2, rng);
}

}  // namespace

TEST(GemmBatched, Double) { batched_sweep<double>(); }
TEST(GemmBatched, Float) { batched_sweep<float>(); }

TEST(GemmBatched, ThreadCountDoesNotChangeBits) {
  std::mt19937_64 rng(3);
  const int64_t batch = 192, M = 20, N = 24, K = 16;  // small path, above kGemmParallelWork
  ASSERT_GE(batch * M * N * K, kc::kGemmParallelWork);
  Mat<float> A(batch * M, K, 0, rng), B(batch * N, K, 0, rng);
  std::vector<float> C1(size_t(batch * M * N)), C2(C1.size());
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  kc::gemm_batched<float>(batch, false, true, M, N, K, 1.f, A.data(), K, M * K, B.data(), K,
                          N * K, 0.f, C1.data(), N, M * N);
  omp_set_num_threads(2);
  kc::gemm_batched<float>(batch, false, true, M, N, K, 1.f, A.data(), K, M * K, B.data(), K,
                          N * K, 0.f, C2.data(), N, M * N);
  omp_set_num_threads(saved);
  EXPECT_EQ(C1, C2);
}

TEST(GemmBatched, PackedBIsNotReusedAcrossCalls) {
  // The kernel packs B per call into a reused per-thread buffer; a second call with the same
  // pointer but new contents must see the new contents.
  std::vector<double> A = {1, 0, 0, 1};  // identity [2,2]
  std::vector<double> B = {1, 2, 3, 4};  // [2,2], used transposed
  std::vector<double> C(4);
  kc::gemm_batched<double>(1, false, true, 2, 2, 2, 1.0, A.data(), 2, 0, B.data(), 2, 0, 0.0,
                           C.data(), 2, 4);
  EXPECT_EQ(C, (std::vector<double>{1, 3, 2, 4}));
  B = {5, 6, 7, 8};
  kc::gemm_batched<double>(1, false, true, 2, 2, 2, 1.0, A.data(), 2, 0, B.data(), 2, 0, 0.0,
                           C.data(), 2, 4);
  EXPECT_EQ(C, (std::vector<double>{5, 7, 6, 8}));
}

TEST(Gemm, InsideOpenMPRegionIsCorrect) {
  // Called from an OpenMP team, gemm must not enter OpenBLAS; check the result per thread.
  std::mt19937_64 rng(11);
  const int64_t M = 40, N = 50, K = 60;
  Mat<double> A(M, K, 0, rng), B(K, N, 0, rng), C(M, N, 0, rng);
  std::vector<double> ref, tol;
  reference(false, false, M, N, K, 1.0, A, B, 0.0, C, ref, tol);
  std::vector<std::vector<double>> out(4, std::vector<double>(size_t(M * N)));
#pragma omp parallel for num_threads(2)
  for (int t = 0; t < 4; ++t)
    kc::gemm<double>(false, false, M, N, K, 1.0, A.data(), K, B.data(), N, 0.0, out[size_t(t)].data(),
                     N);
  for (const auto& o : out)
    for (size_t i = 0; i < o.size(); ++i) ASSERT_NEAR(o[i], ref[i], tol[i]);
}

TEST(Gemm, BlasThreads) {
  const int saved = kc::blas_threads();
  EXPECT_GE(saved, 1);
  kc::set_blas_threads(1);
  EXPECT_EQ(kc::blas_threads(), 1);
  kc::set_blas_threads(saved);
  EXPECT_EQ(kc::blas_threads(), saved);
  ASSERT_NE(kc::blas_core_name(), nullptr);
  RecordProperty("blas_core", kc::blas_core_name());
}
