// Command-line flags shared by the three examples: [--model FILE] [--simulations N] [--steps S]
// [--observation K] [--n N] [--seed S]. Without --model a Simformer is trained on gaussian_linear
// with the cut-down recipe (6000 steps of 500; about 15 min on 2 cores).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "gaussian_linear_checks.h"

namespace simformer_examples {

struct ExampleArgs {
  std::string model;
  TrainSettings train;
  int observation = 1;
  int64_t n = 2000;
  uint64_t seed = 1;
};

inline ExampleArgs parse_example_args(int argc, char** argv) {
  ExampleArgs a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value");
    const std::string v = argv[++i];
    if (flag == "--model") a.model = v;
    else if (flag == "--simulations") a.train.simulations = std::stoll(v);
    else if (flag == "--steps") a.train.steps = std::stoll(v);
    else if (flag == "--observation") a.observation = std::stoi(v);
    else if (flag == "--n") a.n = std::stoll(v);
    else if (flag == "--seed") a.seed = std::stoull(v);
    else throw std::invalid_argument("unknown flag " + flag);
  }
  return a;
}

}  // namespace simformer_examples
