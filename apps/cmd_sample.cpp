// `amor sample`: draws from a saved posterior at one observation, as one CSV of θ; or, for a
// model that samples any conditional (the Simformer), given any subset of the variables
// (--condition), as one CSV of the variables not given.
#include <algorithm>
#include <cstdio>

#include "apps/cli_support.h"
#include "apps/commands.h"
#include "core/error.h"
#include "core/ops.h"
#include "sbi/io/csv.h"
#include "sbi/method.h"
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

// --condition: the latent variables' columns of the conditional's samples.
int sample_condition(const SampleArgs& a, sbi::Posterior& posterior, const std::string& model_desc) {
  auto* sampler = dynamic_cast<sbi::ConditionalSampler*>(&posterior);
  AMOR_CHECK(sampler != nullptr, ValueError, "--condition: ", model_desc,
             " samples only the posterior θ | x; give --observation or --num-observation (a "
             "simformer model samples any conditional)");
  const auto given = parse_condition_flag("--condition", a.condition);
  const std::vector<std::string> names = sampler->variable_names();
  std::vector<bool> observed(names.size(), false);
  for (const auto& [name, value] : given) {
    const auto it = std::find(names.begin(), names.end(), name);
    std::string known;
    for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
    AMOR_CHECK(it != names.end(), ValueError, "--condition: ", model_desc, " has no variable '", name,
               "' (its variables: ", known, ")");
    observed[static_cast<size_t>(it - names.begin())] = true;
  }
  std::vector<int64_t> latent;
  for (size_t i = 0; i < names.size(); ++i)
    if (!observed[i]) latent.push_back(static_cast<int64_t>(i));
  AMOR_CHECK(!latent.empty(), ValueError, "--condition: every variable is given; nothing is left to sample");

  const Tensor joint = sampler->sample_conditional(given, a.n, a.seed);  // [n, T]
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
    const sbi::io::CsvTable obs = sbi::io::read_csv(a.observation);
    AMOR_CHECK(static_cast<int64_t>(obs.header.size()) == posterior->x_dim(), ValueError,
               "--observation '", a.observation, "' has ", obs.header.size(), " columns, but ",
               model_desc, " takes x with ", posterior->x_dim());
    AMOR_CHECK(obs.values.size(0) == 1, ValueError, "--observation '", a.observation, "' has ",
               obs.values.size(0), " rows; give one observation (one row)");
    x_o = obs.values;
    which = a.observation;
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

  const Tensor samples = posterior->sample(x_o, a.n, a.seed);  // [n, theta_dim]
  std::vector<std::string> names;
  if (task && task->theta_dim() == posterior->theta_dim()) names = task->theta_names();
  for (int64_t j = static_cast<int64_t>(names.size()); j < posterior->theta_dim(); ++j)
    names.push_back("theta_" + std::to_string(j + 1));
  write_table(a.out, names, samples);
  std::fprintf(stderr, "amor sample: %lld samples at %s written to %s\n",
               static_cast<long long>(a.n), which.c_str(), a.out.c_str());
  return 0;
}

}  // namespace amor::apps
