#include "sbi/diagnostics/sbc_run.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "sbi/simulator.h"

namespace amor::sbi {

SbcRun run_sbc(const Task& task, Posterior& posterior, const SbcRunOptions& o) {
  AMOR_CHECK(o.num_simulations >= 1, ValueError, "run_sbc: num_simulations must be at least 1, got ",
             o.num_simulations);
  AMOR_CHECK(o.num_draws >= 1, ValueError, "run_sbc: num_draws must be at least 1, got ", o.num_draws);
  const int64_t d = task.theta_dim(), dx = task.x_dim(), n = o.num_simulations, l = o.num_draws;
  AMOR_CHECK(posterior.theta_dim() == d && posterior.x_dim() == dx, ValueError, "run_sbc: the posterior takes θ[",
             posterior.theta_dim(), "] and x[", posterior.x_dim(), "] but task '", task.name(), "' has θ[", d,
             "] and x[", dx, "]");
  SbcRun run;
  // Valid pairs, topped up at later indices until there are n (a chunk is one dataset).
  std::vector<double> theta, x;
  uint64_t next = 0;
  while (int64_t(theta.size()) < n * d) {
    const int64_t want = n - int64_t(theta.size()) / d;
    const Dataset data = simulate_dataset(*task.prior(), *task.simulator(), want, o.seed, {.first_index = next});
    next += uint64_t(want);
    run.num_invalid += data.num_invalid;
    AMOR_CHECK(data.num_invalid < want || want == 0, ValueError, "run_sbc: every one of ", want,
               " simulations of task '", task.name(), "' was invalid");
    const int64_t got = data.theta.size(0);
    const double* pt = data.theta.data<double>();
    const double* px = data.x.data<double>();
    theta.insert(theta.end(), pt, pt + got * d);
    x.insert(x.end(), px, px + got * dx);
  }
  std::vector<double> draws;
  draws.reserve(size_t(n * l * d));
  int64_t rounds = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (o.stop != nullptr && o.stop->load()) break;
    const Tensor x_o = from_vector(std::vector<double>(x.begin() + i * dx, x.begin() + (i + 1) * dx), Shape{1, dx});
    const Tensor s = posterior.sample(x_o, l, o.seed + 1 + uint64_t(i)).to(DType::F64).contiguous();
    AMOR_CHECK(s.dim() == 2 && s.size(0) == l && s.size(1) == d, ShapeError, "run_sbc: the posterior returned ",
               s.shape(), " for ", l, " draws of θ[", d, "]");
    draws.insert(draws.end(), s.data<double>(), s.data<double>() + l * d);
    ++rounds;
    if (o.on_round) o.on_round(rounds, n);
  }
  AMOR_CHECK(rounds > 0, ValueError, "run_sbc: stopped before the first round");
  theta.resize(size_t(rounds * d));
  x.resize(size_t(rounds * dx));
  run.theta = from_vector(theta, Shape{rounds, d});
  run.x = from_vector(x, Shape{rounds, dx});
  run.draws = from_vector(draws, Shape{rounds, l, d});
  run.ranks = sbc_ranks(run.theta, run.draws);
  SbcCheckOptions check = o.check;
  check.seed = o.seed;
  run.check = check_sbc(run.ranks, l, check);
  return run;
}

}  // namespace amor::sbi
