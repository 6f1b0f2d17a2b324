// Lotka–Volterra evaluation (lotka_volterra_checks.h).
#include "lotka_volterra_checks.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/ops.h"
#include "sbi/diagnostics/c2st.h"
#include "sbi/io/csv.h"
#include "sbi/rng.h"

namespace function_valued_examples {

using amor::Tensor;
using LV = amor::sbi::tasks::LotkaVolterraIrregular;

namespace {
constexpr uint64_t kObservationStream = 0x0B5E;
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

LV::Points lv_observation(int64_t count, int64_t index, uint64_t seed, std::vector<double>* theta_o) {
  const uint64_t id = uint64_t(count) * 1000 + uint64_t(index);
  const Tensor theta = LV::prior()->sample(1, seed, id);
  amor::sbi::Rng rng(seed, kObservationStream, id);
  std::vector<double> tp(static_cast<size_t>(count)), tq(static_cast<size_t>(count));
  for (auto& t : tp) t = rng.uniform(0.0, LV::kTimeEnd);
  for (auto& t : tq) t = rng.uniform(0.0, LV::kTimeEnd);
  std::sort(tp.begin(), tp.end());
  std::sort(tq.begin(), tq.end());
  if (theta_o) theta_o->assign(theta.data<double>(), theta.data<double>() + LV::kParameters);
  return LV::simulate(theta.data<double>(), tp, tq, seed, id);
}

Tensor lv_reference(const LV::Points& points, int64_t count, int64_t index, const LvEvaluationOptions& options,
                    double* stages) {
  std::string path;
  if (!options.cache_dir.empty()) {
    std::filesystem::create_directories(options.cache_dir);
    path = options.cache_dir + "/lv_irregular_smc_c" + std::to_string(count) + "_o" + std::to_string(index) + "_n" +
           std::to_string(options.samples) + "_s" + std::to_string(options.seed) + ".csv";
    if (std::filesystem::exists(path)) {
      const amor::sbi::io::CsvTable t = amor::sbi::io::read_csv(path);
      if (t.values.size(0) == options.samples) {
        if (stages) *stages = std::nan("");  // not known from a cache
        return t.values.to(amor::DType::F64);
      }
    }
  }
  amor::sbi::ConditionalReferenceDiagnostics diagnostics;
  const Tensor ref = LV::reference_posterior_smc(points, options.samples,
                                                 options.seed + 17 + uint64_t(count * 100 + index), {}, &diagnostics);
  if (stages) *stages = double(diagnostics.stages);
  if (!path.empty()) amor::sbi::io::write_csv(path, {"alpha", "beta", "gamma", "delta"}, ref);
  return ref;
}

std::vector<LvEvaluationRow> evaluate_lotka_volterra(const amor::sbi::simformer::SimformerModel& model,
                                                     const LvEvaluationOptions& options, bool verbose) {
  std::vector<LvEvaluationRow> rows;
  for (const int64_t count : options.counts) {
    for (int64_t index = 0; index < options.observations_per_count; ++index) {
      LvEvaluationRow row;
      row.count = count;
      row.index = index;
      const LV::Points points = lv_observation(count, index, options.seed, &row.theta_o);
      auto t0 = std::chrono::steady_clock::now();
      const Tensor ref = lv_reference(points, count, index, options, &row.reference_stages);
      row.reference_seconds = seconds_since(t0);
      t0 = std::chrono::steady_clock::now();
      const Tensor samples = amor::sbi::simformer::lotka_volterra_posterior(
          model, points, options.samples, options.seed + 1000 + uint64_t(count * 100 + index), options.sampling);
      row.sampling_seconds = seconds_since(t0);
      row.c2st = amor::sbi::c2st(ref, samples);
      if (verbose) {
        // Per parameter: reference mean ± std, then the model's.
        for (int64_t j = 0; j < LV::kParameters; ++j) {
          double mr = 0, vr = 0, mm = 0, vm = 0;
          const int64_t nr = ref.size(0), nm = samples.size(0);
          for (int64_t i = 0; i < nr; ++i) mr += ref.data<double>()[i * 4 + j] / double(nr);
          for (int64_t i = 0; i < nr; ++i) vr += std::pow(ref.data<double>()[i * 4 + j] - mr, 2) / double(nr - 1);
          for (int64_t i = 0; i < nm; ++i) mm += samples.data<double>()[i * 4 + j] / double(nm);
          for (int64_t i = 0; i < nm; ++i) vm += std::pow(samples.data<double>()[i * 4 + j] - mm, 2) / double(nm - 1);
          std::printf("  %-6s true %.3f  reference %.3f ± %.3f  model %.3f ± %.3f\n", LV::node_names()[size_t(j)].c_str(),
                      row.theta_o[size_t(j)], mr, std::sqrt(vr), mm, std::sqrt(vm));
        }
        std::printf("times per series %2lld, observation %lld (theta_o %.3f %.3f %.3f %.3f): C2ST %.3f  "
                    "(reference: %.0f SMC stages, %.0f s; sampling %.0f s)\n",
                    static_cast<long long>(count), static_cast<long long>(index), row.theta_o[0], row.theta_o[1],
                    row.theta_o[2], row.theta_o[3], row.c2st, row.reference_stages, row.reference_seconds, row.sampling_seconds);
        std::fflush(stdout);
      }
      rows.push_back(row);
    }
  }
  return rows;
}

}  // namespace function_valued_examples
