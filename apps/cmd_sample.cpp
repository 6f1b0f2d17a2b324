// `amor sample`: draws from a saved posterior at one observation, as one CSV of θ (an observation
// file with several rows: every row's samples, batched, with an `observation` column); or, for a
// model that samples any conditional (the Simformer), given any subset of the variables
// (--condition), as one CSV of the variables not given.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "apps/cli_support.h"
#include "apps/commands.h"
#include "apps/conditions.h"
#include "apps/function_valued.h"
#include "core/error.h"
#include "core/ops.h"
#include "sbi/io/csv.h"
#include "sbi/method.h"
#include "sbi/simformer/simformer_method.h"
#include "sbi/task.h"

namespace amor::apps {

namespace {

// The task the checkpoint names, when it is registered here (a user task may not be).
sbi::TaskPtr find_task(const std::string& name, const std::string& data_dir) {
  try {
    return sbi::make_task(name, {.data_dir = data_dir});
  } catch (const ValueError&) {
    return nullptr;
  }
}

// --condition: the latent variables' columns of the conditional's samples. Values condition,
// missing values (NAME= or NAME=nan) are sampled, intervals and bounds restrict a latent variable
// by guidance (simformer models only).
int sample_condition(const SampleArgs& a, sbi::Posterior& posterior, const std::string& model_desc) {
  auto* sampler = dynamic_cast<sbi::ConditionalSampler*>(&posterior);
  AMOR_CHECK(sampler != nullptr, ValueError, "--condition: ", model_desc,
             " samples only the posterior θ | x; give --observation or --num-observation (a "
             "simformer model samples any conditional)");
  const std::vector<ConditionItem> items = parse_conditions("--condition", a.condition);
  const std::vector<std::string> names = sampler->variable_names();
  const int64_t tokens = static_cast<int64_t>(names.size());
  std::vector<bool> observed(names.size(), false);
  std::vector<std::pair<int64_t, double>> given;
  sbi::simformer::Constraints constraints(tokens);
  for (const ConditionItem& item : items) {
    const int64_t index = resolve_variable("--condition", item.name, names, model_desc);
    for (const auto& [seen, unused] : given)
      AMOR_CHECK(seen != index, ValueError, "--condition: '", names[size_t(index)], "' is given twice");
    switch (item.kind) {
      case ConditionItem::Kind::Value:
        observed[size_t(index)] = true;
        given.emplace_back(index, item.value);
        break;
      case ConditionItem::Kind::Missing:
        given.emplace_back(index, std::numeric_limits<double>::quiet_NaN());
        break;
      case ConditionItem::Kind::Interval:
        AMOR_CHECK(!constraints.constrained_entries()[size_t(index)], ValueError, "--condition: '",
                   names[size_t(index)], "' is restricted twice; give one interval");
        constraints.add_interval(index, item.lower, item.upper);
        given.emplace_back(index, std::numeric_limits<double>::quiet_NaN());  // latent
        break;
    }
  }
  std::vector<int64_t> latent;
  for (size_t i = 0; i < names.size(); ++i)
    if (!observed[i]) latent.push_back(static_cast<int64_t>(i));
  AMOR_CHECK(!latent.empty(), ValueError, "--condition: every variable is given; nothing is left to sample");

  Tensor joint;  // [n, T]
  if (constraints.empty()) {
    std::vector<std::pair<int64_t, double>> values;
    for (const auto& [index, value] : given)
      if (!std::isnan(value)) values.emplace_back(index, value);
    joint = sampler->sample_conditional(values, a.n, a.seed);
  } else {
    auto* simformer = dynamic_cast<sbi::simformer::SimformerPosterior*>(&posterior);
    AMOR_CHECK(simformer != nullptr, ValueError, "--condition: intervals and bounds need a simformer model (",
               model_desc, " samples conditionals only given values)");
    joint = simformer->sample_constrained(given, constraints, a.n, a.seed);
  }
  const Tensor picked = index_select(joint, 1, from_vector(latent, Shape{static_cast<int64_t>(latent.size())}));
  std::vector<std::string> latent_names;
  for (int64_t i : latent) latent_names.push_back(names[static_cast<size_t>(i)]);
  write_table(a.out, latent_names, picked);
  std::fprintf(stderr, "amor sample: %lld samples of %zu variables given %s written to %s\n",
               static_cast<long long>(a.n), latent.size(), a.condition.c_str(), a.out.c_str());
  return 0;
}

}  // namespace

int run_sample(const SampleArgs& a) {
  if (is_function_valued_checkpoint(a.model)) return run_sample_function_valued(a);
  const int sources = int(!a.observation.empty()) + int(a.num_observation != 0) + int(!a.condition.empty());
  AMOR_CHECK(sources == 1, ValueError,
             "give exactly one of --observation FILE, --num-observation K and --condition NAME=VALUE,...");
  check_output_file("--out", a.out);
  const Device device = a.device.empty() ? Device::cpu() : parse_device_flag("--device", a.device);
  const sbi::PosteriorPtr posterior = sbi::load_posterior(a.model);
  posterior->to(device);  // loaded on the host; samples come back there
  const sbi::TaskPtr task = find_task(posterior->task_name(), a.data_dir);
  const std::string model_desc = "the model (task '" + posterior->task_name() + "', method '" +
                                 posterior->method() + "')";
  if (!a.condition.empty()) return sample_condition(a, *posterior, model_desc);

  Tensor x_o;
  std::string which;
  if (!a.observation.empty()) {
    // Empty or NaN cells are missing entries, which a simformer model samples.
    const sbi::io::CsvTable obs = sbi::io::read_csv(a.observation, {.allow_nonfinite = true});
    AMOR_CHECK(static_cast<int64_t>(obs.header.size()) == posterior->x_dim(), ValueError,
               "--observation '", a.observation, "' has ", obs.header.size(), " columns, but ",
               model_desc, " takes x with ", posterior->x_dim());
    AMOR_CHECK(obs.values.size(0) >= 1, ValueError, "--observation '", a.observation,
               "' has no rows; give one observation per row");
    x_o = obs.values;
    which = a.observation;
    const Tensor xv = x_o.to(DType::F64).contiguous();
    const bool simformer = dynamic_cast<sbi::simformer::SimformerPosterior*>(posterior.get()) != nullptr;
    for (int64_t j = 0; j < xv.numel(); ++j) {
      const double v = xv.data<double>()[j];
      if (!std::isinf(v) && (!std::isnan(v) || simformer)) continue;
      const size_t column = static_cast<size_t>(j % posterior->x_dim());
      const std::string row = obs.values.size(0) > 1 ? ", row " + std::to_string(j / posterior->x_dim() + 1) : "";
      AMOR_CHECK(!std::isinf(v), ValueError, "--observation '", a.observation, "'", row, ": column '",
                 obs.header[column], "' is infinite");
      throw ValueError(detail::concat("--observation '", a.observation, "'", row, ": column '", obs.header[column],
                                      "' is missing (empty or NaN); only a simformer model samples missing entries, ",
                                      model_desc, " does not"));
    }
  } else {
    AMOR_CHECK(task != nullptr, ValueError, "--num-observation: ", model_desc,
               " names a task that is not registered here; give --observation FILE instead");
    AMOR_CHECK(task->num_observations() > 0, ValueError, "--num-observation: task '",
               task->name(), "' has no reference observations; give --observation FILE instead");
    AMOR_CHECK(a.num_observation >= 1 && a.num_observation <= task->num_observations(),
               ValueError, "--num-observation: ", a.num_observation, " must be between 1 and ",
               task->num_observations());
    AMOR_CHECK(task->x_dim() == posterior->x_dim(), ValueError, model_desc, " takes x with ",
               posterior->x_dim(), " columns but task '", task->name(), "' has ", task->x_dim());
    x_o = task->observation(a.num_observation);
    which = "observation " + std::to_string(a.num_observation) + " of " + task->name();
  }

  std::vector<std::string> names;
  if (task && task->theta_dim() == posterior->theta_dim()) names = task->theta_names();
  for (int64_t j = static_cast<int64_t>(names.size()); j < posterior->theta_dim(); ++j)
    names.push_back("theta_" + std::to_string(j + 1));
  const int64_t rows = x_o.size(0);
  if (rows == 1) {
    const Tensor samples = posterior->sample(x_o, a.n, a.seed);  // [n, theta_dim]
    write_table(a.out, names, samples);
    std::fprintf(stderr, "amor sample: %lld samples at %s written to %s\n",
                 static_cast<long long>(a.n), which.c_str(), a.out.c_str());
    return 0;
  }
  // One row per observation: every observation's samples in one batched call, written with the
  // observation's row number (1-based) in front.
  const Tensor samples = posterior->sample_batched(x_o, a.n, a.seed).to(DType::F64).contiguous();  // [M, n, d]
  const int64_t d = posterior->theta_dim();
  Tensor table = Tensor::empty({rows * a.n, d + 1}, DType::F64);
  for (int64_t i = 0; i < rows * a.n; ++i) {
    table.data<double>()[i * (d + 1)] = static_cast<double>(i / a.n + 1);
    std::copy(samples.data<double>() + i * d, samples.data<double>() + (i + 1) * d,
              table.data<double>() + i * (d + 1) + 1);
  }
  names.insert(names.begin(), "observation");
  write_table(a.out, names, table);
  std::fprintf(stderr, "amor sample: %lld samples at each of the %lld observations of %s written to %s\n",
               static_cast<long long>(a.n), static_cast<long long>(rows), which.c_str(), a.out.c_str());
  return 0;
}

}  // namespace amor::apps
