// slcp and slcp_distractors (sbibm): "simple likelihood, complex posterior".
//
// θ ~ U(-3, 3)^5; x = 4 iid draws of a 2-d Gaussian, flattened (x1a, x1b, x2a, x2b, ...):
//
//   m = (θ1, θ2),  s1 = θ3²,  s2 = θ4²,  ρ = tanh(θ5)
//   Σ = [[s1², ρ·s1·s2], [ρ·s1·s2, s2²]] + 1e-6·I
//
// (s1, s2 are standard deviations, so the variances are θ3⁴ and θ4⁴; the signs of θ3, θ4 are
// not identified, which makes the posterior multimodal.)
//
// slcp_distractors appends 92 dimensions of noise that do not depend on θ — one draw of a uniform
// mixture of 20 multivariate Student-t (df 2) in 92-d — and shuffles the 100 values with a fixed
// permutation: out[i] = concat(x_slcp[8], noise[92])[perm[i]]. The mixture's locations, scale
// factors and the permutation are sbibm's constants, read from <data_dir>/slcp/files/.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "sbi/tasks/builtin.h"
#include "sbi/tasks/sbibm_task.h"
#include "sbi/tasks/task_support.h"

namespace amor::sbi::tasks {

namespace {

constexpr int64_t kThetaDim = 5;
constexpr int64_t kNumDraws = 4;
constexpr int64_t kSlcpDim = 2 * kNumDraws;  // 8
constexpr int64_t kNoiseDim = 92;
constexpr int64_t kDistractorsDim = kSlcpDim + kNoiseDim;  // 100
constexpr int64_t kNumComponents = 20;
constexpr double kBound = 3.0;
constexpr double kJitter = 1e-6;

// x: [8], the 4 draws of the 2-d Gaussian for θ: [5].
void simulate_slcp(const double* theta, double* x, Rng& rng) {
  const double s1 = theta[2] * theta[2], s2 = theta[3] * theta[3];
  const double rho = std::tanh(theta[4]);
  // Cholesky factor of Σ, by hand for 2x2. L11² = s2² + ε - L10² >= ε > 0 in exact arithmetic;
  // the max() only guards rounding.
  const double l00 = std::sqrt(s1 * s1 + kJitter);
  const double l10 = rho * s1 * s2 / l00;
  const double l11 = std::sqrt(std::max(s2 * s2 + kJitter - l10 * l10, 0.0));
  for (int64_t j = 0; j < kNumDraws; ++j) {
    const double z0 = rng.normal(), z1 = rng.normal();
    x[2 * j] = theta[0] + l00 * z0;
    x[2 * j + 1] = theta[1] + l10 * z0 + l11 * z1;
  }
}

std::vector<std::string> slcp_names() {
  std::vector<std::string> names;
  // Appended piece by piece: GCC 12 reports a false -Wrestrict on "x" + std::to_string(j).
  for (int64_t j = 1; j <= kNumDraws; ++j) {
    for (const char coord : {'a', 'b'}) {
      std::string name = "x";
      name += std::to_string(j);
      name += coord;
      names.push_back(std::move(name));
    }
  }
  return names;
}

// x_b of draw j depends on x_a of the same draw (they share z0 when ρ ≠ 0); the draws are
// independent given θ. x_pos[k]: the x index that holds real value k.
void add_slcp_edges(DagBuilder& g, const std::vector<int64_t>& x_pos) {
  for (int64_t k = 0; k < kSlcpDim; ++k) g.x_on_all_theta(x_pos[size_t(k)]);
  for (int64_t j = 0; j < kNumDraws; ++j)
    g.edge(g.x(x_pos[size_t(2 * j + 1)]), g.x(x_pos[size_t(2 * j)]));
}

class SlcpSimulator final : public Simulator {
 public:
  int64_t theta_dim() const override { return kThetaDim; }
  int64_t x_dim() const override { return kSlcpDim; }
  void simulate_one(const double* theta, double* x, Rng& rng) const override {
    simulate_slcp(theta, x, rng);
  }
};

// The 92-d Student-t mixture and the permutation.
struct DistractorConstants {
  std::vector<double> weights;     // [20]
  std::vector<double> df;          // [20]
  std::vector<double> loc;         // [20, 92]
  std::vector<double> scale_tril;  // [20, 92, 92], lower triangular
  std::vector<int64_t> perm;       // [100]: output i takes concat(x, noise)[perm[i]]
};

DistractorConstants load_distractor_constants(const std::string& task, const std::string& data_dir) {
  DistractorConstants c;
  const Tensor comps = read_task_constants(task, data_dir, "slcp/files/gmm_components.csv", kNumComponents, 3);
  const Tensor loc = read_task_constants(task, data_dir, "slcp/files/gmm_loc.csv", kNumComponents, kNoiseDim);
  const Tensor tril = read_task_constants(task, data_dir, "slcp/files/gmm_scale_tril.csv.bz2",
                                          kNumComponents * kNoiseDim, 2 + kNoiseDim);
  const Tensor perm = read_task_constants(task, data_dir, "slcp/files/permutation_idx.csv", kDistractorsDim, 1);

  const double* pc = comps.data<double>();
  for (int64_t k = 0; k < kNumComponents; ++k) {
    c.weights.push_back(pc[k * 3 + 1]);
    c.df.push_back(pc[k * 3 + 2]);
    AMOR_CHECK(c.weights.back() > 0.0 && c.df.back() > 0.0, IOError, "task '", task,
               "': gmm_components.csv row ", k + 1, " needs a positive weight and df");
  }
  c.loc = loc.to_vector<double>();

  // Rows are (component, row, col_1..col_92), 1-based, in any order; every (component, row)
  // exactly once, and the upper triangle zero.
  c.scale_tril.assign(size_t(kNumComponents * kNoiseDim * kNoiseDim), 0.0);
  std::vector<uint8_t> seen(size_t(kNumComponents * kNoiseDim), 0);
  const double* pt = tril.data<double>();
  const int64_t width = 2 + kNoiseDim;
  for (int64_t r = 0; r < kNumComponents * kNoiseDim; ++r) {
    const double* row = pt + r * width;
    const int64_t k = int64_t(row[0]) - 1, i = int64_t(row[1]) - 1;
    AMOR_CHECK(double(k + 1) == row[0] && double(i + 1) == row[1] && k >= 0 && k < kNumComponents &&
                   i >= 0 && i < kNoiseDim && !seen[size_t(k * kNoiseDim + i)],
               IOError, "task '", task, "': gmm_scale_tril.csv.bz2 data row ", r + 1,
               " has a bad or repeated (component, row) = (", row[0], ", ", row[1], ")");
    seen[size_t(k * kNoiseDim + i)] = 1;
    for (int64_t j = 0; j < kNoiseDim; ++j) {
      AMOR_CHECK(j <= i || row[2 + j] == 0.0, IOError, "task '", task,
                 "': gmm_scale_tril.csv.bz2 component ", k + 1, " is not lower triangular at (",
                 i + 1, ", ", j + 1, ")");
      c.scale_tril[size_t((k * kNoiseDim + i) * kNoiseDim + j)] = row[2 + j];
    }
  }

  // A permutation of 0..99.
  std::vector<uint8_t> used(size_t(kDistractorsDim), 0);
  const double* pp = perm.data<double>();
  for (int64_t i = 0; i < kDistractorsDim; ++i) {
    const int64_t v = int64_t(pp[i]);
    AMOR_CHECK(double(v) == pp[i] && v >= 0 && v < kDistractorsDim && !used[size_t(v)], IOError,
               "task '", task, "': permutation_idx.csv row ", i + 1, " (", pp[i],
               ") is not an unused index in 0..", kDistractorsDim - 1);
    used[size_t(v)] = 1;
    c.perm.push_back(v);
  }
  return c;
}

class SlcpDistractorsSimulator final : public Simulator {
 public:
  explicit SlcpDistractorsSimulator(DistractorConstants c) : c_(std::move(c)) {}
  int64_t theta_dim() const override { return kThetaDim; }
  int64_t x_dim() const override { return kDistractorsDim; }

  // theta: [5] -> x: [100].
  void simulate_one(const double* theta, double* x, Rng& rng) const override {
    double full[kDistractorsDim];  // concat(x_slcp[8], noise[92]) before the permutation
    simulate_slcp(theta, full, rng);
    draw_noise(full + kSlcpDim, rng);
    for (int64_t i = 0; i < kDistractorsDim; ++i) x[i] = full[c_.perm[size_t(i)]];
  }

  const DistractorConstants& constants() const { return c_; }

 private:
  // One draw of the mixture: pick k, then loc_k + L_k · z · sqrt(df / χ²_df) (the multivariate
  // Student-t as a Gaussian scale mixture, as pyro's MultivariateStudentT samples it).
  void draw_noise(double* out, Rng& rng) const {
    const int64_t k = rng.categorical(c_.weights.data(), kNumComponents);
    const double df = c_.df[size_t(k)];
    const double chi2 = 2.0 * rng.gamma(0.5 * df);
    const double w = std::sqrt(df / chi2);
    double z[kNoiseDim];
    for (int64_t j = 0; j < kNoiseDim; ++j) z[j] = w * rng.normal();
    const double* loc = c_.loc.data() + k * kNoiseDim;
    const double* l = c_.scale_tril.data() + k * kNoiseDim * kNoiseDim;
    for (int64_t i = 0; i < kNoiseDim; ++i) {
      double s = loc[i];
      for (int64_t j = 0; j <= i; ++j) s += l[i * kNoiseDim + j] * z[j];
      out[i] = s;
    }
  }

  DistractorConstants c_;
};

class SlcpTask final : public SbibmTask {
 public:
  SlcpTask(bool distractors, const TaskOptions& options)
      : SbibmTask("slcp", options, distractors ? "observation_distractors.csv" : "observation.csv"),
        distractors_(distractors),
        prior_(box_uniform(std::vector<double>(kThetaDim, -kBound), std::vector<double>(kThetaDim, kBound))) {
    if (distractors_) {
      auto sim = std::make_shared<SlcpDistractorsSimulator>(
          load_distractor_constants("slcp_distractors", data_dir()));
      perm_ = sim->constants().perm;
      simulator_ = sim;
    } else {
      simulator_ = std::make_shared<SlcpSimulator>();
    }
  }

  std::string name() const override { return distractors_ ? "slcp_distractors" : "slcp"; }
  std::string description() const override {
    return distractors_ ? "slcp's 8 values hidden among 92 Student-t mixture distractors, permuted "
                          "(sbibm slcp_distractors)"
                        : "4 iid 2-d Gaussians whose mean, scales and correlation are θ; complex "
                          "posterior (sbibm slcp)";
  }
  DistributionPtr prior() const override { return prior_; }
  SimulatorPtr simulator() const override { return simulator_; }

  std::vector<std::string> theta_names() const override {
    // m = (θ1, θ2), std s_i = θ_{i+2}², ρ = tanh(θ5).
    return {"m1", "m2", "s1_sqrt", "s2_sqrt", "rho_atanh"};
  }
  // slcp: x1a, x1b, ..., x4b. slcp_distractors: the same names where the permutation put the
  // real values, distractor_1..92 (in noise order) elsewhere.
  std::vector<std::string> x_names() const override {
    const std::vector<std::string> real = slcp_names();
    if (!distractors_) return real;
    std::vector<std::string> names;
    for (int64_t i = 0; i < kDistractorsDim; ++i) {
      const int64_t src = perm_[size_t(i)];
      if (src < kSlcpDim) {
        names.push_back(real[size_t(src)]);
      } else {
        std::string name = "distractor_";
        name += std::to_string(src - kSlcpDim + 1);
        names.push_back(std::move(name));
      }
    }
    return names;
  }

  // Every real x depends on every θ, and the b value of each draw on its a value. Distractors
  // have no θ parent and none among the real values, but they depend on each other (one mixture
  // component and one χ² scale per simulation, full scale matrices): each distractor has every
  // earlier distractor (in output order) as parent.
  Tensor dag() const override {
    if (!distractors_) {
      DagBuilder g(kThetaDim, kSlcpDim);
      std::vector<int64_t> pos(static_cast<size_t>(kSlcpDim));
      for (int64_t k = 0; k < kSlcpDim; ++k) pos[size_t(k)] = k;
      add_slcp_edges(g, pos);
      return g.build();
    }
    DagBuilder g(kThetaDim, kDistractorsDim);
    std::vector<int64_t> pos(static_cast<size_t>(kSlcpDim));  // where real value k went
    std::vector<int64_t> noise_pos;              // output positions of the distractors, ascending
    for (int64_t i = 0; i < kDistractorsDim; ++i) {
      const int64_t src = perm_[size_t(i)];
      if (src < kSlcpDim) pos[size_t(src)] = i;
      else noise_pos.push_back(i);
    }
    add_slcp_edges(g, pos);
    for (size_t a = 0; a < noise_pos.size(); ++a)
      for (size_t b = 0; b < a; ++b) g.edge(g.x(noise_pos[a]), g.x(noise_pos[b]));
    return g.build();
  }

 private:
  bool distractors_;
  DistributionPtr prior_;
  SimulatorPtr simulator_;
  std::vector<int64_t> perm_;
};

}  // namespace

TaskPtr make_slcp(const TaskOptions& options) { return std::make_shared<SlcpTask>(false, options); }

TaskPtr make_slcp_distractors(const TaskOptions& options) {
  return std::make_shared<SlcpTask>(true, options);
}

}  // namespace amor::sbi::tasks
