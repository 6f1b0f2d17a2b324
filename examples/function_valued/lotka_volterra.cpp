// Lotka–Volterra observed at irregular times, with one Simformer (docs/function_valued.md):
// trains on simulations with 20 random times per series (the times are token metadata), then
// samples the posterior of (α, β, γ, δ) at observations of 5, 10 and 20 random times per series
// and scores it by C2ST against slice-sampling references with the true likelihood.
//
//   lotka_volterra [--model FILE] [--simulations N] [--steps S] [--batch B] [--counts 5,10,20]
//                  [--observations K] [--n N] [--sampling-steps S] [--cache DIR] [--seed S]
//                  [--references-only 1] [--continue-steps S --save FILE]
//
// --model FILE: loaded when it exists, else the model is trained and saved there.
// --references-only 1: only compute (and cache, with --cache) the reference posteriors.
// --continue-steps S: train a loaded model S more steps on the same simulations (same --seed and
// --simulations), with a fresh learning-rate schedule, and save it to --save FILE.
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "lotka_volterra_checks.h"

int main(int argc, char** argv) {
  using namespace function_valued_examples;
  namespace sf = amor::sbi::simformer;
  try {
    std::string model_path, counts = "5,10,20";
    int64_t simulations = 10000;
    sf::SimformerConfig config = sf::lotka_volterra_irregular_config();
    LvEvaluationOptions eval;
    eval.sampling = config.sampling;
    uint64_t seed = 1;
    bool references_only = false;
    int64_t continue_steps = 0;
    std::string save_path;
    for (int i = 1; i < argc; ++i) {
      const std::string flag = argv[i];
      if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value");
      const std::string v = argv[++i];
      if (flag == "--model") model_path = v;
      else if (flag == "--simulations") simulations = std::stoll(v);
      else if (flag == "--steps") config.training.steps = std::stoll(v);
      else if (flag == "--batch") config.training.batch_size = std::stoll(v);
      else if (flag == "--counts") counts = v;
      else if (flag == "--observations") eval.observations_per_count = std::stoll(v);
      else if (flag == "--n") eval.samples = std::stoll(v);
      else if (flag == "--sampling-steps") eval.sampling.steps = std::stoll(v);
      else if (flag == "--cache") eval.cache_dir = v;
      else if (flag == "--seed") seed = std::stoull(v);
      else if (flag == "--references-only") references_only = v == "1";
      else if (flag == "--continue-steps") continue_steps = std::stoll(v);
      else if (flag == "--save") save_path = v;
      else throw std::invalid_argument("unknown flag " + flag);
    }
    eval.counts.clear();
    std::stringstream ss(counts);
    for (std::string item; std::getline(ss, item, ',');) eval.counts.push_back(std::stoll(item));

    if (references_only) {
      for (const int64_t count : eval.counts)
        for (int64_t index = 0; index < eval.observations_per_count; ++index) {
          const auto t0 = std::chrono::steady_clock::now();
          double stages = 0;
          lv_reference(lv_observation(count, index, eval.seed), count, index, eval, &stages);
          std::printf("reference: %lld times per series, observation %lld: %.0f SMC stages, %.0f s\n",
                      static_cast<long long>(count), static_cast<long long>(index), stages,
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
          std::fflush(stdout);
        }
      return 0;
    }
    std::unique_ptr<sf::SimformerModel> model;
    if (!model_path.empty() && std::filesystem::exists(model_path)) {
      nlohmann::json meta;
      model = sf::SimformerModel::load(model_path, &meta);
      std::printf("loaded %s\n", model_path.c_str());
      if (continue_steps > 0) {
        if (save_path.empty()) throw std::invalid_argument("--continue-steps needs --save FILE");
        using LV = amor::sbi::tasks::LotkaVolterraIrregular;
        const LV::TrainingData data = LV::training_data(simulations, 20, seed);  // the same simulations
        sf::TrainingOptions more = model->config().training;
        more.steps = continue_steps;
        model->set_training_options(more);
        const auto t0 = std::chrono::steady_clock::now();
        model->train(data.joint, data.metadata, seed + 2, [](const sf::TrainingProgress& p) {
          std::printf("step %lld/%lld  loss %.4f  %.0f s\n", static_cast<long long>(p.step),
                      static_cast<long long>(p.total_steps), p.train_loss, p.elapsed_s);
          std::fflush(stdout);
        });
        std::printf("continued %lld steps in %.0f s\n", static_cast<long long>(continue_steps),
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        meta.erase("simformer");
        meta.erase("theta_dim");
        meta.erase("x_dim");
        meta.erase("dag");
        meta.erase("node_ids");
        model->save(save_path, meta);
        std::printf("wrote %s\n", save_path.c_str());
      }
    } else {
      const auto t0 = std::chrono::steady_clock::now();
      model = sf::train_lotka_volterra_irregular(
          simulations, 20, config, seed, [](const sf::TrainingProgress& p) {
            std::printf("step %lld/%lld  loss %.4f  %.0f s\n", static_cast<long long>(p.step),
                        static_cast<long long>(p.total_steps), p.train_loss, p.elapsed_s);
            std::fflush(stdout);
          });
      std::printf("trained on %lld simulations: %lld steps of %lld in %.0f s\n", static_cast<long long>(simulations),
                  static_cast<long long>(config.training.steps), static_cast<long long>(config.training.batch_size),
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      if (!model_path.empty()) {
        // The keys `amor sample` reads (docs/cli.md), so the checkpoint works there too.
        model->save(model_path, {{"format", "amor"},
                                 {"method", "simformer"},
                                 {"task", "lotka_volterra_irregular"},
                                 {"node_names", amor::sbi::tasks::LotkaVolterraIrregular::node_names()},
                                 {"function_nodes", std::vector<std::string>{"predator", "prey"}},
                                 {"time_range", std::vector<double>{0.0, 15.0}}});
        std::printf("wrote %s\n", model_path.c_str());
      }
    }
    const auto rows = evaluate_lotka_volterra(*model, eval, /*verbose=*/true);
    for (const int64_t c : eval.counts) {
      double sum = 0;
      int64_t k = 0;
      for (const auto& r : rows)
        if (r.count == c) sum += r.c2st, ++k;
      std::printf("times per series %2lld: mean C2ST %.3f over %lld observations\n", static_cast<long long>(c),
                  sum / double(k), static_cast<long long>(k));
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lotka_volterra: %s\n", e.what());
    return 2;
  }
}
