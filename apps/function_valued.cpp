// Function-valued tasks on the command line (apps/function_valued.h).
#include "apps/function_valued.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>

#include "apps/cli_support.h"
#include "apps/interrupt.h"
#include "core/error.h"
#include "core/ops.h"
#include "nn/checkpoint.h"
#include "sbi/device_option.h"
#include "sbi/simformer/function_valued.h"

namespace amor::apps {

namespace {

using LV = sbi::tasks::LotkaVolterraIrregular;
using SI = sbi::tasks::SirdIrregular;
constexpr int64_t kLvTimesPerSeries = 20;
// SIRD: the SLOW_ test's and the example's queries (10 β times, 10 times per series) are the
// largest the model is trained on; random_subsets covers every smaller count.
constexpr int64_t kSirdBetaTimes = 10, kSirdTimesPerSeries = 10;

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\r"), b = s.find_last_not_of(" \t\r");
  return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

// An empty or "nan" cell is NaN; anything else must be a finite number.
double parse_cell(const std::string& text, const std::string& where) {
  const std::string t = trim(text);
  if (t.empty() || t == "nan" || t == "NaN" || t == "NAN") return std::numeric_limits<double>::quiet_NaN();
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(t, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  AMOR_CHECK(used == t.size() && std::isfinite(v), ValueError, where, ": '", t, "' is not a finite number");
  return v;
}

std::string point_name(const std::string& variable, double time) {
  if (std::isnan(time)) return variable;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s@%g", variable.c_str(), time);
  return buf;
}

}  // namespace

const std::vector<FunctionValuedTask>& function_valued_tasks() {
  static const std::vector<FunctionValuedTask> tasks = [] {
    std::vector<FunctionValuedTask> t;
    FunctionValuedTask lv;
    lv.name = LV::name();
    lv.description = "Lotka–Volterra observed at irregular times: α, β, γ, δ from predator and prey at any times "
                     "in [0, 15] (Gaussian noise 0.1)";
    lv.node_names = LV::node_names();
    lv.function_nodes = {"predator", "prey"};
    lv.time_begin = 0.0;
    lv.time_end = LV::kTimeEnd;
    lv.theta_summary = "4";
    lv.x_summary = "any times";
    lv.default_times = std::to_string(kLvTimesPerSeries) + " random times per series";
    lv.config = sbi::simformer::lotka_volterra_irregular_config;
    lv.bounds = sbi::simformer::lotka_volterra_irregular_bounds;
    lv.node_dag = LV::node_dag;
    lv.training_data = [](int64_t n, uint64_t seed) {
      const LV::TrainingData d = LV::training_data(n, kLvTimesPerSeries, seed);
      return FunctionValuedTrainingData{d.joint, d.metadata, d.node_ids, LV::kParameters, 0};
    };
    t.push_back(lv);

    FunctionValuedTask si;
    si.name = SI::name();
    si.description = "SIRD with a time-varying contact rate at any times: γ, δ and β(t) at any times in [0, 50] "
                     "from log-normal I, R, D at any times (I₀ a nuisance)";
    si.node_names = SI::node_names();
    si.function_nodes = {"beta", "I", "R", "D"};
    si.time_begin = 0.0;
    si.time_end = SI::kTimeEnd;
    si.theta_summary = "2 + β(t)";
    si.x_summary = "any times";
    si.default_times = std::to_string(kSirdBetaTimes) + " random β times, " + std::to_string(kSirdTimesPerSeries) +
                       " random times per series";
    si.config = sbi::simformer::sird_irregular_config;
    si.bounds = sbi::simformer::sird_irregular_bounds;
    si.node_dag = SI::node_dag;
    si.training_data = [](int64_t n, uint64_t seed) {
      const SI::TrainingData d = SI::training_data(n, kSirdBetaTimes, kSirdTimesPerSeries, seed);
      return FunctionValuedTrainingData{d.joint, d.metadata, d.node_ids, SI::kScalars + kSirdBetaTimes, d.dropped};
    };
    t.push_back(si);
    return t;
  }();
  return tasks;
}

const FunctionValuedTask* find_function_valued_task(const std::string& name) {
  for (const FunctionValuedTask& t : function_valued_tasks())
    if (t.name == name) return &t;
  return nullptr;
}

bool is_function_valued_task(const std::string& name) { return find_function_valued_task(name) != nullptr; }

bool is_function_valued_checkpoint(const std::string& path) {
  try {
    const nlohmann::json meta = nn::read_checkpoint_config(path);
    return meta.is_object() && meta.contains("node_ids") && meta.contains("node_names");
  } catch (const Error&) {
    return false;  // not readable here: the ordinary loader reports it
  }
}

int run_train_function_valued(const TrainArgs& a) {
  AMOR_CHECK(a.method == "simformer", ValueError, "--task ", a.task, " is function-valued: only --method simformer "
             "(tokens with metadata) trains on it, not '", a.method, "'");
  AMOR_CHECK(a.estimator.empty() && a.summary.empty(), ValueError,
             "--estimator and --summary do not apply to --method simformer");
  AMOR_CHECK(a.simulations >= 2, ValueError, "--simulations must be at least 2");
  const FunctionValuedTask* task = find_function_valued_task(a.task);
  AMOR_CHECK(task != nullptr, ValueError, "--task ", a.task, " is not a function-valued task");
  nlohmann::json j = task->config().to_json();
  if (!a.config.empty()) j.merge_patch(read_json_object("--config", a.config));
  j = with_device(j, a.device);
  sbi::simformer::SimformerConfig config = sbi::simformer::SimformerConfig::from_json(j);
  if (config.bounds.from_prior) config.bounds = task->bounds();
  AMOR_CHECK(config.network.metadata_dim > 0, ValueError, "--config: network.metadata_dim must stay positive for ",
             a.task, " (the times are token metadata)");
  sbi::require_device(config.device);
  check_output_file("--out", a.out);

  InterruptGuard interrupt;
  const auto progress = [](const sbi::simformer::TrainingProgress& p) {
    std::fprintf(stderr, "amor train: step %lld/%lld, loss %.4f, %s\n", static_cast<long long>(p.step),
                 static_cast<long long>(p.total_steps), p.train_loss, format_seconds(p.elapsed_s).c_str());
  };
  std::fprintf(stderr, "amor train: %lld simulations of %s, %s each\n", static_cast<long long>(a.simulations),
               a.task.c_str(), task->default_times.c_str());
  const FunctionValuedTrainingData data = task->training_data(a.simulations, a.seed);
  if (data.dropped > 0)
    std::fprintf(stderr, "amor train: %lld of %lld simulations failed and were dropped\n",
                 static_cast<long long>(data.dropped), static_cast<long long>(a.simulations));
  const int64_t tokens = data.node_ids.size(0);
  sbi::simformer::SimformerModel model(config, data.theta_tokens, tokens - data.theta_tokens, task->node_dag(),
                                       data.node_ids);
  model.to(config.device);
  const sbi::simformer::TrainingSummary s =
      model.train(data.joint, data.metadata, a.seed + 1, progress, interrupt.flag());
  model.save(a.out, {{"format", "amor"},
                     {"method", "simformer"},
                     {"task", a.task},
                     {"node_names", task->node_names},
                     {"function_nodes", task->function_nodes},
                     {"time_range", std::vector<double>{task->time_begin, task->time_end}}});
  std::fprintf(stderr, "amor train: simformer on %s: %lld steps in %s%s\n", a.task.c_str(),
               static_cast<long long>(s.steps), format_seconds(s.seconds).c_str(),
               s.interrupted ? " (interrupted: model so far)" : "");
  std::fprintf(stderr, "amor train: wrote %s\n", a.out.c_str());
  return 0;
}

int run_sample_function_valued(const SampleArgs& a) {
  AMOR_CHECK(!a.observation.empty() && a.num_observation == 0 && a.condition.empty(), ValueError,
             "a function-valued model (tokens with metadata) samples from --observation FILE (rows "
             "variable,time,value), not from --num-observation or --condition");
  check_output_file("--out", a.out);
  nlohmann::json meta;
  auto model = sbi::simformer::SimformerModel::load(a.model, &meta);
  const auto names = meta["node_names"].get<std::vector<std::string>>();
  std::vector<std::string> function_nodes;
  if (meta.contains("function_nodes")) function_nodes = meta["function_nodes"].get<std::vector<std::string>>();
  std::vector<double> time_range;  // the times the model was trained on
  if (meta.contains("time_range")) time_range = meta["time_range"].get<std::vector<double>>();
  AMOR_CHECK(int64_t(names.size()) == model->num_nodes(), IOError, a.model, ": ", names.size(),
             " node names for a model of ", model->num_nodes(), " nodes");
  if (!a.device.empty()) model->to(parse_device_flag("--device", a.device));

  std::ifstream in(a.observation);
  AMOR_CHECK(in.good(), IOError, "--observation: cannot read '", a.observation, "'");
  std::string line;
  int64_t line_no = 0;
  std::vector<sbi::simformer::FunctionValuedPoint> points;
  std::vector<std::string> labels;
  std::vector<bool> listed(names.size(), false);
  bool header_seen = false;
  while (std::getline(in, line)) {
    ++line_no;
    if (trim(line).empty()) continue;
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');) cells.push_back(c);
    if (line.back() == ',') cells.emplace_back();
    const std::string where = a.observation + ":" + std::to_string(line_no);
    if (!header_seen) {
      header_seen = true;
      AMOR_CHECK(cells.size() == 3 && trim(cells[0]) == "variable" && trim(cells[1]) == "time" &&
                     trim(cells[2]) == "value",
                 ValueError, where, ": the header must be 'variable,time,value'");
      continue;
    }
    AMOR_CHECK(cells.size() == 3, ValueError, where, ": expected 3 cells (variable,time,value), got ", cells.size());
    const std::string var = trim(cells[0]);
    int64_t node = -1;
    for (size_t k = 0; k < names.size(); ++k)
      if (names[k] == var) node = int64_t(k);
    AMOR_CHECK(node >= 0, ValueError, where, ": unknown variable '", var, "'");
    const bool is_function = std::find(function_nodes.begin(), function_nodes.end(), var) != function_nodes.end();
    const double time = parse_cell(cells[1], where + " (time)");
    const double value = parse_cell(cells[2], where + " (value)");
    AMOR_CHECK(is_function != std::isnan(time), ValueError, where, ": '", var,
               is_function ? "' is a function of time: give its time" : "' is a scalar: leave its time empty");
    if (is_function && time_range.size() == 2)
      AMOR_CHECK(time >= time_range[0] && time <= time_range[1], ValueError, where, ": time ", time, " of '", var,
                 "' outside [", time_range[0], ", ", time_range[1], "], the times the model was trained on");
    if (!is_function)
      AMOR_CHECK(!listed[size_t(node)], ValueError, where, ": '", var, "' is given twice");
    listed[size_t(node)] = true;
    points.push_back({node, time, value});
    labels.push_back(point_name(var, time));
  }
  AMOR_CHECK(!points.empty(), ValueError, "--observation '", a.observation, "' has no points");
  // Scalar variables not listed are sampled.
  for (size_t k = 0; k < names.size(); ++k) {
    const bool is_function = std::find(function_nodes.begin(), function_nodes.end(), names[k]) != function_nodes.end();
    if (!listed[k] && !is_function) {
      points.push_back({int64_t(k), std::nan(""), std::nan("")});
      labels.push_back(names[k]);
    }
  }
  const Tensor samples = sbi::simformer::sample_points(*model, points, a.n, a.seed);
  std::vector<int64_t> latent;
  std::vector<std::string> latent_names;
  for (size_t i = 0; i < points.size(); ++i)
    if (std::isnan(points[i].value)) {
      latent.push_back(int64_t(i));
      latent_names.push_back(labels[i]);
    }
  const Tensor picked = index_select(samples, 1, from_vector(latent, Shape{int64_t(latent.size())}));
  write_table(a.out, latent_names, picked);
  std::fprintf(stderr, "amor sample: %lld samples of %zu points given %zu written to %s\n",
               static_cast<long long>(a.n), latent.size(), points.size() - latent.size(), a.out.c_str());
  return 0;
}

}  // namespace amor::apps
