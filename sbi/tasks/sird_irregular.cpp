// SIRD at any set of times (sbi/tasks/sird_irregular.h).
#include "sbi/tasks/sird_irregular.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/error.h"
#include "sbi/parallel.h"
#include "sbi/rng.h"

namespace amor::sbi::tasks {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Random streams: the prior draw (rates, I₀, grid), a training row's times, the noise.
constexpr uint64_t kDrawStream = 0x51D1, kTimesStream = 0x51D2, kNoiseStream = 0x51D3;


const SirdRateGp& unconditional_gp() {
  static const SirdRateGp gp;  // the Cholesky factor of the 100-point prior, once
  return gp;
}

const std::vector<double>& grid() {
  static const std::vector<double> g = sird_grid();
  return g;
}

void check_times(const std::vector<double>& times, const char* who) {
  for (double t : times)
    AMOR_CHECK(t >= kSirdStart && t <= kSirdEnd, ValueError, "sird_irregular: ", who, " time ", t,
               " outside [0, 50]");
}

}  // namespace

const std::vector<std::string>& SirdIrregular::node_names() {
  static const std::vector<std::string> names = {"gamma", "delta", "beta", "I", "R", "D"};
  return names;
}

int64_t SirdIrregular::node_of(const std::string& name) {
  const auto& names = node_names();
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return int64_t(i);
  throw ValueError("sird_irregular: unknown variable '" + name + "' (expected gamma, delta, beta, I, R or D)");
}

Tensor SirdIrregular::node_dag() {
  Tensor dag = Tensor::empty({kNodes, kNodes}, DType::Bool);
  bool* d = dag.data<bool>();
  for (int64_t i = 0; i < kNodes; ++i)
    for (int64_t j = 0; j < kNodes; ++j) d[i * kNodes + j] = i >= kInfectedNode && j <= kBetaNode;
  return dag;
}

std::vector<double> SirdIrregular::Truth::beta(const std::vector<double>& times) const {
  AMOR_CHECK(g_grid.size() == size_t(kSirdGridPoints), ValueError, "sird_irregular: a truth needs ",
             kSirdGridPoints, " grid values, got ", g_grid.size());
  check_times(times, "beta");
  double b[kSirdGridPoints];
  sird_beta_on_grid(g_grid.data(), b);
  std::vector<double> out(times.size());
  for (size_t k = 0; k < times.size(); ++k) out[k] = interpolate_linear(grid().data(), b, kSirdGridPoints, times[k]);
  return out;
}

SirdIrregular::Truth SirdIrregular::draw(uint64_t seed, uint64_t index) {
  Rng rng(seed, kDrawStream, index);
  Truth t;
  t.gamma = rng.uniform(0.0, kSirdMaxRate);
  t.delta = rng.uniform(0.0, kSirdMaxRate);
  t.initial_infected = rng.uniform(0.0, kSirdMaxInitialInfected);
  t.g_grid.resize(kSirdGridPoints);
  unconditional_gp().sample(rng, t.g_grid.data());
  return t;
}

std::vector<double> SirdIrregular::random_times(Rng& rng, int64_t count, bool observation) {
  AMOR_CHECK(count >= 0, ValueError, "sird_irregular: a number of times must be >= 0, got ", count);
  std::vector<double> t(static_cast<size_t>(count));
  // uniform() is U[0, 1): 50 − 50 u is U(0, 50].
  for (auto& x : t) x = observation ? kSirdEnd - rng.uniform(0.0, kSirdEnd) : rng.uniform(0.0, kSirdEnd);
  std::sort(t.begin(), t.end());
  return t;
}

SirdIrregular::Points SirdIrregular::simulate(const Truth& truth, const std::vector<double>& infected_times,
                                              const std::vector<double>& recovered_times,
                                              const std::vector<double>& deceased_times, uint64_t seed,
                                              uint64_t index) {
  AMOR_CHECK(truth.g_grid.size() == size_t(kSirdGridPoints), ValueError, "sird_irregular: a truth needs ",
             kSirdGridPoints, " grid values, got ", truth.g_grid.size());
  check_times(infected_times, "I");
  check_times(recovered_times, "R");
  check_times(deceased_times, "D");
  Points p;
  for (const auto* series : {&infected_times, &recovered_times, &deceased_times}) {
    const int64_t node = series == &infected_times ? kInfectedNode : series == &recovered_times ? kRecoveredNode
                                                                                              : kDeceasedNode;
    for (double t : *series) {
      p.nodes.push_back(node);
      p.times.push_back(t);
    }
  }
  const size_t m = p.times.size();
  p.values.assign(m, kNaN);
  if (m == 0) return p;
  // sird_states needs sorted times: solve once at all of them sorted, write back in order.
  std::vector<size_t> order(m);
  std::iota(order.begin(), order.end(), size_t(0));
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p.times[a] < p.times[b]; });
  std::vector<double> sorted(m), states(4 * m);
  for (size_t k = 0; k < m; ++k) sorted[k] = p.times[order[k]];
  double beta_grid[kSirdGridPoints];
  sird_beta_on_grid(truth.g_grid.data(), beta_grid);
  AMOR_CHECK(sird_states(truth.gamma, truth.delta, beta_grid, truth.initial_infected, sorted.data(), int64_t(m),
                         states.data()),
             ValueError, "sird_irregular: the ODE solve failed (γ ", truth.gamma, ", δ ", truth.delta, ", I₀ ",
             truth.initial_infected, ")");
  // The noise in token order, so a point's noise does not depend on the other series' times.
  Rng rng(seed, kNoiseStream, index);
  std::vector<double> compartment(m);
  for (size_t k = 0; k < m; ++k) {
    const size_t i = order[k];
    compartment[i] = states[4 * k + size_t(1 + (p.nodes[i] - kInfectedNode))];  // I, R, D: columns 1, 2, 3
  }
  for (size_t i = 0; i < m; ++i) p.values[i] = sird_observe(std::max(compartment[i], 0.0), rng);
  return p;
}

SirdIrregular::TrainingData SirdIrregular::training_data(int64_t n, int64_t beta_times, int64_t obs_times_per_series,
                                                         uint64_t seed, int num_threads) {
  AMOR_CHECK(n > 0, ValueError, "sird_irregular: need n > 0 simulations, got ", n);
  AMOR_CHECK(beta_times > 0 && obs_times_per_series > 0, ValueError,
             "sird_irregular: need beta_times > 0 and obs_times_per_series > 0, got ", beta_times, " and ",
             obs_times_per_series);
  const int64_t kb = beta_times, k = obs_times_per_series, tokens = kScalars + kb + 3 * k;
  std::vector<int64_t> ids(static_cast<size_t>(tokens));
  for (int64_t j = 0; j < tokens; ++j) {
    if (j < kScalars) ids[size_t(j)] = j;
    else if (j < kScalars + kb) ids[size_t(j)] = kBetaNode;
    else ids[size_t(j)] = kInfectedNode + (j - kScalars - kb) / k;
  }
  std::vector<double> joint(size_t(n * tokens)), meta(size_t(n * tokens));
  std::vector<char> ok(size_t(n), 0);
  // Every row draws from its own streams (index i), so rows are independent of the threads.
  parallel_rows(n, num_threads, n > 16, [&](int64_t i) {
    const Truth truth = draw(seed, uint64_t(i));
    Rng rng(seed, kTimesStream, uint64_t(i));
    const std::vector<double> tb = random_times(rng, kb, false);
    const std::vector<double> ti = random_times(rng, k, true);
    const std::vector<double> tr = random_times(rng, k, true);
    const std::vector<double> td = random_times(rng, k, true);
    Points p;
    try {
      p = simulate(truth, ti, tr, td, seed, uint64_t(i));
    } catch (const ValueError&) {
      return;  // a failed solve: the row is dropped
    }
    const std::vector<double> b = truth.beta(tb);
    double* v = joint.data() + i * tokens;
    double* m = meta.data() + i * tokens;
    v[0] = truth.gamma;
    v[1] = truth.delta;
    m[0] = m[1] = kNaN;
    for (int64_t j = 0; j < kb; ++j) {
      v[kScalars + j] = b[size_t(j)];
      m[kScalars + j] = tb[size_t(j)];
    }
    for (int64_t j = 0; j < 3 * k; ++j) {
      v[kScalars + kb + j] = p.values[size_t(j)];
      m[kScalars + kb + j] = p.times[size_t(j)];
    }
    ok[size_t(i)] = 1;
  });
  TrainingData data;
  for (int64_t i = 0; i < n; ++i)
    if (ok[size_t(i)]) data.draw_index.push_back(i);
  const int64_t kept = int64_t(data.draw_index.size());
  data.dropped = n - kept;
  AMOR_CHECK(kept > 0, ValueError, "sird_irregular: every one of the ", n, " simulations failed");
  data.joint = Tensor::empty({kept, tokens}, DType::F64);
  data.metadata = Tensor::empty({kept, tokens}, DType::F64);
  for (int64_t r = 0; r < kept; ++r) {
    const int64_t i = data.draw_index[size_t(r)];
    std::copy_n(joint.data() + i * tokens, tokens, data.joint.data<double>() + r * tokens);
    std::copy_n(meta.data() + i * tokens, tokens, data.metadata.data<double>() + r * tokens);
  }
  data.node_ids = from_vector(ids, {tokens});
  return data;
}

}  // namespace amor::sbi::tasks
