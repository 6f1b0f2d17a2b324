// nn training steps, float32, the workloads of bench/torch_nn_compare.py (PyTorch side):
//
//   BM_MLPStep              nn::MLP 2→50→50→2 (Act::Tanh), batch 200: zero_grad, forward,
//                           loss = mean((out − y)²), backward, nn::Adam step.
//   BM_TransformerStep/T    nn::TransformerEncoder (d_model 50, 4 heads × head_dim 10, MLP 3·d
//                           with GELU-tanh, 6 layers, no conditioning), batch 1000, T tokens,
//                           dense random boolean mask [B, T, T] (Bernoulli(0.7), diagonal always
//                           kept), input [B, T, 50] ~ N(0, 1): zero_grad, forward,
//                           loss = mean(out²), backward, nn::Adam step. T ∈ {4, 20}.
//   BM_Gemm/ta/tb/M/N/K     kernels::cpu::gemm<float> C = op(A)·op(B) at 1024³ and at every GEMM
//                           shape of the transformer step (see gemm_args).
//   BM_GemmEngine/e/ta/tb/M/N/K  amor's packed kernel (gemm_own, e = 0) against cblas_sgemm
//                           (OpenBLAS, e = 1) at 1024³, 256³ and the transformer's shapes.
//
// Counters of BM_TransformerStep:
//   GFLOPs      the step's GEMM FLOPs (see step_flops) per second of wall time
//   flop_step   the GEMM FLOPs counted for one step
//   peak_1024, peak_shape   best-of-several sgemm GFLOP/s of kernels::cpu::gemm measured in the
//               same process just before the step's timing loop (1024³; M = B·T, N = 150, K = 50)
//   share_1024, share_shape GFLOPs / peak (fractions)
//   peak_fma, share_fma     the machine's FMA peak over all threads (fma_peak_gflops: the GEMM
//               ceiling of the hardware) and GFLOPs / peak_fma
//
// Threads: OMP_NUM_THREADS / OPENBLAS_NUM_THREADS (bench/run_nn_compare.sh sets both). The
// reported time is wall clock (UseRealTime): the steps are multi-threaded. The steps' CPU time is
// the whole process's (MeasureProcessCPUTime), comparable with the Python script's
// time.process_time(); at one thread it is the load-robust figure on a shared machine.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/random.h"
#include "core/tensor.h"
#include "kernels/cpu/gemm.h"
#include "nn/mlp.h"
#include "nn/optim.h"
#include "nn/transformer.h"

namespace {

namespace kc = amor::kernels::cpu;

// The transformer workload (nn::TransformerOptions of the step below).
constexpr int64_t kD = 50, kHeads = 4, kHeadDim = 10, kMlpRatio = 3, kLayers = 6, kBatch = 1000;

// ---- sgemm peak ---------------------------------------------------------------------------------

// Best GFLOP/s of kernels::cpu::gemm<float>(no trans A, trans B) over `trials` timed batches of
// calls, each batch about 50 ms. Cached per shape: every benchmark of one process sees the same
// figure.
double sgemm_peak_gflops(int64_t M, int64_t N, int64_t K, int trials = 7) {
  static std::map<std::tuple<int64_t, int64_t, int64_t>, double> cache;
  const auto key = std::make_tuple(M, N, K);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  std::vector<float> a(size_t(M * K)), b(size_t(N * K)), c(size_t(M * N));
  for (size_t i = 0; i < a.size(); ++i) a[i] = float(int(i % 23) - 11) * 0.05f;
  for (size_t i = 0; i < b.size(); ++i) b[i] = float(int(i % 19) - 9) * 0.05f;
  const double flops = 2.0 * double(M) * double(N) * double(K);
  using clock = std::chrono::steady_clock;
  auto call = [&] {
    kc::gemm<float>(false, true, M, N, K, 1.0f, a.data(), K, b.data(), K, 0.0f, c.data(), N);
  };
  call();  // warm up: packing buffers, thread pools
  // Calls per batch for ~50 ms.
  const auto t0 = clock::now();
  call();
  const double one = std::chrono::duration<double>(clock::now() - t0).count();
  const int64_t reps = std::max<int64_t>(1, int64_t(0.05 / std::max(one, 1e-7)));
  double best = 0.0;
  for (int t = 0; t < trials; ++t) {
    const auto s = clock::now();
    for (int64_t r = 0; r < reps; ++r) call();
    const double sec = std::chrono::duration<double>(clock::now() - s).count();
    best = std::max(best, flops * double(reps) / sec * 1e-9);
  }
  benchmark::DoNotOptimize(c.data());
  cache[key] = best;
  return best;
}

// The machine's float32 peak: fused multiply-adds on 16 independent vector accumulators held in
// registers (the widest vectors the build targets: zmm with -march=native here), on every
// OpenMP thread at once; per thread the best of 7 runs of ~50 ms, timed by the thread's own CPU
// clock (so that time the thread spent descheduled on a busy machine does not count), summed
// over the threads. No memory traffic: this is the ceiling no GEMM can pass.
double fma_peak_gflops() {
  static double cached = 0.0;
  if (cached > 0.0) return cached;
#if defined(__AVX512F__)
  typedef float V __attribute__((vector_size(64)));
#else
  typedef float V __attribute__((vector_size(32)));
#endif
  constexpr int kAcc = 16;
  constexpr double kFlopsPerIter = 2.0 * kAcc * double(sizeof(V) / sizeof(float));
  const int64_t iters = 5'000'000;  // ~50 ms per run at ~100 GFLOP/s
  double total = 0.0;
#pragma omp parallel reduction(+ : total)
  {
    double best = 0.0;
    for (int run = 0; run < 7; ++run) {
      V acc[kAcc];
      for (int i = 0; i < kAcc; ++i) acc[i] = V{} + float(i) * 1e-3f;
      const V a = V{} + 0.999999f, b = V{} + 1e-7f;
      auto thread_seconds = [] {
        timespec ts;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
      };
      const double t0 = thread_seconds();
      for (int64_t k = 0; k < iters; ++k)
#pragma GCC unroll 16
        for (int i = 0; i < kAcc; ++i) acc[i] = acc[i] * a + b;
      const double sec = thread_seconds() - t0;
      float sink = 0.0f;
      for (int i = 0; i < kAcc; ++i) sink += acc[i][0];
      benchmark::DoNotOptimize(sink);
      best = std::max(best, kFlopsPerIter * double(iters) / sec * 1e-9);
    }
    total += best;
  }
  cached = total;
  return total;
}

// C[M, N] = op(A)·op(B) through kernels::cpu::gemm<float>, arguments (trans_a, trans_b, M, N, K).
void BM_Gemm(benchmark::State& state) {
  const bool ta = state.range(0) != 0, tb = state.range(1) != 0;
  const int64_t M = state.range(2), N = state.range(3), K = state.range(4);
  std::vector<float> a(size_t(M * K), 0.5f), b(size_t(N * K), 0.25f), c(size_t(M * N));
  const int64_t lda = ta ? M : K, ldb = tb ? K : N;
  for (auto _ : state) {
    kc::gemm<float>(ta, tb, M, N, K, 1.0f, a.data(), lda, b.data(), ldb, 0.0f, c.data(), N);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  state.counters["GFLOPs"] = benchmark::Counter(2.0 * double(M) * double(N) * double(K) * 1e-9,
                                                benchmark::Counter::kIsIterationInvariantRate);
}

// The same shapes through one engine each, arguments (engine, trans_a, trans_b, M, N, K):
// engine 0 = kernels::cpu::gemm_own (amor's packed kernel, OpenMP), 1 = cblas_sgemm (OpenBLAS,
// whatever core it chose). What kernels::cpu::gemm routes where is decided from these.
void BM_GemmEngine(benchmark::State& state) {
  const bool own = state.range(0) == 0;
  const bool ta = state.range(1) != 0, tb = state.range(2) != 0;
  const int64_t M = state.range(3), N = state.range(4), K = state.range(5);
  std::vector<float> a(size_t(M * K), 0.5f), b(size_t(N * K), 0.25f), c(size_t(M * N));
  const int64_t lda = ta ? M : K, ldb = tb ? K : N;
  for (auto _ : state) {
    if (own)
      kc::gemm_own<float>(ta, tb, M, N, K, 1.0f, a.data(), lda, b.data(), ldb, 0.0f, c.data(), N);
    else
      cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                  int(M), int(N), int(K), 1.0f, a.data(), int(lda), b.data(), int(ldb), 0.0f,
                  c.data(), int(N));
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  state.counters["GFLOPs"] = benchmark::Counter(2.0 * double(M) * double(N) * double(K) * 1e-9,
                                                benchmark::Counter::kIsIterationInvariantRate);
}

// ---- MLP step -----------------------------------------------------------------------------------

void BM_MLPStep(benchmark::State& state) {
  const int64_t batch = state.range(0);
  amor::Generator gen(42);
  amor::nn::MLP mlp({2, 50, 50, 2}, gen, {.activation = amor::nn::Act::Tanh});
  amor::nn::Adam opt(mlp.parameters(), 1e-3);
  const amor::Tensor x = amor::randn({batch, 2}, gen);
  const amor::Tensor y = amor::randn({batch, 2}, gen);
  for (auto _ : state) {
    opt.zero_grad();
    amor::Tensor loss = amor::mean(amor::square(mlp.forward(x) - y));
    loss.backward();
    opt.step();
    benchmark::DoNotOptimize(loss.impl());
  }
  // Linear FLOPs: 2·N·in·out forward, 4·N·in·out backward (the first layer's input gradient is
  // not needed but is counted here too, as in the transformer count).
  const double flops = 6.0 * double(batch) * (2 * 50 + 50 * 50 + 50 * 2);
  state.counters["GFLOPs"] =
      benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// ---- transformer step ---------------------------------------------------------------------------

// GEMM FLOPs of one training step (forward + backward), per the convention of the issue:
// Linear [N, in] → [N, out]: 2·N·in·out forward, 4·N·in·out backward; attention QKᵀ and PV per
// (b, h): 2·T²·D each forward, twice that backward. Layer norms, softmax, GELU, Adam: not counted.
double step_flops(int64_t B, int64_t T) {
  const double N = double(B * T);
  const double hd = double(kHeads * kHeadDim);
  const double linear_in_out = double(kD) * 3.0 * hd   // qkv projection d → 3·H·D
                               + hd * double(kD)       // output projection H·D → d
                               + 2.0 * double(kD) * double(kMlpRatio * kD);  // fc1, fc2
  const double linear = 6.0 * N * linear_in_out;
  const double attn = double(B * kHeads) * (4.0 * double(T * T * kHeadDim) * 3.0);
  return double(kLayers) * (linear + attn);
}

struct TransformerProblem {
  amor::Generator gen{1234};
  amor::nn::TransformerEncoder model;
  amor::nn::Adam opt;
  amor::Tensor x, mask;

  explicit TransformerProblem(int64_t T)
      : model({.d_model = kD,
               .heads = kHeads,
               .head_dim = kHeadDim,
               .mlp_ratio = kMlpRatio,
               .activation = amor::nn::Act::GeluTanh,
               .cond_dim = 0,
               .layers = kLayers,
               .dtype = amor::DType::F32},
              gen),
        opt(model.parameters(), 1e-4) {
    x = amor::randn({kBatch, T, kD}, gen);
    mask = amor::logical_or(amor::bernoulli({kBatch, T, T}, 0.7, gen),
                            amor::eye(T, {.dtype = amor::DType::Bool}));
  }

  amor::Tensor step() {
    opt.zero_grad();
    amor::Tensor out = model.forward(x, mask);
    amor::Tensor loss = amor::mean(amor::square(out));
    loss.backward();
    opt.step();
    return loss;
  }
};

void BM_TransformerStep(benchmark::State& state) {
  const int64_t T = state.range(0);
  // Peak first (outside the timing loop; cached, so later repetitions do not re-measure).
  const double peak_1024 = sgemm_peak_gflops(1024, 1024, 1024);
  const double peak_shape = sgemm_peak_gflops(kBatch * T, kMlpRatio * kD, kD);
  const double peak_fma = fma_peak_gflops();
  TransformerProblem p(T);
  p.step();  // warm up: Adam state, allocator caches
  double seconds = 0.0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    amor::Tensor loss = p.step();
    benchmark::DoNotOptimize(loss.impl());
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  const double flops = step_flops(kBatch, T);
  const double gflops = seconds > 0 ? flops * double(state.iterations()) / seconds * 1e-9 : 0.0;
  state.counters["GFLOPs"] = gflops;
  state.counters["flop_step"] = flops;
  state.counters["peak_1024"] = peak_1024;
  state.counters["peak_shape"] = peak_shape;
  state.counters["share_1024"] = peak_1024 > 0 ? gflops / peak_1024 : 0.0;
  state.counters["share_shape"] = peak_shape > 0 ? gflops / peak_shape : 0.0;
  state.counters["peak_fma"] = peak_fma;
  state.counters["share_fma"] = peak_fma > 0 ? gflops / peak_fma : 0.0;
}

// 1024³, then every GEMM of the transformer step (per layer; × 6 layers per step) at T = 4 and
// 20: forward y = x·Wᵀ (0, 1, N, out, in), input gradient dx = dy·W (0, 0, N, in, out), weight
// gradient dW = dyᵀ·x (1, 0, out, in, N), for qkv (50 → 120), out_proj (40 → 50), fc1
// (50 → 150) and fc2 (150 → 50), N = B·T. bench/run_nn_compare.sh sums them into the step's GEMM
// time. Attention's per-head products run inside the fused attention kernel, not here.
void gemm_args(benchmark::internal::Benchmark* b) {
  b->Args({0, 1, 1024, 1024, 1024});
  for (int64_t T : {4, 20}) {
    const int64_t N = kBatch * T;
    const int64_t hd = kHeads * kHeadDim;
    const int64_t layers[][2] = {{kD, 3 * hd}, {hd, kD}, {kD, kMlpRatio * kD}, {kMlpRatio * kD, kD}};
    for (const auto& l : layers) {
      b->Args({0, 1, N, l[1], l[0]});
      b->Args({0, 0, N, l[0], l[1]});
      b->Args({1, 0, l[1], l[0], N});
    }
  }
}
BENCHMARK(BM_Gemm)
    ->ArgNames({"ta", "tb", "M", "N", "K"})
    ->Apply(gemm_args)
    ->Unit(benchmark::kMicrosecond)
    ->MeasureProcessCPUTime()
    ->UseRealTime();
void gemm_engine_args(benchmark::internal::Benchmark* b) {
  for (int64_t engine : {0, 1}) {
    b->Args({engine, 0, 1, 1024, 1024, 1024});
    b->Args({engine, 0, 1, 256, 256, 256});
    for (int64_t T : {4, 20}) {
      const int64_t N = kBatch * T;
      for (const auto& l : std::vector<std::array<int64_t, 2>>{{kD, 150}, {150, kD}, {kD, 120}}) {
        b->Args({engine, 0, 1, N, l[1], l[0]});
        b->Args({engine, 0, 0, N, l[0], l[1]});
        b->Args({engine, 1, 0, l[1], l[0], N});
      }
    }
  }
}
BENCHMARK(BM_GemmEngine)
    ->ArgNames({"own", "ta", "tb", "M", "N", "K"})
    ->Apply(gemm_engine_args)
    ->Unit(benchmark::kMicrosecond)
    ->MeasureProcessCPUTime()
    ->UseRealTime();
BENCHMARK(BM_MLPStep)
    ->ArgName("batch")
    ->Arg(200)
    ->Unit(benchmark::kMicrosecond)
    ->MeasureProcessCPUTime()
    ->UseRealTime();
BENCHMARK(BM_TransformerStep)
    ->ArgName("T")
    ->Arg(4)
    ->Arg(20)
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime()
    ->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("openblas_core", kc::blas_core_name());
  benchmark::AddCustomContext("blas_threads", std::to_string(kc::blas_threads()));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
