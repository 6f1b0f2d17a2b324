// `amor simulate`: n draws of θ from the task's prior and their simulations, as one CSV.
#include <cstdio>

#include "apps/cli_support.h"
#include "apps/commands.h"
#include "core/ops.h"
#include "sbi/simulator.h"
#include "sbi/task.h"

namespace amor::apps {

int run_simulate(const SimulateArgs& a) {
  const sbi::TaskPtr task = sbi::make_task(a.task, {.data_dir = a.data_dir});
  check_output_file("--out", a.out);
  const Tensor theta = task->prior()->sample(a.n, a.seed);           // [n, theta_dim]
  const Tensor x = sbi::simulate(*task->simulator(), theta, a.seed);  // [n, x_dim]
  // Invalid simulations (NaN or ±inf in x) are kept, so row i is always draw i; count them.
  const Tensor valid = sbi::finite_rows(x).contiguous();
  int64_t invalid = 0;
  for (int64_t i = 0; i < a.n; ++i) invalid += valid.data<uint8_t>()[i] ? 0 : 1;
  std::vector<std::string> header = task->theta_names();
  for (const std::string& name : task->x_names()) header.push_back(name);
  write_table(a.out, header, concat({theta, x}, 1));
  std::fprintf(stderr, "amor simulate: %lld simulations of %s written to %s; %lld invalid (kept, "
               "non-finite x written as nan/inf)\n",
               static_cast<long long>(a.n), a.task.c_str(), a.out.c_str(),
               static_cast<long long>(invalid));
  return 0;
}

}  // namespace amor::apps
