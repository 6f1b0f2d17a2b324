// BayesFlow's linear-regression starter with amor: see README.md.
//
//   linear_regression [--summary deepset|set_transformer] [--estimator coupling|maf|nsf]
//                     [--epochs 30] [--batches 128] [--batch-size 64] [--lr 5e-4]
//                     [--sbc-datasets 200] [--sbc-draws 1000] [--seed 2025] [--threads T]
//                     [--out DIR] [--quick]
//
// Exit status: 0 when SBC passes, 1 when it fails, 2 on bad arguments or errors.
#include <omp.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "workflow.h"

namespace {

void usage() {
  std::fprintf(stderr,
               "usage: linear_regression [--summary deepset|set_transformer] [--estimator coupling|maf|nsf]\n"
               "         [--epochs E] [--batches B] [--batch-size S] [--lr R] [--sbc-datasets D]\n"
               "         [--sbc-draws L] [--seed N] [--threads T] [--out DIR] [--quick]\n"
               "  --quick   10 epochs x 100 batches (a shorter run for a first look)\n");
}

}  // namespace

int main(int argc, char** argv) {
  linreg::WorkflowOptions o;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
        return argv[++i];
      };
      if (a == "--summary") o.summary = value();
      else if (a == "--estimator") o.estimator = value();
      else if (a == "--epochs") o.epochs = std::stoll(value());
      else if (a == "--batches") o.batches_per_epoch = std::stoll(value());
      else if (a == "--batch-size") o.batch_size = std::stoll(value());
      else if (a == "--lr") o.learning_rate = std::stod(value());
      else if (a == "--sbc-datasets") o.sbc_datasets = std::stoll(value());
      else if (a == "--sbc-draws") o.sbc_draws = std::stoll(value());
      else if (a == "--seed") o.seed = std::stoull(value());
      else if (a == "--threads") omp_set_num_threads(std::stoi(value()));
      else if (a == "--out") o.out_dir = value();
      else if (a == "--quick") {
        o.epochs = 10;
        o.batches_per_epoch = 100;
      } else if (a == "--help" || a == "-h") {
        usage();
        return 0;
      } else {
        throw std::invalid_argument("unknown argument '" + a + "'");
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "linear_regression: %s\n", e.what());
    usage();
    return 2;
  }
  try {
    const linreg::WorkflowResult r = linreg::run_workflow(o);
    return r.sbc.passed ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "linear_regression: %s\n", e.what());
    return 2;
  }
}
