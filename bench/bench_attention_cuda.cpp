// Multi-head attention forward + backward on a CUDA device at the Simformer's shapes: batch
// B = 1000, d = 50 split into H = 4 heads (head dim D = 10, as the reference's 4 heads of 10
// over d_model 50), T ∈ {4, 20, 64, 256}; float32, full attention (no mask; the fused kernel's
// masked variant is timed too, with a per-sample Bernoulli(0.5) mask).
//   BM_FusedAttention/T        kernels/cuda/attention.h: attention_fwd then attention_bwd
//   BM_FusedAttentionMasked/T  the same with a [B, T, T] mask
//   BM_UnfusedAttention/T      the textbook composition: cuBLAS strided-batched GEMMs for
//                              S = scale·QKᵀ, O = PV, dV = PᵀdO, dP = dO·Vᵀ, dQ = scale·dS·K,
//                              dK = scale·dSᵀ·Q, and kernels/cuda/softmax for P = softmax(S)
//                              and dS = softmax'(P, dP); S, P, dP, dS live in global memory
// Layout [B, H, T, D] contiguous for every operand (what cuBLAS batching and PyTorch's
// scaled_dot_product_attention take). Times are device time (CUDA events around one
// forward + backward); counters: GFLOP/s at FlashAttention's count (4 + 10)·B·H·T²·D for
// every implementation (the unfused one does 12 of the 14 but is charged 14, so the rates
// compare times). bench/torch_attention_compare.py times PyTorch on the same shapes;
// bench/run_gpu_compare.sh runs both and prints the ratios.
//
// Without a CUDA device the binary prints one line saying so and exits 0.
#include <benchmark/benchmark.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/cuda/attention.h"
#include "kernels/cuda/device.h"
#include "kernels/cuda/softmax.h"

namespace {

namespace kc = amor::kernels::cuda;

constexpr int64_t kB = 1000, kH = 4, kD = 10;

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(e));
}
void check(cublasStatus_t s, const char* what) {
  if (s != CUBLAS_STATUS_SUCCESS) throw std::runtime_error(std::string(what) + ": cuBLAS status " + std::to_string(int(s)));
}

template <class T>
struct DeviceArray {
  T* ptr = nullptr;
  explicit DeviceArray(size_t n) { check(cudaMalloc(&ptr, n * sizeof(T)), "cudaMalloc"); }
  DeviceArray(const std::vector<T>& host) : DeviceArray(host.size()) {
    check(cudaMemcpy(ptr, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice), "cudaMemcpy");
  }
  ~DeviceArray() { cudaFree(ptr); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
};

std::vector<float> random_vector(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

// q, k, v, dout and the outputs, [B, H, T, D] contiguous.
struct Operands {
  int64_t T;
  size_t n;
  DeviceArray<float> q, k, v, dout, out, dq, dk, dv;
  explicit Operands(int64_t tokens)
      : T(tokens),
        n(size_t(kB * kH * tokens * kD)),
        q(random_vector(n, 1)),
        k(random_vector(n, 2)),
        v(random_vector(n, 3)),
        dout(random_vector(n, 4)),
        out(n),
        dq(n),
        dk(n),
        dv(n) {}
};

double flops(int64_t T) { return 14.0 * double(kB * kH * T * T * kD); }

// Times `step` with CUDA events (one warm-up call first) and reports GFLOP/s.
template <class F>
void time_on_device(benchmark::State& state, int64_t T, F&& step) {
  cudaEvent_t start, stop;
  check(cudaEventCreate(&start), "cudaEventCreate");
  check(cudaEventCreate(&stop), "cudaEventCreate");
  step();
  check(cudaDeviceSynchronize(), "warm-up");
  for (auto _ : state) {
    check(cudaEventRecord(start), "cudaEventRecord");
    step();
    check(cudaEventRecord(stop), "cudaEventRecord");
    check(cudaEventSynchronize(stop), "cudaEventSynchronize");
    float ms = 0;
    check(cudaEventElapsedTime(&ms, start, stop), "cudaEventElapsedTime");
    state.SetIterationTime(double(ms) * 1e-3);
  }
  check(cudaGetLastError(), "kernels");
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  state.counters["FLOPS"] = benchmark::Counter(flops(T), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["T"] = double(T);
}

void fused(benchmark::State& state, bool masked) {
  const int64_t T = state.range(0);
  Operands o(T);
  DeviceArray<float> lse(size_t(kB * kH * T));
  std::vector<uint8_t> mask_host;
  if (masked) {
    std::mt19937 rng(7);
    mask_host.resize(size_t(kB * T * T));
    for (int64_t b = 0; b < kB; ++b)
      for (int64_t i = 0; i < T; ++i)
        for (int64_t j = 0; j < T; ++j) mask_host[size_t((b * T + i) * T + j)] = i == j || (rng() & 1);
  }
  DeviceArray<uint8_t> mask(masked ? mask_host : std::vector<uint8_t>(1, 1));
  // [B, H, T, D]: batch stride H·T·D, token stride D, head stride T·D.
  const kc::AttentionStrides s{kH * T * kD, kD, T * kD};
  const kc::AttentionParams p = kc::AttentionParams::same_layout(kB, T, kH, kD, s, masked ? mask.ptr : nullptr,
                                                                 masked ? T * T : 0, 1.0 / std::sqrt(double(kD)));
  time_on_device(state, T, [&] {
    kc::attention_fwd<float>(p, o.q.ptr, o.k.ptr, o.v.ptr, o.out.ptr, lse.ptr);
    kc::attention_bwd<float>(p, o.q.ptr, o.k.ptr, o.v.ptr, o.out.ptr, lse.ptr, o.dout.ptr, o.dq.ptr, o.dk.ptr,
                             o.dv.ptr);
  });
}

void BM_FusedAttention(benchmark::State& state) { fused(state, false); }
void BM_FusedAttentionMasked(benchmark::State& state) { fused(state, true); }

// Row-major [T, D] operands per (batch, head) are column-major [D, T]; the comments give the
// row-major product each call computes.
void BM_UnfusedAttention(benchmark::State& state) {
  const int64_t T = state.range(0);
  Operands o(T);
  const size_t nss = size_t(kB * kH * T * T);
  DeviceArray<float> S(nss), P(nss), dP(nss), dS(nss);
  cublasHandle_t h;
  check(cublasCreate(&h), "cublasCreate");
  const int batch = int(kB * kH), t = int(T), d = int(kD);
  const long long sx = T * kD, ss = T * T;
  const float scale = float(1.0 / std::sqrt(double(kD))), one = 1.0f, zero = 0.0f;
  auto gemm = [&](cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const float* alpha,
                  const float* a, int lda, long long sa, const float* b, int ldb, long long sb, float* c, int ldc,
                  long long sc) {
    check(cublasSgemmStridedBatched(h, ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, &zero, c, ldc, sc, batch),
          "cublasSgemmStridedBatched");
  };
  time_on_device(state, T, [&] {
    // S = scale·Q·Kᵀ [T, T]
    gemm(CUBLAS_OP_T, CUBLAS_OP_N, t, t, d, &scale, o.k.ptr, d, sx, o.q.ptr, d, sx, S.ptr, t, ss);
    kc::softmax_fwd<float>(S.ptr, P.ptr, kB * kH * T, T, 1);  // P = softmax over keys
    // O = P·V [T, D]
    gemm(CUBLAS_OP_N, CUBLAS_OP_N, d, t, t, &one, o.v.ptr, d, sx, P.ptr, t, ss, o.out.ptr, d, sx);
    // dV = Pᵀ·dO [T, D]
    gemm(CUBLAS_OP_N, CUBLAS_OP_T, d, t, t, &one, o.dout.ptr, d, sx, P.ptr, t, ss, o.dv.ptr, d, sx);
    // dP = dO·Vᵀ [T, T]
    gemm(CUBLAS_OP_T, CUBLAS_OP_N, t, t, d, &one, o.v.ptr, d, sx, o.dout.ptr, d, sx, dP.ptr, t, ss);
    kc::softmax_bwd<float>(P.ptr, dP.ptr, dS.ptr, kB * kH * T, T, 1);  // dS = P ⊙ (dP − rowsum(P ⊙ dP))
    // dQ = scale·dS·K [T, D]
    gemm(CUBLAS_OP_N, CUBLAS_OP_N, d, t, t, &scale, o.k.ptr, d, sx, dS.ptr, t, ss, o.dq.ptr, d, sx);
    // dK = scale·dSᵀ·Q [T, D]
    gemm(CUBLAS_OP_N, CUBLAS_OP_T, d, t, t, &scale, o.q.ptr, d, sx, dS.ptr, t, ss, o.dk.ptr, d, sx);
  });
  cublasDestroy(h);
}

void shapes(benchmark::internal::Benchmark* b) {
  for (int64_t T : {4, 20, 64, 256}) b->Arg(T);
  b->UseManualTime()->Unit(benchmark::kMicrosecond);
}

BENCHMARK(BM_FusedAttention)->Apply(shapes);
BENCHMARK(BM_FusedAttentionMasked)->Apply(shapes);
BENCHMARK(BM_UnfusedAttention)->Apply(shapes);

}  // namespace

int main(int argc, char** argv) {
  if (amor::cuda_device_count() == 0) {
    std::printf("bench_attention_cuda: no CUDA device (or no driver) on this machine; nothing timed\n");
    return 0;
  }
  std::printf("bench_attention_cuda: %s\n", amor::cuda_device_name(0).c_str());
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
