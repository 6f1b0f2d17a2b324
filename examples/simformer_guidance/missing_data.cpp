// Missing data with the Simformer (docs/guidance.md): the posterior of θ on gaussian_linear from an
// observation whose x_3, x_6 and x_9 are NaN (missing: sampled as latent variables), against the
// analytic posterior given the other seven.
//
//   missing_data [--model FILE] [--steps S] [--observation K] [--n N] [--seed S]
#include <cstdio>
#include <exception>

#include "common_args.h"

int main(int argc, char** argv) {
  using namespace simformer_examples;
  try {
    const ExampleArgs a = parse_example_args(argc, argv);
    auto model = train_or_load(a.model, a.train);
    const double c2st = missing_data_c2st(*model, observation(a.observation), a.n, a.seed);
    std::printf("3 of 10 x entries missing: C2ST against the analytic posterior given the other 7: %.3f\n", c2st);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "missing_data: %s\n", e.what());
    return 2;
  }
}
