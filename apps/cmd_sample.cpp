// `amor sample`: draws from a saved posterior at one observation, as one CSV of θ.
#include <cstdio>

#include "apps/cli_support.h"
#include "apps/commands.h"
#include "core/error.h"
#include "sbi/io/csv.h"
#include "sbi/method.h"
#include "sbi/task.h"

namespace amor::apps {

namespace {

// The task the checkpoint names, when it is registered here (a user task may not be).
sbi::TaskPtr find_task(const std::string& name) {
  try {
    return sbi::make_task(name);
  } catch (const ValueError&) {
    return nullptr;
  }
}

}  // namespace

int run_sample(const SampleArgs& a) {
  AMOR_CHECK(a.observation.empty() != (a.num_observation == 0), ValueError,
             "give exactly one of --observation FILE and --num-observation K");
  check_output_file("--out", a.out);
  const sbi::PosteriorPtr posterior = sbi::load_posterior(a.model);
  const sbi::TaskPtr task = find_task(posterior->task_name());
  const std::string model_desc = "the model (task '" + posterior->task_name() + "', method '" +
                                 posterior->method() + "')";

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
