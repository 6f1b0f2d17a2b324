// Simformer training throughput on a CUDA device: SimformerModel::train (the whole loop: batch
// draw, noising, forward, DSM loss, backward, adaptive clipping, Adam, periodic validation) with
// the reference configuration (batch 1000, d = 50, 6 layers, 4 heads of 10, undirected mask) on
// 10 000 simulations of
//   BM_SimformerTrainGpu/0   two_moons        (T = 4)
//   BM_SimformerTrainGpu/1   gaussian_linear  (T = 20)
// Each iteration trains a fresh model for kSteps steps on cuda:0; the time is the training's own
// clock. Counters: steps_per_s, and s_per_100k_steps = 100 000 / steps_per_s, against the
// reference's ~60–110 steps/s on an RTX 2080-class GPU (100k steps in 900–1600 s,
// ../shared/reference/simformer.md §7 and note 10).
//
// Without a CUDA device the binary prints one line saying so and exits 0.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <vector>

#include "core/ops.h"
#include "kernels/cuda/device.h"
#include "sbi/simformer/simformer.h"
#include "sbi/simulator.h"
#include "sbi/task.h"

namespace {

using namespace amor;

constexpr int64_t kSteps = 500;
constexpr int64_t kSimulations = 10000;
const std::vector<std::string> kTasks = {"two_moons", "gaussian_linear"};

void BM_SimformerTrainGpu(benchmark::State& state) {
  const std::string name = kTasks[size_t(state.range(0))];
  const sbi::TaskPtr task = sbi::make_task(name);
  const sbi::Dataset data = sbi::simulate_dataset(*task->prior(), *task->simulator(), kSimulations, 1);
  const Tensor joint = concat({data.theta, data.x}, 1);
  sbi::simformer::SimformerConfig config;
  config.training.steps = kSteps;
  double steps = 0, seconds = 0;
  for (auto _ : state) {
    sbi::simformer::SimformerModel model(config, task->theta_dim(), task->x_dim(), task->dag());
    model.to(Device::cuda(0));
    const sbi::simformer::TrainingSummary s = model.train(joint, 7);
    state.SetIterationTime(s.seconds);
    steps += double(s.steps);
    seconds += s.seconds;
  }
  state.SetLabel(name);
  const double rate = seconds > 0 ? steps / seconds : 0.0;
  state.counters["steps_per_s"] = rate;
  state.counters["s_per_100k_steps"] = rate > 0 ? 1e5 / rate : 0.0;
  state.counters["T"] = double(task->theta_dim() + task->x_dim());
}

BENCHMARK(BM_SimformerTrainGpu)->Arg(0)->Arg(1)->UseManualTime()->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace

int main(int argc, char** argv) {
  if (amor::cuda_device_count() == 0) {
    std::printf("bench_simformer_gpu: no CUDA device (or no driver) on this machine; nothing timed\n");
    return 0;
  }
  std::printf("bench_simformer_gpu: %s\n", amor::cuda_device_name(0).c_str());
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
