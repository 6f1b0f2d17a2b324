// Interval and constraint conditioning with the Simformer (docs/guidance.md): the posterior of θ on
// gaussian_linear when x_1 is known only to lie in an interval (the other x_j given), sampled by
// guidance, against rejection sampling from the true model; then the same model restricted by a
// one-sided bound on θ_1 and a linear constraint θ_1 + θ_2 ≤ 0.
//
//   interval_conditioning [--model FILE] [--steps S] [--observation K] [--n N] [--seed S]
#include <cstdio>
#include <exception>
#include <limits>
#include <utility>
#include <vector>

#include "common_args.h"
#include "core/ops.h"

int main(int argc, char** argv) {
  using namespace simformer_examples;
  try {
    const ExampleArgs a = parse_example_args(argc, argv);
    auto model = train_or_load(a.model, a.train);
    const amor::Tensor x_o = observation(a.observation);

    // 1. x_1 ∈ [x_o,1 − 0.15, x_o,1 + 0.15] instead of a value.
    const IntervalResult r = interval_observation(*model, x_o, 0.15, a.n, a.seed);
    std::printf("x_1 in [%.3f, %.3f]: %.1f %% of the samples inside, C2ST against rejection %.3f\n", r.lower, r.upper,
                100 * r.inside, r.c2st);

    // 2. The posterior θ | x_o restricted to θ_1 > 0 and θ_1 + θ_2 <= 0 (a polytope of two half-spaces).
    amor::sbi::simformer::Constraints c(20);
    c.add_interval(0, 0.0, std::numeric_limits<double>::infinity());
    std::vector<double> w(20, 0.0);
    w[0] = w[1] = 1.0;
    c.add_linear(w, 0.0);
    std::vector<std::pair<int64_t, double>> given;
    const std::vector<double> x = x_o.to(amor::DType::F64).reshape({10}).to_vector<double>();
    for (int64_t i = 0; i < 10; ++i) given.emplace_back(10 + i, x[size_t(i)]);
    const amor::Tensor s = model->sample_constrained(given, c, a.n, a.seed + 1).contiguous();
    int64_t ok = 0;
    for (int64_t i = 0; i < a.n; ++i) ok += c.satisfied(s.data<double>() + i * 20);
    std::printf("theta_1 > 0 and theta_1 + theta_2 <= 0: %.1f %% of the samples satisfy both\n", 100.0 * ok / a.n);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "interval_conditioning: %s\n", e.what());
    return 2;
  }
}
