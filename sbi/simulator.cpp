#include "sbi/simulator.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "core/error.h"
#include "sbi/parallel.h"

namespace amor::sbi {

namespace {

class FunctionSimulator final : public Simulator {
 public:
  using Fn = std::function<void(const double*, double*, Rng&)>;
  FunctionSimulator(int64_t theta_dim, int64_t x_dim, Fn fn)
      : theta_dim_(theta_dim), x_dim_(x_dim), fn_(std::move(fn)) {}
  int64_t theta_dim() const override { return theta_dim_; }
  int64_t x_dim() const override { return x_dim_; }
  void simulate_one(const double* theta, double* x, Rng& rng) const override { fn_(theta, x, rng); }

 private:
  int64_t theta_dim_, x_dim_;
  Fn fn_;
};

// theta as a contiguous float64 [n, theta_dim] (float32 is converted), with typed errors.
Tensor checked_theta(const Simulator& sim, const Tensor& theta, const char* op) {
  AMOR_CHECK(theta.defined(), ValueError, op, ": theta is an undefined tensor");
  AMOR_CHECK(theta.dim() == 2 && theta.size(1) == sim.theta_dim(), ShapeError, op,
             ": expected theta of shape [n, ", sim.theta_dim(), "] (the simulator's theta_dim), got ",
             theta.shape().str());
  AMOR_CHECK(is_floating(theta.dtype()), DTypeError, op, ": expected float64 (or float32) theta, got ",
             dtype_name(theta.dtype()));
  AMOR_CHECK(theta.device().is_cpu(), DeviceError, op, ": simulators run on the CPU; theta is on ",
             theta.device().str());
  return theta.detach().to(DType::F64).contiguous();
}

// Runs the rows; ran[i] = 1 for every row simulated (all of them unless cancelled).
Tensor simulate_rows(const Simulator& sim, const Tensor& theta64, uint64_t seed,
                     const SimulateOptions& options, std::vector<uint8_t>& ran) {
  const int64_t n = theta64.size(0), dt = sim.theta_dim(), dx = sim.x_dim();
  Tensor x = full({n, dx}, std::numeric_limits<double>::quiet_NaN(), {.dtype = DType::F64});
  const double* pt = theta64.data<double>();
  double* px = x.data<double>();
  ran.assign(size_t(n), 0);
  parallel_rows(n, options.num_threads, true, [&](int64_t i) {
    if (options.cancel && options.cancel->load(std::memory_order_relaxed)) return;
    Rng rng(seed, kSimulatorStream, options.first_index + uint64_t(i));
    sim.simulate_one(pt + i * dt, px + i * dx, rng);
    ran[size_t(i)] = 1;
  });
  return x;
}

bool row_finite(const double* x, int64_t d) {
  for (int64_t j = 0; j < d; ++j)
    if (!std::isfinite(x[j])) return false;
  return true;
}

}  // namespace

SimulatorPtr make_simulator(int64_t theta_dim, int64_t x_dim,
                            std::function<void(const double* theta, double* x, Rng& rng)> fn) {
  AMOR_CHECK(theta_dim >= 1, ValueError, "make_simulator: theta_dim must be >= 1, got ", theta_dim);
  AMOR_CHECK(x_dim >= 1, ValueError, "make_simulator: x_dim must be >= 1, got ", x_dim);
  AMOR_CHECK(static_cast<bool>(fn), ValueError, "make_simulator: the function is empty");
  return std::make_shared<FunctionSimulator>(theta_dim, x_dim, std::move(fn));
}

Tensor simulate(const Simulator& sim, const Tensor& theta, uint64_t seed, const SimulateOptions& options) {
  const Tensor t = checked_theta(sim, theta, "simulate");
  std::vector<uint8_t> ran;
  return simulate_rows(sim, t, seed, options, ran);
}

Tensor finite_rows(const Tensor& x) {
  AMOR_CHECK(x.defined(), ValueError, "finite_rows: undefined tensor");
  AMOR_CHECK(x.dim() == 2, ShapeError, "finite_rows: expected x of shape [n, d], got ", x.shape().str());
  AMOR_CHECK(is_floating(x.dtype()), DTypeError, "finite_rows: expected float32 or float64, got ",
             dtype_name(x.dtype()));
  const Tensor x64 = x.detach().to(DType::F64).contiguous();
  const int64_t n = x64.size(0), d = x64.size(1);
  const double* p = x64.data<double>();
  Tensor out = Tensor::empty({n}, DType::Bool);
  uint8_t* po = out.data<uint8_t>();
  for (int64_t i = 0; i < n; ++i) po[i] = row_finite(p + i * d, d) ? 1 : 0;
  return out;
}

Dataset simulate_dataset(const Distribution& prior, const Simulator& sim, int64_t n, uint64_t seed,
                         const SimulateOptions& options) {
  AMOR_CHECK(n >= 0, ValueError, "simulate_dataset: n must be >= 0, got ", n);
  AMOR_CHECK(prior.dim() == sim.theta_dim(), ShapeError, "simulate_dataset: the prior '", prior.name(),
             "' has dimension ", prior.dim(), " but the simulator takes theta_dim ", sim.theta_dim());
  // The prior's row i uses Rng(seed, kPriorStream, first_index + i), like the simulator's, so a
  // dataset generated in chunks equals the one generated at once.
  const Tensor theta = prior.sample(n, seed, options.first_index);
  std::vector<uint8_t> ran;
  const Tensor x = simulate_rows(sim, theta, seed, options, ran);
  const int64_t dt = sim.theta_dim(), dx = sim.x_dim();
  const double* pt = theta.data<double>();
  const double* px = x.data<double>();
  std::vector<int64_t> keep;
  Dataset ds;
  for (int64_t i = 0; i < n; ++i) {
    if (!ran[size_t(i)]) continue;  // cancelled before this row ran: neither simulated nor invalid
    ++ds.num_simulated;
    if (row_finite(px + i * dx, dx))
      keep.push_back(i);
    else
      ++ds.num_invalid;
  }
  const auto m = int64_t(keep.size());
  ds.theta = Tensor::empty({m, dt}, DType::F64);
  ds.x = Tensor::empty({m, dx}, DType::F64);
  double* ot = ds.theta.data<double>();
  double* ox = ds.x.data<double>();
  for (int64_t r = 0; r < m; ++r) {
    const int64_t i = keep[size_t(r)];
    std::memcpy(ot + r * dt, pt + i * dt, size_t(dt) * sizeof(double));
    std::memcpy(ox + r * dx, px + i * dx, size_t(dx) * sizeof(double));
  }
  return ds;
}

}  // namespace amor::sbi
