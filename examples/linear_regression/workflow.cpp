#include "workflow.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <numbers>

#include "core/error.h"
#include "core/ops.h"
#include "core/random.h"
#include "sbi/io/csv.h"
#include "sbi/rng.h"
#include "sbi/summary/joint_training.h"
#include "sbi/summary/summary_flow.h"
#include "sbi/tasks/linear_regression.h"

namespace linreg {

namespace sbi = amor::sbi;
namespace summary = amor::sbi::summary;
using amor::Shape;
using amor::Tensor;

namespace {

const std::vector<std::string> kParameterNames = {"beta_0", "beta_1", "sigma"};

// BayesFlow's adapter for the tutorial: θ = [beta, sigma] (3 values), the set = (x_j, y_j) pairs,
// and √N as a direct condition next to the learned summaries.
summary::BatchAdapter tutorial_adapter() {
  return summary::BatchAdapter{.inference_variables = {"beta", "sigma"},
                               .summary_variables = {"x", "y"},
                               .conditions = {{"N", "sqrt"}}};
}

summary::SummaryFlowConfig model_config(const WorkflowOptions& o) {
  summary::SummaryFlowConfig c;
  c.summary = {{"type", o.summary}, {"summary_dim", o.summary_dim}};
  c.estimator = o.estimator;
  c.theta_dim = 3;
  c.input_dim = 2;      // (x_j, y_j)
  c.condition_dim = 1;  // √N
  // σ > 0: the flow lives on (beta_0, beta_1, log σ), so every sample has σ > 0 (BayesFlow's
  // constrain("sigma", lower=0) does the same with a softplus).
  const double inf = std::numeric_limits<double>::infinity();
  c.flow_options.support = sbi::Support{{-inf, -inf, 0.0}, {inf, inf, inf}};
  c.seed = o.seed;
  return c;
}

// Row-wise mean and sd of samples [n, d].
void moments(const Tensor& s, std::vector<double>& mean, std::vector<double>& sd) {
  const std::vector<double> v = s.to(amor::DType::F64).contiguous().to_vector<double>();
  const int64_t n = s.size(0), d = s.size(1);
  mean.assign(size_t(d), 0.0);
  sd.assign(size_t(d), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) mean[size_t(j)] += v[size_t(i * d + j)] / double(n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) sd[size_t(j)] += std::pow(v[size_t(i * d + j)] - mean[size_t(j)], 2) / double(n - 1);
  for (auto& e : sd) e = std::sqrt(e);
}

// The posterior of the held-out data set by self-normalised importance sampling from the prior:
// weights ∝ Π_j N(y_j; β0 + β1 x_j, σ²). Exact up to Monte Carlo error (reported as the ESS).
void reference_posterior(const std::vector<double>& x, const std::vector<double>& y, uint64_t seed,
                         std::vector<double>& mean, std::vector<double>& sd, double& ess) {
  const int64_t draws = 400000;
  std::vector<double> th(static_cast<size_t>(3 * draws)), logw(static_cast<size_t>(draws));
  sbi::Rng rng(seed, 0x1EF, 0);
  for (int64_t i = 0; i < draws; ++i) {
    const double b0 = rng.normal(2.0, 3.0), b1 = rng.normal(0.0, 1.0), s = rng.gamma(1.0);
    double lw = 0;
    for (size_t j = 0; j < x.size(); ++j) {
      const double r = (y[j] - b0 - b1 * x[j]) / s;
      lw += -0.5 * r * r - std::log(s) - 0.5 * std::log(2 * std::numbers::pi);
    }
    th[size_t(3 * i)] = b0;
    th[size_t(3 * i + 1)] = b1;
    th[size_t(3 * i + 2)] = s;
    logw[size_t(i)] = lw;
  }
  const double mx = *std::max_element(logw.begin(), logw.end());
  double sw = 0, sw2 = 0;
  for (auto& w : logw) {
    w = std::exp(w - mx);
    sw += w;
    sw2 += w * w;
  }
  ess = sw * sw / sw2;
  mean.assign(3, 0.0);
  sd.assign(3, 0.0);
  for (int64_t i = 0; i < draws; ++i)
    for (int j = 0; j < 3; ++j) mean[size_t(j)] += logw[size_t(i)] / sw * th[size_t(3 * i + j)];
  for (int64_t i = 0; i < draws; ++i)
    for (int j = 0; j < 3; ++j) sd[size_t(j)] += logw[size_t(i)] / sw * std::pow(th[size_t(3 * i + j)] - mean[size_t(j)], 2);
  for (auto& e : sd) e = std::sqrt(e);
}

void write(const WorkflowOptions& o, const std::string& name, const std::vector<std::string>& header,
           const Tensor& values) {
  if (o.out_dir.empty()) return;
  const std::string path = (std::filesystem::path(o.out_dir) / name).string();
  sbi::io::write_csv(path, header, values);
  if (o.verbose) std::printf("  wrote %s\n", path.c_str());
}

}  // namespace

WorkflowResult run_workflow(const WorkflowOptions& o) {
  WorkflowResult result;
  if (!o.out_dir.empty()) std::filesystem::create_directories(o.out_dir);
  const sbi::GenerativeModel simulator = sbi::tasks::linear_regression_model();
  const summary::BatchAdapter adapter = tutorial_adapter();

  // ---- 1. the model ------------------------------------------------------------------------
  if (o.verbose) {
    const sbi::Batch b = simulator.sample(4, o.seed, 0);
    std::printf("1. Simulator: N ~ U{5..14} once per batch; beta ~ N([2, 0], diag(3², 1²)), sigma ~ Gamma(1, 1)\n");
    std::printf("   a batch of 4: N = %g, beta %s, sigma %s, x %s, y %s\n", b.meta.scalar("N"),
                b.at("beta").shape().str().c_str(), b.at("sigma").shape().str().c_str(),
                b.at("x").shape().str().c_str(), b.at("y").shape().str().c_str());
  }

  // ---- 2. joint online training ------------------------------------------------------------
  summary::SummaryFlow model(model_config(o));
  summary::OnlineTrainingOptions train;
  train.epochs = o.epochs;
  train.batches_per_epoch = o.batches_per_epoch;
  train.batch_size = o.batch_size;
  train.learning_rate = o.learning_rate;
  if (o.verbose)
    std::printf("2. Training %s (summary_dim %lld) + %s flow online: %lld epochs x %lld batches of %lld, "
                "%lld parameters\n",
                o.summary.c_str(), static_cast<long long>(o.summary_dim), o.estimator.c_str(),
                static_cast<long long>(o.epochs), static_cast<long long>(o.batches_per_epoch),
                static_cast<long long>(o.batch_size), static_cast<long long>(model.num_parameters()));
  const auto on_epoch = [&](const summary::JointEpoch& e) {
    if (o.verbose)
      std::printf("   epoch %3lld  train NLL %8.4f  validation NLL %8.4f  lr %.2e  %6.1f s\n",
                  static_cast<long long>(e.epoch), e.train_loss, e.val_loss, e.learning_rate, e.elapsed_s);
  };
  const summary::OnlineTrainingResult tr = summary::train_online(model, simulator, adapter, train, o.seed, on_epoch);
  result.train_losses = tr.train_losses;
  result.val_losses = tr.val_losses;
  result.train_seconds = tr.seconds;
  {
    Tensor loss = amor::zeros(Shape{tr.epochs, 3}, {.dtype = amor::DType::F64});
    for (int64_t e = 0; e < tr.epochs; ++e) {
      loss.data<double>()[e * 3] = double(e + 1);
      loss.data<double>()[e * 3 + 1] = tr.train_losses[size_t(e)];
      loss.data<double>()[e * 3 + 2] = tr.val_losses[size_t(e)];
    }
    write(o, "loss.csv", {"epoch", "train_loss", "val_loss"}, loss);
  }

  // ---- 3. one held-out data set --------------------------------------------------------------
  // A batch index far from training's (which used 0 .. epochs·batches - 1) and its own seed.
  const sbi::Batch held = simulator.sample(1, o.seed + 7919, 0);
  const summary::SetBatch obs = adapter(held);
  result.heldout_n = obs.x.size(1);
  result.true_parameters = obs.theta.to(amor::DType::F64).to_vector<double>();
  amor::Generator gen(o.seed, 0x5A);
  const Tensor draws = model.sample(o.posterior_draws, obs, gen);  // [n, 3]
  moments(draws, result.posterior_mean, result.posterior_sd);
  const std::vector<double> xs = held.at("x").to_vector<double>(), ys = held.at("y").to_vector<double>();
  reference_posterior(xs, ys, o.seed, result.reference_mean, result.reference_sd, result.reference_ess);
  if (o.verbose) {
    std::printf("3. Held-out data set (N = %lld): %lld posterior draws\n", static_cast<long long>(result.heldout_n),
                static_cast<long long>(o.posterior_draws));
    std::printf("   %-7s %8s %16s %22s\n", "", "truth", "NPE mean ± sd", "reference mean ± sd");
    for (size_t j = 0; j < 3; ++j)
      std::printf("   %-7s %8.3f %8.3f ± %5.3f %12.3f ± %5.3f\n", kParameterNames[j].c_str(), result.true_parameters[j],
                  result.posterior_mean[j], result.posterior_sd[j], result.reference_mean[j], result.reference_sd[j]);
    std::printf("   (reference: importance sampling from the prior, effective sample size %.0f)\n",
                result.reference_ess);
  }
  write(o, "posterior_samples.csv", kParameterNames, draws.to(amor::DType::F64));
  write(o, "true_parameters.csv", kParameterNames, obs.theta.to(amor::DType::F64));
  write(o, "heldout_data.csv", {"x", "y"},
        amor::stack({held.at("x").reshape(Shape{-1}), held.at("y").reshape(Shape{-1})}, 1));

  // ---- 4. save, load, sample again -----------------------------------------------------------
  if (!o.out_dir.empty()) {
    const std::string path = (std::filesystem::path(o.out_dir) / "model.safetensors").string();
    model.save(path, {{"example", "linear_regression"}});
    const auto loaded = summary::SummaryFlow::load(path);
    amor::Generator g1(1), g2(1);
    result.reload_identical = amor::all(amor::eq(loaded->sample(100, obs, g1), model.sample(100, obs, g2)));
    if (o.verbose)
      std::printf("4. Saved %s; the reloaded model samples %s\n", path.c_str(),
                  result.reload_identical ? "identically" : "DIFFERENTLY (bug)");
  }

  // ---- 5. simulation-based calibration -------------------------------------------------------
  // Each SBC data set is its own batch of one, so N varies between them; they are padded to
  // the largest N with a mask for one batched sampling call.
  std::vector<summary::SetBatch> sets;
  for (int64_t i = 0; i < o.sbc_datasets; ++i) sets.push_back(adapter(simulator.sample(1, o.seed + 104729, uint64_t(i))));
  const summary::SetBatch sbc_data = summary::concat_padded(sets);
  amor::Generator sbc_gen(o.seed, 0x5BC);
  const Tensor post = model.sample_batched(o.sbc_draws, sbc_data, sbc_gen).to(amor::DType::F64);  // [n, L, 3]
  const Tensor truth = sbc_data.theta.to(amor::DType::F64);                                         // [n, 3]
  // The tutorial's test quantity beta_0 + beta_1 as a fourth column.
  const Tensor post4 = amor::concat({post, amor::sum(post.narrow(2, 0, 2), {2}, true)}, 2);
  const Tensor truth4 = amor::concat({truth, amor::sum(truth.narrow(1, 0, 2), {1}, true)}, 1);
  const Tensor ranks = sbi::sbc_ranks(truth4, post4);  // int64 [n, 4]
  result.sbc = sbi::check_sbc(ranks, o.sbc_draws, {.seed = o.seed});
  write(o, "sbc_ranks.csv", {"beta_0", "beta_1", "sigma", "beta_0_plus_beta_1"},
        ranks.to(amor::DType::F64) / double(o.sbc_draws));
  if (o.verbose) {
    std::printf("5. SBC: %lld data sets x %lld draws (ranks uniform if the posterior is calibrated)\n",
                static_cast<long long>(o.sbc_datasets), static_cast<long long>(o.sbc_draws));
    const std::vector<std::string> names = {"beta_0", "beta_1", "sigma", "beta_0+beta_1"};
    const auto& u = result.sbc.uniformity;
    for (size_t j = 0; j < names.size(); ++j)
      std::printf("   %-14s %s  KS p = %.3f  chi2(%lld) p = %.3f  ECDF %s the 95%% band\n", names[j].c_str(),
                  result.sbc.parameter_passed[j] ? "pass" : "FAIL", u.ks_pvalue[j],
                  static_cast<long long>(u.num_bins - 1), u.chi2_pvalue[j],
                  result.sbc.ecdf.inside[j] ? "inside" : "outside");
    std::printf("   SBC verdict: %s\n", result.sbc.passed ? "PASSED" : "FAILED");
  }
  return result;
}

}  // namespace linreg
