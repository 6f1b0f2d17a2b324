// amor_sampler_sweep: posterior C2ST of one trained Simformer under several reverse-time samplers
// and step counts, to find the sampler that reaches the reference's accuracy in the fewest network
// evaluations (docs/simformer.md records the results).
//
//   amor_sampler_sweep MODEL.safetensors [--observations 1-3] [--n 10000] [--seed S]
//                      [--samplers euler_maruyama:500,dpm_solver_2m:25,...] [--data-dir DIR]
//
// The model's task must have sbibm reference samples (the first N of them are used, so that both
// classes of the C2ST have N rows). Prints one line per (sampler, steps):
// network evaluations, mean C2ST over the observations, each observation's C2ST, seconds.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "sbi/diagnostics/c2st.h"
#include "sbi/method.h"
#include "sbi/simformer/reverse_sampler.h"
#include "sbi/simformer/simformer_method.h"
#include "sbi/task.h"

namespace {

[[noreturn]] void usage(const std::string& msg) {
  std::fprintf(stderr,
               "error: %s\nusage: amor_sampler_sweep MODEL.safetensors [--observations A-B] [--n N] "
               "[--seed S] [--samplers name:steps,...] [--data-dir DIR]\n",
               msg.c_str());
  std::exit(2);
}

long parse_int(const std::string& what, const std::string& text) {
  char* end = nullptr;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0') usage(what + " needs an integer, got '" + text + "'");
  return v;
}

std::vector<std::pair<std::string, int64_t>> parse_samplers(const std::string& text) {
  std::vector<std::pair<std::string, int64_t>> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const size_t colon = item.find(':');
    if (colon == std::string::npos) usage("--samplers items are name:steps, got '" + item + "'");
    out.emplace_back(item.substr(0, colon), parse_int("--samplers", item.substr(colon + 1)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace amor;
  std::string model_path, data_dir;
  int first = 1, last = 3;
  int64_t n = 10000;
  uint64_t seed = 100;
  std::vector<std::pair<std::string, int64_t>> samplers = {
      {"euler_maruyama", 500}, {"euler_maruyama", 100}, {"heun_ode", 25},
      {"ancestral", 100},      {"ancestral", 50},       {"dpm_solver_2m", 50},
      {"dpm_solver_2m", 25}};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--observations") {
      const std::string v = value();
      const size_t dash = v.find('-');
      first = int(parse_int(arg, v.substr(0, dash)));
      last = dash == std::string::npos ? first : int(parse_int(arg, v.substr(dash + 1)));
    } else if (arg == "--n") n = parse_int(arg, value());
    else if (arg == "--seed") seed = uint64_t(parse_int(arg, value()));
    else if (arg == "--samplers") samplers = parse_samplers(value());
    else if (arg == "--data-dir") data_dir = value();
    else if (!arg.empty() && arg[0] == '-') usage("unknown option " + arg);
    else if (model_path.empty()) model_path = arg;
    else usage("expected one model path");
  }
  if (model_path.empty()) usage("expected a model path");
  try {
    sbi::PosteriorPtr posterior = sbi::load_posterior(model_path);
    auto* simformer = dynamic_cast<sbi::simformer::SimformerPosterior*>(posterior.get());
    if (simformer == nullptr) throw ValueError(model_path + " is not a Simformer checkpoint");
    const sbi::TaskPtr task = sbi::make_task(posterior->task_name(), sbi::TaskOptions{data_dir});
    std::printf("%-16s %6s %6s %8s  %s\n", "sampler", "steps", "NFE", "C2ST", "per observation (seconds)");
    for (const auto& [name, steps] : samplers) {
      sbi::simformer::SamplingOptions o = simformer->model().config().sampling;
      o.method = name;
      o.steps = steps;
      simformer->model().set_sampling_options(o);
      double total = 0;
      std::string per;
      for (int k = first; k <= last; ++k) {
        const auto t0 = std::chrono::steady_clock::now();
        const Tensor samples = posterior->sample(task->observation(k), n, seed + uint64_t(k));
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        // As many reference rows as samples: C2ST's chance level is 0.5 only for balanced classes.
        const Tensor reference = task->reference_samples(k);
        const double c = sbi::c2st(reference.slice(0, 0, std::min(n, reference.size(0))), samples);
        total += c;
        char buf[64];
        std::snprintf(buf, sizeof buf, "%s%.3f (%.0fs)", per.empty() ? "" : ", ", c, secs);
        per += buf;
      }
      std::printf("%-16s %6lld %6lld %8.3f  %s\n", name.c_str(), static_cast<long long>(steps),
                  static_cast<long long>(
                      sbi::simformer::network_evaluations(sbi::simformer::parse_sampler_kind(name), steps)),
                  total / double(last - first + 1), per.c_str());
      std::fflush(stdout);
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "amor_sampler_sweep: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "amor_sampler_sweep: unexpected error: %s\n", e.what());
    return 1;
  }
  return 0;
}
