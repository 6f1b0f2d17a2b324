#include "tests/apps/support/fixtures.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "core/error.h"
#include "nn/checkpoint.h"
#include "sbi/method.h"
#include "sbi/rng.h"
#include "sbi/task.h"

namespace amor::test {

namespace {

constexpr int kObservations = 3;
constexpr uint64_t kReferenceStream = sbi::kUserStreamBase + 11;
constexpr uint64_t kPosteriorStream = sbi::kUserStreamBase + 12;

// Posterior of θ ~ N(0, 1), x = θ + N(0, s²) per axis: N(x / (1 + s²), s² / (1 + s²)).
Tensor gaussian_posterior_samples(const Tensor& x_o, double noise, int64_t n, uint64_t seed,
                                  uint64_t stream) {
  const Tensor x = x_o.to(DType::F64).contiguous();
  AMOR_CHECK(x.numel() == 2, ShapeError, "test_gauss2d: x_o must have 2 values, got ", x.numel());
  const double shrink = 1.0 / (1.0 + noise * noise);
  const double sd = std::sqrt(noise * noise * shrink);
  std::vector<double> out(static_cast<size_t>(n) * 2);
  for (int64_t i = 0; i < n; ++i) {
    sbi::Rng rng(seed, stream, static_cast<uint64_t>(i));
    for (int j = 0; j < 2; ++j)
      out[static_cast<size_t>(i * 2 + j)] = x.data<double>()[j] * shrink + sd * rng.normal();
  }
  return from_vector(out, Shape{n, 2});
}

class Gauss2dTask final : public sbi::Task {
 public:
  std::string name() const override { return "test_gauss2d"; }
  std::string description() const override { return "test fixture: 2-D Gaussian, analytic posterior"; }
  sbi::DistributionPtr prior() const override { return sbi::diag_normal({0.0, 0.0}, {1.0, 1.0}); }
  sbi::SimulatorPtr simulator() const override {
    return sbi::make_simulator(2, 2, [](const double* theta, double* x, sbi::Rng& rng) {
      const bool fail = rng.uniform() < kGaussFailRate;
      for (int j = 0; j < 2; ++j)
        x[j] = fail ? std::numeric_limits<double>::quiet_NaN() : theta[j] + kGaussNoise * rng.normal();
    });
  }
  std::vector<std::string> theta_names() const override { return {"mu_1", "mu_2"}; }
  std::vector<std::string> x_names() const override { return {"y_1", "y_2"}; }
  int num_observations() const override { return kObservations; }
  Tensor true_parameters(int k) const override {
    check(k);
    return from_vector(std::vector<double>{0.4 * k - 0.8, 0.3 * k}, Shape{1, 2});
  }
  Tensor observation(int k) const override {
    check(k);
    // Exact decimals, so a CSV holding them reads back bit for bit.
    static const double kX[kObservations][2] = {{-0.5, 0.45}, {0.0, 0.8}, {0.5, 1.15}};
    return from_vector(std::vector<double>{kX[k - 1][0], kX[k - 1][1]}, Shape{1, 2});
  }
  Tensor reference_samples(int k) const override {
    return gaussian_posterior_samples(observation(k), kGaussNoise, 10000, static_cast<uint64_t>(k),
                                      kReferenceStream);
  }
  bool has_analytic_posterior() const override { return true; }
  Tensor analytic_posterior_samples(const Tensor& x_o, int64_t n, uint64_t seed) const override {
    return gaussian_posterior_samples(x_o, kGaussNoise, n, seed, kPosteriorStream);
  }
  // The density of the valid simulations (the 5 % failures are independent of θ): N(θ; 0, I) ·
  // N(x; θ, s² I). row: (mu_1, mu_2, y_1, y_2).
  bool has_joint_log_density() const override { return true; }
  double joint_log_density_one(const double* row) const override {
    constexpr double kHalfLog2Pi = 0.91893853320467274178;
    double lp = 0;
    for (int j = 0; j < 2; ++j) {
      const double z = (row[2 + j] - row[j]) / kGaussNoise;
      lp += -0.5 * row[j] * row[j] - 0.5 * z * z - std::log(kGaussNoise) - 2 * kHalfLog2Pi;
    }
    return lp;
  }

 private:
  static void check(int k) {
    AMOR_CHECK(k >= 1 && k <= kObservations, ValueError, "test_gauss2d: observation ", k,
               " is not in 1..", kObservations);
  }
};

class OraclePosterior final : public sbi::Posterior {
 public:
  OraclePosterior(std::string method, std::string task, double noise)
      : method_(std::move(method)), task_(std::move(task)), noise_(noise) {}
  std::string method() const override { return method_; }
  std::string task_name() const override { return task_; }
  int64_t theta_dim() const override { return 2; }
  int64_t x_dim() const override { return 2; }
  Tensor sample(const Tensor& x_o, int64_t n, uint64_t seed) override {
    return gaussian_posterior_samples(x_o, noise_, n, seed, kPosteriorStream);
  }
  void save(const std::string& path) const override {
    write_posterior_checkpoint(path, {{"noise", from_vector(std::vector<double>{noise_}, Shape{1})}},
                               method_, task_);
  }

 private:
  std::string method_, task_;
  double noise_;
};

// The oracle that also samples every conditional of the joint (θ_1, θ_2, x_1, x_2), like the
// Simformer: the pairs (θ_j, x_j) are independent bivariate normals (var θ 1, var x 1 + s²,
// cov 1), so each conditional is exact: x_j | θ_j ~ N(θ_j, s²), θ_j | x_j as the posterior.
class JointOraclePosterior final : public sbi::Posterior, public sbi::ConditionalSampler {
 public:
  JointOraclePosterior(std::string method, std::string task, double noise)
      : inner_(method, std::move(task), noise), method_(std::move(method)), noise_(noise) {}
  std::string method() const override { return method_; }
  std::string task_name() const override { return inner_.task_name(); }
  int64_t theta_dim() const override { return 2; }
  int64_t x_dim() const override { return 2; }
  Tensor sample(const Tensor& x_o, int64_t n, uint64_t seed) override { return inner_.sample(x_o, n, seed); }
  void save(const std::string& path) const override { inner_.save(path); }

  std::vector<std::string> variable_names() const override { return {"mu_1", "mu_2", "y_1", "y_2"}; }
  using sbi::ConditionalSampler::sample_conditional;
  Tensor sample_conditional(const std::vector<std::pair<int64_t, double>>& observed, int64_t n,
                            uint64_t seed) override {
    bool given[4] = {false, false, false, false};
    double value[4] = {0, 0, 0, 0};
    for (const auto& [i, v] : observed) {
      AMOR_CHECK(i >= 0 && i < 4 && !given[i], ValueError, "joint_oracle: bad or repeated entry ", i);
      given[i] = true, value[i] = v;
    }
    const double shrink = 1.0 / (1.0 + noise_ * noise_), sd = std::sqrt(noise_ * noise_ * shrink);
    std::vector<double> out(static_cast<size_t>(n) * 4);
    for (int64_t r = 0; r < n; ++r) {
      sbi::Rng rng(seed, kPosteriorStream, static_cast<uint64_t>(r));
      double* row = out.data() + r * 4;
      for (int j = 0; j < 2; ++j) {
        const double z1 = rng.normal(), z2 = rng.normal();
        double& theta = row[j];
        double& x = row[2 + j];
        if (given[j] && given[2 + j]) theta = value[j], x = value[2 + j];
        else if (given[j]) theta = value[j], x = theta + noise_ * z1;
        else if (given[2 + j]) x = value[2 + j], theta = x * shrink + sd * z1;
        else theta = z1, x = theta + noise_ * z2;
      }
    }
    return from_vector(out, Shape{n, 4});
  }

 private:
  OraclePosterior inner_;
  std::string method_;
  double noise_;
};

class OracleMethod final : public sbi::Method {
 public:
  // noise_factor: the trained posterior uses this multiple of the estimated noise (1: exact; the
  // wrong_joint_oracle's 3 makes every conditional wrong, for tests that must catch it).
  OracleMethod(std::string name, int64_t default_epochs, int sleep_ms, bool joint = false,
               double noise_factor = 1.0)
      : name_(std::move(name)), default_epochs_(default_epochs), sleep_ms_(sleep_ms), joint_(joint),
        noise_factor_(noise_factor) {}
  std::string name() const override { return name_; }

  sbi::PosteriorPtr train(const sbi::Task& task, const sbi::Dataset& data,
                          const sbi::TrainOptions& options, sbi::TrainReport* report) const override {
    AMOR_CHECK(task.name() == "test_gauss2d", ValueError, "method '", name_,
               "' only knows task test_gauss2d, not '", task.name(), "'");
    int64_t epochs = default_epochs_;
    for (const auto& [key, value] : options.config.items()) {
      // A failure no amor::Error describes, for the exit-status-1 path of the command line.
      if (key == "fail_unexpectedly") throw std::runtime_error("the oracle failed on purpose");
      if (key == "device" && value == "cpu") continue;  // what `--device cpu` adds
      AMOR_CHECK(key == "epochs" && value.is_number_integer() && value.get<int64_t>() > 0, ValueError,
                 "method '", name_, "': unknown or invalid config key '", key, "'");
      epochs = value.get<int64_t>();
    }
    const auto t0 = std::chrono::steady_clock::now();
    const Tensor theta = data.theta.to(DType::F64).contiguous(), x = data.x.to(DType::F64).contiguous();
    const int64_t n = theta.size(0);
    AMOR_CHECK(n > 0, ValueError, "method '", name_, "': no valid simulations");
    double sum_sq = 0, count = 0, best = std::numeric_limits<double>::infinity();
    sbi::TrainReport r;
    for (int64_t e = 0; e < epochs; ++e) {
      if (options.stop && options.stop->load()) {
        r.interrupted = true;
        break;
      }
      // Epoch e looks at its share of the rows (all of them once every epoch has run).
      const int64_t lo = n * (e % 3) / 3, hi = n * (e % 3 + 1) / 3;
      if (e < 3)
        for (int64_t i = lo; i < hi; ++i)
          for (int j = 0; j < 2; ++j) {
            const double d = x.data<double>()[i * 2 + j] - theta.data<double>()[i * 2 + j];
            sum_sq += d * d, count += 1;
          }
      if (sleep_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms_));
      const double noise = std::sqrt(sum_sq / std::max(count, 1.0));
      const double loss = std::log(noise) + 0.5;  // Gaussian NLL per coordinate, up to a constant
      best = std::min(best, loss);
      r.epochs = e + 1, r.steps = e + 1;
      if (options.on_progress) {
        sbi::TrainProgress p;
        p.unit = "epoch", p.done = e + 1, p.total = epochs, p.train_loss = loss, p.val_loss = loss;
        p.best_val_loss = best;
        p.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        options.on_progress(p);
      }
    }
    r.best_val_loss = best;
    r.train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.num_simulations = data.num_simulated, r.num_invalid = data.num_invalid;
    if (report) *report = r;
    return make_posterior(task.name(), noise_factor_ * std::sqrt(sum_sq / std::max(count, 1.0)));
  }

  sbi::PosteriorPtr load(const std::string& path) const override {
    const nn::NamedTensors t = nn::read_safetensors(path);
    AMOR_CHECK(t.size() == 1 && t[0].first == "noise" && t[0].second.numel() == 1, IOError, "'", path,
               "' is not a ", name_, " checkpoint");
    const nlohmann::json config = nn::read_checkpoint_config(path);
    return make_posterior(config.value("task", ""), t[0].second.to(DType::F64).data<double>()[0]);
  }

 private:
  sbi::PosteriorPtr make_posterior(const std::string& task, double noise) const {
    if (joint_) return std::make_unique<JointOraclePosterior>(name_, task, noise);
    return std::make_unique<OraclePosterior>(name_, task, noise);
  }

  std::string name_;
  int64_t default_epochs_;
  int sleep_ms_;
  bool joint_;
  double noise_factor_;
};

}  // namespace

void write_posterior_checkpoint(const std::string& path,
                                const std::vector<std::pair<std::string, Tensor>>& tensors,
                                const std::string& method, const std::string& task) {
  const nlohmann::json config = {{"format", "amor"}, {"method", method}, {"task", task}};
  nn::write_safetensors(path, tensors,
                        {{"format", nn::kCheckpointFormat},
                         {"format_version", nn::kCheckpointFormatVersion},
                         {"module", "TestOraclePosterior"},
                         {"config", config.dump()}});
}

void register_cli_fixtures() {
  static std::once_flag once;
  std::call_once(once, [] {
    sbi::register_task("test_gauss2d", [](const sbi::TaskOptions&) -> sbi::TaskPtr {
      return std::make_shared<Gauss2dTask>();
    });
    sbi::register_method(std::make_shared<OracleMethod>("oracle", 3, 0));
    sbi::register_method(std::make_shared<OracleMethod>("slow_oracle", 2000, 50));
    sbi::register_method(std::make_shared<OracleMethod>("joint_oracle", 3, 0, /*joint=*/true));
    sbi::register_method(std::make_shared<OracleMethod>("wrong_joint_oracle", 3, 0, /*joint=*/true,
                                                        /*noise_factor=*/3.0));
  });
}

}  // namespace amor::test
