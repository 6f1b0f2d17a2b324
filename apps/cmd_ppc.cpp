// `amor ppc`: a posterior predictive check of a saved posterior at one observation
// (sbi/diagnostics/posterior_predictive.h): n posterior draws, one simulation each, and the
// observation against the predictive spread. Writes DIR/posterior.csv (the draws),
// DIR/predictive.csv (their simulations), DIR/ppc.svg (one panel per time series of the task's
// x, apps/plot/predictive_plot.h; tasks without series get one panel over the x index) and
// DIR/ppc.json (the fraction of observed entries inside the 50% and 90% predictive intervals).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "apps/cli_support.h"
#include "apps/commands.h"
#include "apps/plot/output.h"
#include "apps/plot/predictive_plot.h"
#include "core/error.h"
#include "core/file_io.h"
#include "sbi/diagnostics/posterior_predictive.h"
#include "sbi/io/csv.h"
#include "sbi/method.h"
#include "sbi/task.h"
#include "sbi/x_series.h"

namespace amor::apps {

namespace {

// x_o from --observation: a one-row CSV with the x columns, or a row of `amor simulate` (θ and x
// columns by name; the x columns are taken).
Tensor read_observation(const std::string& path, const sbi::Task& task) {
  const sbi::io::CsvTable obs = sbi::io::read_csv(path);
  AMOR_CHECK(obs.values.size(0) == 1, ValueError, "--observation '", path, "' has ", obs.values.size(0),
             " rows; give one observation (one row)");
  const int64_t dx = task.x_dim();
  if (static_cast<int64_t>(obs.header.size()) == dx) return obs.values.to(DType::F64).reshape({1, dx});
  const std::vector<std::string> xn = task.x_names();
  std::vector<double> x;
  const Tensor v = obs.values.to(DType::F64).contiguous();
  for (const std::string& name : xn) {
    const auto it = std::find(obs.header.begin(), obs.header.end(), name);
    AMOR_CHECK(it != obs.header.end(), ValueError, "--observation '", path, "' has ", obs.header.size(),
               " columns, not task '", task.name(), "''s ", dx, " x columns, and no column named '", name, "'");
    x.push_back(v.data<double>()[it - obs.header.begin()]);
  }
  return from_vector(x, Shape{1, dx});
}

}  // namespace

int run_ppc(const PpcArgs& a) {
  const int sources = int(!a.observation.empty()) + int(a.num_observation != 0);
  AMOR_CHECK(sources == 1, ValueError, "give exactly one of --observation FILE and --num-observation K");
  ensure_output_dir("--out", a.out);
  const sbi::PosteriorPtr posterior = sbi::load_posterior(a.model);
  const sbi::TaskPtr task = task_of_model(posterior->task_name(), a.model, a.data_dir, "the check needs its simulator");
  Tensor x_o;
  if (!a.observation.empty()) {
    x_o = read_observation(a.observation, *task);
  } else {
    AMOR_CHECK(task->num_observations() > 0, ValueError, "--num-observation: task '", task->name(),
               "' has no reference observations; give --observation FILE instead");
    AMOR_CHECK(a.num_observation >= 1 && a.num_observation <= task->num_observations(), ValueError,
               "--num-observation: ", a.num_observation, " must be between 1 and ", task->num_observations());
    x_o = task->observation(a.num_observation);
  }
  const Tensor xo = x_o.to(DType::F64).contiguous();
  for (int64_t j = 0; j < xo.numel(); ++j)
    AMOR_CHECK(std::isfinite(xo.data<double>()[j]), ValueError, "the observation's entry ", j + 1, " ('",
               task->x_names()[size_t(j)], "') is not finite");

  const sbi::PosteriorPredictive pp = sbi::posterior_predictive(*task, *posterior, xo, a.n, a.seed);
  const auto dir = std::filesystem::path(a.out);
  write_table((dir / "posterior.csv").string(), task->theta_names(), pp.theta);
  write_table((dir / "predictive.csv").string(), task->x_names(), pp.x);

  const Tensor q = sbi::column_quantiles(pp.x, {0.05, 0.25, 0.5, 0.75, 0.95});  // [5, x_dim]
  const int64_t dx = task->x_dim();
  std::vector<sbi::XSeries> layout;
  if (const auto* series_task = dynamic_cast<const sbi::XSeriesLayout*>(task.get())) layout = series_task->x_series();
  if (layout.empty()) {
    sbi::XSeries all{"x", {}, {}};
    for (int64_t j = 0; j < dx; ++j) {
      all.times.push_back(double(j + 1));
      all.columns.push_back(j);
    }
    layout.push_back(all);
  }
  std::vector<plot::PredictiveSeries> series;
  for (const sbi::XSeries& s : layout) {
    plot::PredictiveSeries p{s.name, s.times, {}, {}, {}, {}, {}, {}};
    for (int64_t col : s.columns) {
      const double* qd = q.data<double>();
      p.q05.push_back(qd[0 * dx + col]);
      p.q25.push_back(qd[1 * dx + col]);
      p.q50.push_back(qd[2 * dx + col]);
      p.q75.push_back(qd[3 * dx + col]);
      p.q95.push_back(qd[4 * dx + col]);
      p.observed.push_back(xo.data<double>()[col]);
    }
    series.push_back(std::move(p));
  }
  const std::string title = "posterior predictive, " + task->name() + ": " + std::to_string(a.n) +
                            " simulations at posterior draws";
  plot::save_figure(plot::predictive_plot(series, title), (dir / "ppc.svg").string());

  const double in50 = sbi::predictive_interval_coverage(pp.x, xo, 0.5);
  const double in90 = sbi::predictive_interval_coverage(pp.x, xo, 0.9);
  nlohmann::json j = {{"task", task->name()},  {"model", a.model},          {"n", a.n},
                      {"seed", a.seed},         {"invalid_simulations", pp.num_invalid},
                      {"observed_inside_50", in50}, {"observed_inside_90", in90}};
  write_file_atomically((dir / "ppc.json").string(), j.dump(2) + "\n", "amor ppc");
  std::printf("observed entries inside the central 50%% / 90%% predictive intervals: %.2f / %.2f (%lld of %lld "
              "simulations invalid)\n",
              in50, in90, static_cast<long long>(pp.num_invalid), static_cast<long long>(a.n));
  std::printf("wrote %s, %s, %s, %s\n", (dir / "posterior.csv").c_str(), (dir / "predictive.csv").c_str(),
              (dir / "ppc.svg").c_str(), (dir / "ppc.json").c_str());
  return 0;
}

}  // namespace amor::apps
