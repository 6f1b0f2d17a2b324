// `amor log-prob`: the log-density of a simformer model's conditional at given points, through the
// probability-flow ODE (sbi/simformer/log_prob.h). The conditioning variables come from
// --condition (values only), --observation FILE or --num-observation K (then θ | x_o); the points
// file has one column per remaining variable (any order, names as in the model) and one row per
// point. Writes the points with a last column log_prob (natural log, the data's units).
#include <cmath>
#include <cstdio>

#include "apps/cli_support.h"
#include "apps/commands.h"
#include "apps/conditions.h"
#include "core/error.h"
#include "core/ops.h"
#include "sbi/io/csv.h"
#include "sbi/method.h"
#include "sbi/simformer/simformer_method.h"
#include "sbi/task.h"

namespace amor::apps {

int run_log_prob(const LogProbArgs& a) {
  const int sources = int(!a.observation.empty()) + int(a.num_observation != 0) + int(!a.condition.empty());
  AMOR_CHECK(sources <= 1, ValueError,
             "give at most one of --observation FILE, --num-observation K and --condition NAME=VALUE,...");
  check_output_file("--out", a.out);
  sbi::simformer::LogProbOptions options;
  options.divergence = sbi::simformer::parse_divergence_kind(a.divergence);
  options.steps = a.steps;
  options.probes = a.probes;
  const sbi::PosteriorPtr posterior = sbi::load_posterior(a.model);
  const std::string model_desc =
      "the model (task '" + posterior->task_name() + "', method '" + posterior->method() + "')";
  auto* simformer = dynamic_cast<sbi::simformer::SimformerPosterior*>(posterior.get());
  AMOR_CHECK(simformer != nullptr, ValueError, "log-prob needs a simformer model; ", model_desc,
             " has no density of its conditionals");
  const std::vector<std::string> names = simformer->variable_names();
  const int64_t tokens = static_cast<int64_t>(names.size()), theta_dim = simformer->theta_dim();

  // The conditioning values.
  std::vector<double> values(names.size(), 0.0);
  std::vector<bool> observed(names.size(), false);
  if (!a.condition.empty()) {
    for (const ConditionItem& item : parse_conditions("--condition", a.condition)) {
      const int64_t i = resolve_variable("--condition", item.name, names, model_desc);
      AMOR_CHECK(item.kind == ConditionItem::Kind::Value, ValueError, "--condition: '", item.text,
                 "': log-prob conditions on values only (no intervals or missing values)");
      AMOR_CHECK(!observed[size_t(i)], ValueError, "--condition: '", names[size_t(i)], "' is given twice");
      observed[size_t(i)] = true;
      values[size_t(i)] = item.value;
    }
  } else if (!a.observation.empty() || a.num_observation != 0) {
    Tensor x_o;
    if (!a.observation.empty()) {
      const sbi::io::CsvTable obs = sbi::io::read_csv(a.observation);
      AMOR_CHECK(static_cast<int64_t>(obs.header.size()) == simformer->x_dim() && obs.values.size(0) == 1, ValueError,
                 "--observation '", a.observation, "' must hold one row of ", simformer->x_dim(), " columns");
      x_o = obs.values;
    } else {
      const sbi::TaskPtr task = sbi::make_task(posterior->task_name(), {.data_dir = a.data_dir});
      AMOR_CHECK(a.num_observation >= 1 && a.num_observation <= task->num_observations(), ValueError,
                 "--num-observation: ", a.num_observation, " must be between 1 and ", task->num_observations());
      x_o = task->observation(a.num_observation);
    }
    const Tensor xv = x_o.to(DType::F64).contiguous();
    for (int64_t j = 0; j < simformer->x_dim(); ++j) {
      observed[size_t(theta_dim + j)] = true;
      values[size_t(theta_dim + j)] = xv.data<double>()[j];
    }
  }

  // The points: one column per latent variable.
  const sbi::io::CsvTable pts = sbi::io::read_csv(a.points);
  std::vector<int64_t> column_of(names.size(), -1);
  for (size_t c = 0; c < pts.header.size(); ++c) {
    const int64_t i = resolve_variable("--points", pts.header[c], names, model_desc);
    AMOR_CHECK(!observed[size_t(i)], ValueError, "--points '", a.points, "': column '", pts.header[c],
               "' is a conditioning variable; the points hold only the others");
    AMOR_CHECK(column_of[size_t(i)] < 0, ValueError, "--points '", a.points, "': column '", pts.header[c],
               "' appears twice");
    column_of[size_t(i)] = static_cast<int64_t>(c);
  }
  std::string missing;
  for (size_t i = 0; i < names.size(); ++i)
    if (!observed[i] && column_of[i] < 0) missing += (missing.empty() ? "" : ", ") + names[i];
  AMOR_CHECK(missing.empty(), ValueError, "--points '", a.points, "' lacks the variables ", missing,
             " (every variable is either conditioned on or a column of the points)");

  const int64_t n = pts.values.size(0);
  const Tensor pv = pts.values.to(DType::F64).contiguous();
  Tensor rows = Tensor::empty({n, tokens}, DType::F64);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t i = 0; i < tokens; ++i)
      rows.data<double>()[r * tokens + i] =
          observed[size_t(i)] ? values[size_t(i)]
                              : pv.data<double>()[r * pv.size(1) + column_of[size_t(i)]];
  const Tensor lp = simformer->model().log_prob(rows, from_vector(observed, Shape{tokens}), options, a.seed);

  std::vector<std::string> header = pts.header;
  header.push_back("log_prob");
  write_table(a.out, header, concat({pv, lp.reshape({n, 1})}, 1));
  std::fprintf(stderr, "amor log-prob: %lld points (%s divergence, %lld steps) written to %s\n",
               static_cast<long long>(n), a.divergence.c_str(), static_cast<long long>(a.steps), a.out.c_str());
  return 0;
}

}  // namespace amor::apps
