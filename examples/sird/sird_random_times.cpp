// SIRD at random times with one Simformer (docs/sird.md, "At random times"): trains on
// simulations with 10 random β times and 10 random observation times per series (the times are
// token metadata; training.random_subsets teaches every smaller count), or loads a checkpoint
// (`amor train --task sird_irregular ...` writes one), then runs simulation-based calibration at
// random times: each round its own β query times and observation times, ranks of γ, δ and β at the
// sorted query times, judged by check_sbc.
//
//   sird_random_times [--model FILE] [--simulations N] [--steps S] [--batch B] [--rounds N]
//                     [--draws L] [--query-times Q] [--observation-times K] [--sampling-steps S]
//                     [--seed S]
//
// --model FILE: loaded when it exists, else the model is trained and saved there.
// Defaults: the recipe (sird_irregular_config: 8000 steps of 256), 10000 simulations, 200 rounds
// of 100 draws, 10 query times, 10 observation times per series.
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "sird_random_times_checks.h"

int main(int argc, char** argv) {
  using namespace sird_examples;
  namespace sf = amor::sbi::simformer;
  using SI = amor::sbi::tasks::SirdIrregular;
  constexpr int64_t kTrainingBetaTimes = 10, kTrainingTimesPerSeries = 10;  // as `amor train`
  try {
    std::string model_path;
    int64_t simulations = 10000;
    sf::SimformerConfig config = sf::sird_irregular_config();
    SirdSbcOptions sbc;
    sbc.sampling = config.sampling;
    uint64_t seed = 1;
    for (int i = 1; i < argc; ++i) {
      const std::string flag = argv[i];
      if (flag == "--help") throw std::invalid_argument("see the comment at the top of sird_random_times.cpp");
      if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value");
      const std::string v = argv[++i];
      if (flag == "--model") model_path = v;
      else if (flag == "--simulations") simulations = std::stoll(v);
      else if (flag == "--steps") config.training.steps = std::stoll(v);
      else if (flag == "--batch") config.training.batch_size = std::stoll(v);
      else if (flag == "--rounds") sbc.rounds = std::stoll(v);
      else if (flag == "--draws") sbc.draws = std::stoll(v);
      else if (flag == "--query-times") sbc.beta_query_times = std::stoll(v);
      else if (flag == "--observation-times") sbc.observation_times = std::stoll(v);
      else if (flag == "--sampling-steps") sbc.sampling.steps = std::stoll(v);
      else if (flag == "--seed") seed = std::stoull(v);
      else throw std::invalid_argument("unknown flag " + flag);
    }
    std::unique_ptr<sf::SimformerModel> model;
    if (!model_path.empty() && std::filesystem::exists(model_path)) {
      nlohmann::json meta;
      model = sf::SimformerModel::load(model_path, &meta);
      std::printf("loaded %s\n", model_path.c_str());
    } else {
      const auto t0 = std::chrono::steady_clock::now();
      int64_t dropped = 0;
      model = sf::train_sird_irregular(
          simulations, kTrainingBetaTimes, kTrainingTimesPerSeries, config, seed,
          [](const sf::TrainingProgress& p) {
            std::printf("step %lld/%lld  loss %.4f  %.0f s\n", static_cast<long long>(p.step),
                        static_cast<long long>(p.total_steps), p.train_loss, p.elapsed_s);
            std::fflush(stdout);
          },
          nullptr, &dropped);
      std::printf("trained on %lld simulations (%lld dropped): %lld steps of %lld in %.0f s\n",
                  static_cast<long long>(simulations), static_cast<long long>(dropped),
                  static_cast<long long>(config.training.steps), static_cast<long long>(config.training.batch_size),
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      if (!model_path.empty()) {
        // The keys `amor sample` reads (docs/cli.md), so the checkpoint works there too.
        model->save(model_path, {{"format", "amor"},
                                 {"method", "simformer"},
                                 {"task", SI::name()},
                                 {"node_names", SI::node_names()},
                                 {"function_nodes", std::vector<std::string>{"beta", "I", "R", "D"}},
                                 {"time_range", std::vector<double>{0.0, SI::kTimeEnd}}});
        std::printf("wrote %s\n", model_path.c_str());
      }
    }
    const SirdSbcResult result = sird_random_times_sbc(*model, sbc, /*verbose=*/true);
    std::printf("SBC at random times: %lld rounds, %lld draws, %lld β query times, %lld observation times per "
                "series (sampling %.0f s)\n%s",
                static_cast<long long>(sbc.rounds), static_cast<long long>(sbc.draws),
                static_cast<long long>(sbc.beta_query_times), static_cast<long long>(sbc.observation_times),
                result.sampling_seconds, result.summary().c_str());
    return result.check.passed ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sird_random_times: %s\n", e.what());
    return 2;
  }
}
