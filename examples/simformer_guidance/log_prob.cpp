// log p(θ | x_o) from the Simformer through the probability-flow ODE (docs/guidance.md), at
// analytic posterior draws on gaussian_linear, against the analytic log-density; exact divergence
// and Hutchinson's estimator.
//
//   log_prob [--model FILE] [--steps S] [--observation K] [--n N] [--seed S]
#include <cstdio>
#include <exception>

#include "common_args.h"

int main(int argc, char** argv) {
  using namespace simformer_examples;
  try {
    const ExampleArgs a = parse_example_args(argc, argv);
    auto model = train_or_load(a.model, a.train);
    const amor::Tensor x_o = observation(a.observation);
    for (auto kind : {amor::sbi::simformer::DivergenceKind::Exact, amor::sbi::simformer::DivergenceKind::Hutchinson}) {
      amor::sbi::simformer::LogProbOptions o;
      o.divergence = kind;
      const LogProbResult r = posterior_log_prob(*model, x_o, a.n, o, a.seed);
      std::printf("%s divergence: mean |log p - analytic| %.4f nats, mean error %+.4f nats (%lld points, %.1f s)\n",
                  amor::sbi::simformer::to_string(kind).c_str(), r.mean_abs_error, r.mean_error,
                  static_cast<long long>(a.n), r.seconds);
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "log_prob: %s\n", e.what());
    return 2;
  }
}
