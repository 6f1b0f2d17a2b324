// Per-op overhead and one small training step.
//
//   BM_Add<rows, cols>/grad:1   c = a + b, a requires grad (an AddBackward node is recorded and
//                               freed with c)
//   BM_Add<rows, cols>/grad:0   c = a + b, nothing requires grad
//   BM_RawAdd<rows, cols>       the same adds as a plain C++ loop into a preallocated buffer:
//                               the arithmetic floor, no framework at all
// at [200, 50] (10 000 adds) and [4] (pure overhead).
//
//   BM_MLPStep   2→50→50→2 tanh MLP, batch 200: forward (amor::linear, amor::tanh),
//                loss = mean(square(out − y)), backward, plain SGD (NoGradGuard + add_) and
//                zero_grad. bench/torch_compare.py runs the same workloads in PyTorch.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/random.h"
#include "core/tensor.h"

namespace {

amor::Shape shape_of(int64_t rows, int64_t cols) {
  return rows == 1 ? amor::Shape{cols} : amor::Shape{rows, cols};
}

void BM_Add(benchmark::State& state) {
  const amor::Shape s = shape_of(state.range(0), state.range(1));
  const bool grad = state.range(2) != 0;
  amor::Generator gen(7);
  amor::Tensor a = amor::uniform(s, -1.0, 1.0, gen);
  amor::Tensor b = amor::uniform(s, -1.0, 1.0, gen);
  if (grad) a.requires_grad_();
  for (auto _ : state) {
    amor::Tensor c = a + b;
    benchmark::DoNotOptimize(c.impl());
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_RawAdd(benchmark::State& state) {
  const size_t n = size_t(state.range(0) * state.range(1));
  std::vector<float> a(n), b(n), c(n);
  for (size_t i = 0; i < n; ++i) {
    a[i] = float(i % 17) * 0.25f;
    b[i] = float(i % 13) * -0.5f;
  }
  float* pa = a.data();
  float* pb = b.data();
  float* pc = c.data();
  for (auto _ : state) {
    benchmark::DoNotOptimize(pa);
    benchmark::DoNotOptimize(pb);
    benchmark::DoNotOptimize(pc);
    for (size_t i = 0; i < n; ++i) pc[i] = pa[i] + pb[i];
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_RawAdd)->ArgNames({"rows", "cols"})->Args({200, 50})->Args({1, 4});
BENCHMARK(BM_Add)
    ->ArgNames({"rows", "cols", "grad"})
    ->Args({200, 50, 0})
    ->Args({200, 50, 1})
    ->Args({1, 4, 0})
    ->Args({1, 4, 1});

// ---- MLP training step --------------------------------------------------------------------------

struct MLP {
  std::vector<amor::Tensor> params;  // W1, b1, W2, b2, W3, b3 (weights [out, in])
  amor::Tensor x, y;

  MLP(int64_t batch, const std::vector<int64_t>& widths) {
    amor::Generator gen(42);
    for (size_t l = 0; l + 1 < widths.size(); ++l) {
      const double bound = 1.0 / std::sqrt(double(widths[l]));
      params.push_back(amor::uniform({widths[l + 1], widths[l]}, -bound, bound, gen));
      params.push_back(amor::uniform({widths[l + 1]}, -bound, bound, gen));
    }
    for (auto& p : params) p.requires_grad_();
    x = amor::randn({batch, widths.front()}, gen);
    y = amor::randn({batch, widths.back()}, gen);
  }

  amor::Tensor loss() const {
    amor::Tensor h = x;
    const size_t layers = params.size() / 2;
    for (size_t l = 0; l < layers; ++l) {
      h = amor::linear(h, params[2 * l], params[2 * l + 1]);
      if (l + 1 < layers) h = amor::tanh(h);
    }
    return amor::mean(amor::square(h - y));
  }

  void sgd(double lr) {
    amor::NoGradGuard no_grad;
    for (auto& p : params) {
      p.add_(p.grad(), -lr);
      p.zero_grad();
    }
  }
};

void BM_MLPStep(benchmark::State& state) {
  MLP mlp(state.range(0), {2, 50, 50, 2});
  for (auto _ : state) {
    amor::Tensor loss = mlp.loss();
    loss.backward();
    mlp.sgd(1e-3);
    benchmark::DoNotOptimize(loss.impl());
  }
  state.SetItemsProcessed(state.iterations());
}

// The step's parts on their own, to see where its time goes.
void BM_MLPForward(benchmark::State& state) {
  MLP mlp(state.range(0), {2, 50, 50, 2});
  const bool grad = state.range(1) != 0;
  for (auto _ : state) {
    amor::Tensor loss;
    if (grad) {
      loss = mlp.loss();
    } else {
      amor::NoGradGuard no_grad;
      loss = mlp.loss();
    }
    benchmark::DoNotOptimize(loss.impl());
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_MLPStep)->ArgName("batch")->Arg(200)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MLPForward)
    ->ArgNames({"batch", "grad"})
    ->Args({200, 0})
    ->Args({200, 1})
    ->Unit(benchmark::kMicrosecond);

std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string(fallback);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("OPENBLAS_CORETYPE", env_or("OPENBLAS_CORETYPE", "unset"));
  benchmark::AddCustomContext("OMP_NUM_THREADS", env_or("OMP_NUM_THREADS", "unset"));
  benchmark::AddCustomContext("OPENBLAS_NUM_THREADS", env_or("OPENBLAS_NUM_THREADS", "unset"));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
