// amor_c2st: the sbibm C2ST of two sample files, for comparing amor with scikit-learn
// (tools/c2st_compare.py drives it).
//
//   amor_c2st REFERENCE.csv[.bz2] SAMPLES.csv[.bz2] [--seed N] [--folds K] [--no-z-score]
//             [--dtype f32|f64] [--threads T] [--auc] [--max-iter E]
//
// Prints one JSON object: score, per-fold scores and epochs, seconds, and the settings used.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "core/error.h"
#include "sbi/diagnostics/c2st.h"
#include "tools/csv_reader.h"

namespace {

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr,
               "error: %s\nusage: amor_c2st REFERENCE.csv SAMPLES.csv [--seed N] [--folds K] "
               "[--no-z-score] [--dtype f32|f64] [--threads T] [--auc] [--max-iter E]\n",
               msg);
  std::exit(2);
}

long parse_int(const char* flag, const char* text) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (end == text || *end != '\0') usage((std::string(flag) + " needs an integer").c_str());
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  std::string paths[2];
  int n_paths = 0;
  amor::sbi::C2stOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage((arg + " needs a value").c_str());
      return argv[++i];
    };
    if (arg == "--seed") {
      options.seed = uint32_t(parse_int("--seed", value()));
    } else if (arg == "--folds") {
      options.n_folds = parse_int("--folds", value());
    } else if (arg == "--no-z-score") {
      options.z_score = false;
    } else if (arg == "--dtype") {
      const std::string v = value();
      if (v == "f32") options.dtype = amor::DType::F32;
      else if (v == "f64") options.dtype = amor::DType::F64;
      else usage("--dtype is f32 or f64");
    } else if (arg == "--threads") {
      options.num_threads = int(parse_int("--threads", value()));
    } else if (arg == "--auc") {
      options.scoring = amor::sbi::C2stScoring::RocAuc;
    } else if (arg == "--max-iter") {
      options.classifier.max_iter = parse_int("--max-iter", value());
    } else if (!arg.empty() && arg[0] == '-') {
      usage(("unknown option " + arg).c_str());
    } else {
      if (n_paths == 2) usage("expected exactly two CSV files");
      paths[n_paths++] = arg;
    }
  }
  if (n_paths != 2) usage("expected exactly two CSV files");
  try {
    const amor::tools::CsvTable x = amor::tools::read_csv(paths[0]);
    const amor::tools::CsvTable y = amor::tools::read_csv(paths[1]);
    const auto t0 = std::chrono::steady_clock::now();
    const amor::sbi::C2stResult r = amor::sbi::c2st_folds(x.values, y.values, options);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("{\"score\": %.6f, \"fold_scores\": [", r.score);
    for (size_t k = 0; k < r.fold_scores.size(); ++k)
      std::printf("%s%.6f", k ? ", " : "", r.fold_scores[k]);
    std::printf("], \"fold_epochs\": [");
    for (size_t k = 0; k < r.fold_epochs.size(); ++k)
      std::printf("%s%lld", k ? ", " : "", static_cast<long long>(r.fold_epochs[k]));
    std::printf("], \"seconds\": %.3f, \"n_reference\": %lld, \"n_samples\": %lld, \"dim\": %lld, "
                "\"dtype\": \"%s\", \"seed\": %u}\n",
                seconds, static_cast<long long>(x.values.size(0)),
                static_cast<long long>(y.values.size(0)), static_cast<long long>(x.values.size(1)),
                options.dtype == amor::DType::F32 ? "float32" : "float64", options.seed);
  } catch (const amor::Error& e) {
    std::fprintf(stderr, "amor_c2st: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "amor_c2st: unexpected error: %s\n", e.what());
    return 1;
  }
  return 0;
}
