// `amor sbc`: simulation-based calibration of a saved posterior on its task
// (sbi/diagnostics/sbc_run.h). Writes DIR/ranks.csv (normalised ranks, one column per parameter,
// the input of `amor plot --sbc`), DIR/sbc.svg (rank histograms) and DIR/sbc.json (per-parameter
// KS / chi-square p-values, whether the ECDF stays in its simultaneous band, the verdict), and
// prints a table. The exit status is 0 whether or not the check passes; sbc.json says.
#include <cmath>
#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "apps/cli_support.h"
#include "apps/commands.h"
#include "apps/plot/diagnostic_plots.h"
#include "apps/plot/output.h"
#include "core/error.h"
#include "core/ops.h"
#include "core/file_io.h"
#include "sbi/diagnostics/sbc_run.h"
#include "sbi/method.h"
#include "sbi/task.h"

namespace amor::apps {

int run_sbc(const SbcArgs& a) {
  ensure_output_dir("--out", a.out);
  const sbi::PosteriorPtr posterior = sbi::load_posterior(a.model);
  const sbi::TaskPtr task = task_of_model(posterior->task_name(), a.model, a.data_dir, "SBC needs its prior and simulator");
  const auto dir = std::filesystem::path(a.out);
  std::fprintf(stderr, "amor sbc: %lld simulations of %s, %lld posterior draws each\n",
               static_cast<long long>(a.n), task->name().c_str(), static_cast<long long>(a.draws));
  sbi::SbcRunOptions o;
  o.num_simulations = a.n;
  o.num_draws = a.draws;
  o.seed = a.seed;
  o.on_round = [](int64_t done, int64_t total) {
    if (done % 20 == 0 || done == total)
      std::fprintf(stderr, "amor sbc: %lld / %lld rounds\n", static_cast<long long>(done), static_cast<long long>(total));
  };
  const sbi::SbcRun run = sbi::run_sbc(*task, *posterior, o);

  const std::vector<std::string> names = task->theta_names();
  const Tensor normalised = run.ranks.to(DType::F64) / double(a.draws);
  write_table((dir / "ranks.csv").string(), names, normalised);
  plot::save_figure(plot::sbc_plot(to_sample_table(names, normalised)), (dir / "sbc.svg").string());

  const sbi::SbcCheck& c = run.check;
  nlohmann::json j = {{"task", task->name()},
                      {"model", a.model},
                      {"method", posterior->method()},
                      {"num_simulations", run.ranks.size(0)},
                      {"num_draws", a.draws},
                      {"seed", a.seed},
                      {"invalid_simulations_redrawn", run.num_invalid},
                      {"alpha", o.check.alpha},
                      {"chi2_bins", c.uniformity.num_bins},
                      {"passed", c.passed}};
  // Contraction: the posterior's spread against the prior's, so that a posterior that merely
  // returns the prior (which SBC cannot tell from an exact one) shows. sd ratio per parameter:
  // sqrt(mean over rounds of the posterior variance) / the sd of the true θ over the rounds.
  const int64_t rounds = run.ranks.size(0), d = run.ranks.size(1), l = a.draws;
  std::vector<double> sd_ratio(static_cast<size_t>(d));
  {
    const double* th = run.theta.data<double>();
    const double* dr = run.draws.data<double>();
    for (int64_t p = 0; p < d; ++p) {
      double m = 0, v = 0, post_var = 0;
      for (int64_t i = 0; i < rounds; ++i) m += th[i * d + p] / double(rounds);
      for (int64_t i = 0; i < rounds; ++i) v += (th[i * d + p] - m) * (th[i * d + p] - m) / double(rounds - 1 > 0 ? rounds - 1 : 1);
      for (int64_t i = 0; i < rounds; ++i) {
        double pm = 0, pv = 0;
        for (int64_t k = 0; k < l; ++k) pm += dr[(i * l + k) * d + p] / double(l);
        for (int64_t k = 0; k < l; ++k) pv += (dr[(i * l + k) * d + p] - pm) * (dr[(i * l + k) * d + p] - pm);
        post_var += pv / double(l > 1 ? l - 1 : 1) / double(rounds);
      }
      sd_ratio[size_t(p)] = v > 0 ? std::sqrt(post_var / v) : 0.0;
    }
  }
  std::vector<std::vector<std::string>> rows = {{"parameter", "KS p", "chi2 p", "ECDF in band", "post/prior sd", "passed"}};
  for (size_t p = 0; p < names.size(); ++p) {
    j["parameters"].push_back({{"name", names[p]},
                               {"ks_statistic", c.uniformity.ks_statistic[p]},
                               {"ks_pvalue", c.uniformity.ks_pvalue[p]},
                               {"chi2_statistic", c.uniformity.chi2_statistic[p]},
                               {"chi2_pvalue", c.uniformity.chi2_pvalue[p]},
                               {"ecdf_inside_band", bool(c.ecdf.inside[p])},
                               {"ecdf_log_gamma", c.ecdf.log_gamma[p]},
                               {"posterior_to_prior_sd", sd_ratio[p]},
                               {"passed", bool(c.parameter_passed[p])}});
    char ks[32], chi[32], sd[32];
    std::snprintf(ks, sizeof ks, "%.3f", c.uniformity.ks_pvalue[p]);
    std::snprintf(chi, sizeof chi, "%.3f", c.uniformity.chi2_pvalue[p]);
    std::snprintf(sd, sizeof sd, "%.2f", sd_ratio[p]);
    rows.push_back({names[p], ks, chi, c.ecdf.inside[p] ? "yes" : "no", sd, c.parameter_passed[p] ? "yes" : "NO"});
  }
  write_file_atomically((dir / "sbc.json").string(), j.dump(2) + "\n", "amor sbc");
  print_table(stdout, rows);
  std::printf("SBC %s (family-wise alpha %.3g: KS, chi-square and the ECDF band of each parameter, each at "
              "alpha / %zu)\n",
              c.passed ? "passed" : "FAILED", o.check.alpha, 3 * names.size());
  std::printf("wrote %s, %s, %s\n", (dir / "ranks.csv").c_str(), (dir / "sbc.svg").c_str(), (dir / "sbc.json").c_str());
  return 0;
}

}  // namespace amor::apps
