// Fused masked attention (kernels/cpu/attention), float32, at SBI shapes: B = 1000, H = 4,
// T ∈ {4, 20, 64, 256}, D ∈ {10, 16, 32}.
//   BM_AttentionFwd     attention_fwd
//   BM_AttentionFwdBwd  attention_fwd then attention_bwd (one training step's worth)
// q, k, v are slices of one packed [B, T, 3, H, D] buffer, as the layer passes them; the mask is
// per sample [B, T, T], Bernoulli(0.5) with the diagonal allowed. Arguments: T, D.
// Counters: FLOPS (a rate, GFLOP/s in the output) counting the matmul work only:
// 4·B·H·T²·D for the forward (QKᵀ and PV) and 10·B·H·T²·D more for the backward (S recomputed,
// dP, dQ, dK, dV), FlashAttention's convention. Real time: OpenMP threads (OMP_NUM_THREADS).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "kernels/cpu/attention.h"

namespace {

namespace kc = amor::kernels::cpu;

constexpr int64_t kB = 1000, kH = 4;

struct Problem {
  int64_t T, D;
  kc::AttentionParams p;
  std::vector<float> qkv, out, lse, dout, dqkv;
  std::vector<uint8_t> mask;

  Problem(int64_t tokens, int64_t dim) : T(tokens), D(dim) {
    const int64_t n = kB * T * 3 * kH * D;
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    qkv.resize(size_t(n));
    dout.resize(size_t(n));
    for (auto& x : qkv) x = u(rng);
    for (auto& x : dout) x = u(rng);
    out.assign(size_t(kB * T * kH * D), 0.0f);
    dout.resize(out.size());
    dqkv.assign(size_t(n), 0.0f);
    lse.assign(size_t(kB * kH * T), 0.0f);
    mask.resize(size_t(kB * T * T));
    for (int64_t b = 0; b < kB; ++b)
      for (int64_t i = 0; i < T; ++i)
        for (int64_t j = 0; j < T; ++j) mask[size_t((b * T + i) * T + j)] = i == j || (rng() & 1);
    // As nn::MultiHeadAttention runs it: q, k, v and dq, dk, dv are slices of packed
    // [B, T, 3, H, D] buffers, out and dout contiguous [B, T, H, D].
    const int64_t st = 3 * kH * D;
    p = kc::AttentionParams::same_layout(kB, T, kH, D, {T * st, st, D}, mask.data(), T * T,
                                         1.0 / std::sqrt(double(D)));
    p.out = p.dout = {T * kH * D, kH * D, D};
  }
  const float* q() const { return qkv.data(); }
  const float* k() const { return qkv.data() + kH * D; }
  const float* v() const { return qkv.data() + 2 * kH * D; }

  void forward() { kc::attention_fwd<float>(p, q(), k(), v(), out.data(), lse.data()); }
  void backward() {
    float* dq = dqkv.data();
    kc::attention_bwd<float>(p, q(), k(), v(), out.data(), lse.data(), dout.data(), dq,
                             dq + kH * D, dq + 2 * kH * D);
  }
};

void set_flops(benchmark::State& state, const Problem& pr, double per_pair) {
  const double flops = per_pair * double(kB * kH) * double(pr.T * pr.T * pr.D);
  state.counters["FLOPS"] = benchmark::Counter(flops * double(state.iterations()),
                                               benchmark::Counter::kIsRate,
                                               benchmark::Counter::kIs1000);
}

void BM_AttentionFwd(benchmark::State& state) {
  Problem pr(state.range(0), state.range(1));
  for (auto _ : state) {
    pr.forward();
    benchmark::DoNotOptimize(pr.out.data());
    benchmark::ClobberMemory();
  }
  set_flops(state, pr, 4.0);
}

void BM_AttentionFwdBwd(benchmark::State& state) {
  Problem pr(state.range(0), state.range(1));
  for (auto _ : state) {
    pr.forward();
    pr.backward();
    benchmark::DoNotOptimize(pr.dqkv.data());
    benchmark::ClobberMemory();
  }
  set_flops(state, pr, 14.0);
}

void shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"T", "D"});
  for (int64_t T : {4, 20, 64, 256}) b->Args({T, 10});
  for (int64_t D : {16, 32}) b->Args({64, D});
  b->Unit(benchmark::kMicrosecond)->UseRealTime();
}

BENCHMARK(BM_AttentionFwd)->Apply(shapes);
BENCHMARK(BM_AttentionFwdBwd)->Apply(shapes);

}  // namespace

BENCHMARK_MAIN();
