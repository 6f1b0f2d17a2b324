// The Simformer's score network (reference "small" config: d = 50, 6 layers, 4 heads of 10,
// MLP 3×d GELU, Fourier time embedding 128) at the shapes of its training and sampling:
//   BM_SimformerTrainStep/T  one training step: noising, forward, DSM loss, backward, AGC, Adam
//                            at batch 1000 with random condition masks and the undirected mask
//   BM_SimformerScore/T      one score evaluation (no graph) for 10 000 samples, the unit of
//                            Euler–Maruyama sampling (500 per posterior draw by default)
//   BM_SimformerManyPosteriors/batched:0|1/n:N  10 000 posterior samples spread over 10 000/N
//                            observations, N each (what SBC or a coverage check asks for),
//                            ancestral sampler at 50 steps, T = 4: one sample_posterior call per
//                            observation (0) against one sample_posterior_batched call (1)
// T = 4 (two_moons), 8 (slcp: 13), 20 (gaussian_linear). bench/torch_simformer_compare.py times
// the same network in PyTorch.
#include <benchmark/benchmark.h>

#include "core/ops.h"
#include "core/random.h"
#include "nn/clip.h"
#include "nn/optim.h"
#include "sbi/simformer/simformer.h"

using namespace amor;
using namespace amor::sbi::simformer;

namespace {

Tensor dense_dag(int64_t theta_dim, int64_t x_dim) {
  const int64_t t = theta_dim + x_dim;
  Tensor dag = zeros({t, t}).to(DType::Bool);
  for (int64_t i = theta_dim; i < t; ++i)
    for (int64_t j = 0; j < theta_dim; ++j) dag.data<bool>()[i * t + j] = true;
  return dag;
}

void BM_SimformerTrainStep(benchmark::State& state) {
  const int64_t tokens = state.range(0), theta_dim = tokens / 2, x_dim = tokens - theta_dim;
  SimformerModel model(SimformerConfig{}, theta_dim, x_dim, dense_dag(theta_dim, x_dim));
  const auto params = model.network().parameters();
  nn::Adam opt(params, 1e-3);
  Generator gen(1);
  const int64_t batch = 1000;
  const Tensor x0 = randn({batch, tokens}, gen);
  for (auto _ : state) {
    const Tensor observed = sample_condition_masks({}, batch, theta_dim, x_dim, gen);
    const Tensor t = uniform({batch}, 1e-5, 1.0, gen);
    const Tensor eps = randn({batch, tokens}, gen);
    model.network().zero_grad();
    const Tensor loss = model.loss(x0, observed, t, eps);
    loss.backward();
    nn::adaptive_clip_grad(params, 10.0);
    opt.step();
    benchmark::DoNotOptimize(loss.item<float>());
  }
}
BENCHMARK(BM_SimformerTrainStep)->Arg(4)->Arg(8)->Arg(20)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SimformerScore(benchmark::State& state) {
  const int64_t tokens = state.range(0), theta_dim = tokens / 2, x_dim = tokens - theta_dim;
  SimformerModel model(SimformerConfig{}, theta_dim, x_dim, dense_dag(theta_dim, x_dim));
  Generator gen(2);
  const int64_t batch = 10000;
  const Tensor x = randn({batch, tokens}, gen);
  const Tensor observed = posterior_mask(batch, theta_dim, x_dim);
  const Tensor t = full({batch}, 0.5);
  NoGradGuard ng;
  for (auto _ : state) benchmark::DoNotOptimize(model.score(x, observed, t).data<float>());
}
BENCHMARK(BM_SimformerScore)->Arg(4)->Arg(20)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SimformerManyPosteriors(benchmark::State& state) {
  const bool batched = state.range(0) != 0;
  const int64_t theta_dim = 2, x_dim = 2, n = state.range(1), observations = 10000 / n;
  SimformerConfig config;
  config.sampling.method = "ancestral";
  config.sampling.steps = 50;
  SimformerModel model(config, theta_dim, x_dim, dense_dag(theta_dim, x_dim));
  Generator gen(3);
  const Tensor x_os = randn({observations, x_dim}, gen, {.dtype = DType::F64});
  for (auto _ : state) {
    if (batched) {
      benchmark::DoNotOptimize(model.sample_posterior_batched(x_os, n, 1).data<double>());
    } else {
      for (int64_t i = 0; i < observations; ++i)
        benchmark::DoNotOptimize(model.sample_posterior(x_os.slice(0, i, i + 1), n, 1 + uint64_t(i)).data<double>());
    }
  }
  state.counters["samples/s"] = benchmark::Counter(double(observations * n), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_SimformerManyPosteriors)
    ->ArgsProduct({{0, 1}, {10, 100}})
    ->ArgNames({"batched", "n"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
