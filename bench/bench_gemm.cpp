// GEMM float32, C[n,n] = A[n,n] · B[n,n], at n = 64, 256, 1024, three ways:
//   BM_MatmulTensor  amor::matmul on Tensors (the wrapper users call; allocates C each call
//                    through the caching allocator, as the op does in a training step)
//   BM_KernelGemm    amor::kernels::cpu::gemm on raw pointers into a preallocated C
//   BM_Cblas         the same cblas_sgemm call made directly (the floor)
// Each reports GFLOP/s through the FLOPS counter (2·n³ per call, a rate). Real time, because
// OpenBLAS runs on its own thread pool (OPENBLAS_NUM_THREADS; bench/run_compare.sh sets it).
//
//   BM_MatmulVsCblas / BM_MatmulVsKernelGemm run amor::matmul and the reference call in every
//                    iteration (alternating order) and time each one, so both see the same
//                    machine load; they report the overhead directly (overhead_pct: median over
//                    iterations of t_matmul / t_ref - 1, in %; overhead_pct_total: from the
//                    summed times). More robust than comparing separate runs on a busy machine.
//
// kernels::cpu::gemm is not always cblas: it runs amor's own kernel for small products and when
// OpenBLAS fell back to its generic kernels (see kernels/cpu/gemm.cpp). BM_MatmulVsKernelGemm
// isolates the Tensor wrapper; BM_MatmulVsCblas is the acceptance comparison.
//
// Acceptance target (foundation issue): BM_MatmulTensor costs < 5 % over BM_Cblas at n = 256.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/ops.h"
#include "core/random.h"
#include "core/tensor.h"
#include "kernels/cpu/gemm.h"

namespace {

void set_flops(benchmark::State& state, int64_t n) {
  const double flops = 2.0 * double(n) * double(n) * double(n);
  state.counters["FLOPS"] = benchmark::Counter(flops * double(state.iterations()),
                                               benchmark::Counter::kIsRate,
                                               benchmark::Counter::kIs1000);
}

struct Operands {
  amor::Tensor a, b;
  explicit Operands(int64_t n) {
    amor::Generator gen(1234);
    a = amor::uniform({n, n}, -1.0, 1.0, gen);
    b = amor::uniform({n, n}, -1.0, 1.0, gen);
  }
};

void BM_MatmulTensor(benchmark::State& state) {
  const int64_t n = state.range(0);
  Operands op(n);
  for (auto _ : state) {
    amor::Tensor c = amor::matmul(op.a, op.b);
    benchmark::DoNotOptimize(c.raw_data());
    benchmark::ClobberMemory();
  }
  set_flops(state, n);
}

void BM_KernelGemm(benchmark::State& state) {
  const int64_t n = state.range(0);
  Operands op(n);
  std::vector<float> c(size_t(n * n));
  const float* A = op.a.data<float>();
  const float* B = op.b.data<float>();
  for (auto _ : state) {
    amor::kernels::cpu::gemm<float>(false, false, n, n, n, 1.0f, A, n, B, n, 0.0f, c.data(), n);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  set_flops(state, n);
}

void BM_Cblas(benchmark::State& state) {
  const int64_t n = state.range(0);
  Operands op(n);
  std::vector<float> c(size_t(n * n));
  const float* A = op.a.data<float>();
  const float* B = op.b.data<float>();
  const int ni = int(n);
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, ni, ni, ni, 1.0f, A, ni, B, ni, 0.0f,
                c.data(), ni);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  set_flops(state, n);
}

// Times amor::matmul against `reference` (a callable doing the same product into a preallocated
// buffer), both in every iteration, in alternating order: whichever runs first also pays for
// waking OpenBLAS's threads, and both see the same machine load.
template <class Reference>
void paired_overhead(benchmark::State& state, const amor::Tensor& a, const amor::Tensor& b,
                     Reference reference) {
  using Clock = std::chrono::steady_clock;
  std::vector<double> ratios;
  double sum_mm = 0, sum_ref = 0;
  bool ref_first = true;
  for (auto _ : state) {
    double ref = 0, mm = 0;
    for (int k = 0; k < 2; ++k) {
      const bool do_ref = (k == 0) == ref_first;
      const auto t0 = Clock::now();
      if (do_ref) {
        reference();
      } else {
        amor::Tensor c = amor::matmul(a, b);
        benchmark::DoNotOptimize(c.raw_data());
      }
      benchmark::ClobberMemory();
      const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
      (do_ref ? ref : mm) = dt;
    }
    ref_first = !ref_first;
    sum_ref += ref;
    sum_mm += mm;
    ratios.push_back(mm / ref);
  }
  if (!ratios.empty()) {
    auto mid = ratios.begin() + std::ptrdiff_t(ratios.size() / 2);
    std::nth_element(ratios.begin(), mid, ratios.end());
    state.counters["overhead_pct"] = (*mid - 1.0) * 100.0;
    state.counters["overhead_pct_total"] = (sum_mm / sum_ref - 1.0) * 100.0;
  }
}

void BM_MatmulVsCblas(benchmark::State& state) {
  const int64_t n = state.range(0);
  Operands op(n);
  std::vector<float> c(size_t(n * n));
  const float* A = op.a.data<float>();
  const float* B = op.b.data<float>();
  const int ni = int(n);
  paired_overhead(state, op.a, op.b, [&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, ni, ni, ni, 1.0f, A, ni, B, ni, 0.0f,
                c.data(), ni);
    benchmark::DoNotOptimize(c.data());
  });
}

void BM_MatmulVsKernelGemm(benchmark::State& state) {
  const int64_t n = state.range(0);
  Operands op(n);
  std::vector<float> c(size_t(n * n));
  const float* A = op.a.data<float>();
  const float* B = op.b.data<float>();
  paired_overhead(state, op.a, op.b, [&] {
    amor::kernels::cpu::gemm<float>(false, false, n, n, n, 1.0f, A, n, B, n, 0.0f, c.data(), n);
    benchmark::DoNotOptimize(c.data());
  });
}

// Sizes interleave the three variants per n so the pairs being compared run close in time.
BENCHMARK(BM_Cblas)->Arg(64)->Arg(256)->Arg(1024)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_KernelGemm)->Arg(64)->Arg(256)->Arg(1024)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MatmulTensor)->Arg(64)->Arg(256)->Arg(1024)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MatmulVsCblas)->Arg(64)->Arg(256)->Arg(1024)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MatmulVsKernelGemm)->Arg(64)->Arg(256)->Arg(1024)->UseRealTime()->Unit(benchmark::kMicrosecond);

std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string(fallback);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("blas_threads", std::to_string(amor::kernels::cpu::blas_threads()));
  benchmark::AddCustomContext("OPENBLAS_CORETYPE", env_or("OPENBLAS_CORETYPE", "unset"));
  benchmark::AddCustomContext("OMP_NUM_THREADS", env_or("OMP_NUM_THREADS", "unset"));
  benchmark::AddCustomContext("openblas_config", openblas_get_config());
  benchmark::AddCustomContext("openblas_core", openblas_get_corename());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
