#include "sbi/nle/slice_sampler.h"

#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "sbi/rng.h"

namespace amor::sbi::nle {

void SliceSamplerOptions::validate() const {
  AMOR_CHECK(warmup_sweeps >= 0, ValueError, "slice sampler: warmup_sweeps must be >= 0, got ", warmup_sweeps);
  AMOR_CHECK(thin >= 1, ValueError, "slice sampler: thin must be >= 1, got ", thin);
  AMOR_CHECK(tuning_sweeps >= 0, ValueError, "slice sampler: tuning_sweeps must be >= 0, got ", tuning_sweeps);
  AMOR_CHECK(std::isfinite(init_width) && init_width > 0, ValueError,
             "slice sampler: init_width must be positive and finite, got ", init_width);
  AMOR_CHECK(max_step_out >= 1, ValueError, "slice sampler: max_step_out must be >= 1, got ", max_step_out);
  AMOR_CHECK(max_shrink >= 1, ValueError, "slice sampler: max_shrink must be >= 1, got ", max_shrink);
}

namespace {

// Where a chain is in its current coordinate update; `proposal()` is the value of coordinate
// `coord` it waits to have evaluated.
enum class Phase { StepLeft, StepRight, Shrink, Done };

struct Chain {
  explicit Chain(uint64_t seed, uint64_t index) : rng(seed, kSliceStream, index) {}
  Rng rng;
  double log_p = 0;               // log density at the current state
  std::vector<int64_t> order;     // coordinate order of this sweep
  int64_t pos = 0;                // position in `order`
  int64_t sweep = 0;              // sweeps completed
  int64_t kept = 0;               // samples recorded
  Phase phase = Phase::StepLeft;
  int64_t coord = 0;
  double current = 0, width = 0, level = 0, left = 0, right = 0, point = 0;
  int64_t steps_left = 0, steps_right = 0, shrinks = 0;

  double proposal() const { return phase == Phase::StepLeft ? left : phase == Phase::StepRight ? right : point; }
};

void shuffle_order(Chain& c, int64_t d) {
  c.order.resize(size_t(d));
  for (int64_t j = 0; j < d; ++j) c.order[size_t(j)] = j;
  for (int64_t j = d - 1; j > 0; --j) std::swap(c.order[size_t(j)], c.order[size_t(c.rng.randint(0, j + 1))]);
  c.pos = 0;
}

void draw_point(Chain& c) { c.point = c.left + (c.right - c.left) * c.rng.uniform(); }

// Moves past the stepping-out phases whose step budget is spent (Neal evaluates a bracket end
// only while steps remain), so the chain waits on a point that needs evaluating.
void settle(Chain& c) {
  if (c.phase == Phase::StepLeft && c.steps_left == 0) c.phase = Phase::StepRight;
  if (c.phase == Phase::StepRight && c.steps_right == 0) {
    c.phase = Phase::Shrink;
    draw_point(c);
  }
}

// Starts the update of the next coordinate: slice level, random bracket, split of the step budget.
void begin_update(Chain& c, const double* x, const double* widths, int64_t max_step_out) {
  c.coord = c.order[size_t(c.pos)];
  c.current = x[c.coord];
  c.width = widths[c.coord];
  c.level = c.log_p + std::log(1.0 - c.rng.uniform());
  c.left = c.current - c.width * c.rng.uniform();
  c.right = c.left + c.width;
  c.steps_left = int64_t(std::floor(double(max_step_out) * c.rng.uniform()));
  c.steps_right = max_step_out - 1 - c.steps_left;
  c.shrinks = 0;
  c.phase = Phase::StepLeft;
  settle(c);
}

// Reads the log density's answer for `rows` rows as float64 values; ShapeError otherwise.
std::vector<double> read_log_density(const Tensor& out, int64_t rows) {
  AMOR_CHECK(out.defined() && out.dim() == 1 && out.size(0) == rows, ShapeError,
             "slice sampler: the log density must return [", rows, "] values for [", rows,
             ", d] points, got ", out.defined() ? out.shape().str() : std::string("an undefined tensor"));
  std::vector<double> v = out.to(DType::F64).to_vector<double>();
  for (double& x : v)
    if (std::isnan(x)) x = -std::numeric_limits<double>::infinity();
  return v;
}

}  // namespace

SliceSamplerResult slice_sample(const BatchLogDensity& log_density, const Tensor& init, int64_t samples_per_chain,
                                const SliceSamplerOptions& options, uint64_t seed) {
  options.validate();
  AMOR_CHECK(log_density != nullptr, ValueError, "slice sampler: the log density is empty");
  AMOR_CHECK(init.defined() && init.dim() == 2 && init.size(0) >= 1 && init.size(1) >= 1, ShapeError,
             "slice sampler: initial states must be [chains, d] with chains, d >= 1, got ",
             init.defined() ? init.shape().str() : std::string("an undefined tensor"));
  AMOR_CHECK(samples_per_chain >= 1, ValueError, "slice sampler: samples_per_chain must be >= 1, got ",
             samples_per_chain);
  const int64_t chains = init.size(0), d = init.size(1);
  const int64_t total_sweeps = options.warmup_sweeps + samples_per_chain * options.thin;
  const int64_t tuning = std::min(options.tuning_sweeps, options.warmup_sweeps);

  Tensor state = init.to(DType::F64).contiguous().clone();  // [chains, d]
  double* x = state.data<double>();
  for (int64_t i = 0; i < chains * d; ++i)
    AMOR_CHECK(std::isfinite(x[i]), ValueError, "slice sampler: initial state of chain ", i / d + 1,
               " has a non-finite coordinate ", i % d + 1);

  SliceSamplerResult result;
  result.samples = Tensor::empty({chains, samples_per_chain, d}, DType::F64);
  result.log_density = Tensor::empty({chains, samples_per_chain}, DType::F64);
  result.widths = Tensor::empty({chains, d}, DType::F64);
  double* samples = result.samples.data<double>();
  double* kept_lp = result.log_density.data<double>();
  double* widths = result.widths.data<double>();
  for (int64_t i = 0; i < chains * d; ++i) widths[i] = options.init_width;

  std::vector<Chain> cs;
  cs.reserve(size_t(chains));
  {
    const std::vector<double> lp = read_log_density(log_density(state), chains);
    result.evaluations += chains;
    result.batched_calls += 1;
    for (int64_t c = 0; c < chains; ++c) {
      AMOR_CHECK(std::isfinite(lp[size_t(c)]), ValueError, "slice sampler: chain ", c + 1,
                 " starts where the log density is ", lp[size_t(c)], "; every chain must start inside the support");
      cs.emplace_back(seed, uint64_t(c));
      Chain& ch = cs.back();
      ch.log_p = lp[size_t(c)];
      shuffle_order(ch, d);
      begin_update(ch, x + c * d, widths + c * d, options.max_step_out);
    }
  }

  std::vector<int64_t> active;  // chains waiting for an evaluation, in index order
  active.reserve(size_t(chains));
  while (true) {
    active.clear();
    for (int64_t c = 0; c < chains; ++c)
      if (cs[size_t(c)].phase != Phase::Done) active.push_back(c);
    if (active.empty()) break;
    const int64_t m = int64_t(active.size());
    Tensor batch = Tensor::empty({m, d}, DType::F64);  // [m, d]
    double* b = batch.data<double>();
    for (int64_t r = 0; r < m; ++r) {
      const Chain& ch = cs[size_t(active[size_t(r)])];
      std::copy(x + active[size_t(r)] * d, x + (active[size_t(r)] + 1) * d, b + r * d);
      b[r * d + ch.coord] = ch.proposal();
    }
    const std::vector<double> lp = read_log_density(log_density(batch), m);
    result.evaluations += m;
    result.batched_calls += 1;

    for (int64_t r = 0; r < m; ++r) {
      const int64_t c = active[size_t(r)];
      Chain& ch = cs[size_t(c)];
      double* xc = x + c * d;
      double* wc = widths + c * d;
      const bool inside = lp[size_t(r)] >= ch.level;
      switch (ch.phase) {
        case Phase::StepLeft:
          if (inside) {
            ch.left -= ch.width;
            --ch.steps_left;
          } else {
            ch.phase = Phase::StepRight;
          }
          settle(ch);
          break;
        case Phase::StepRight:
          if (inside) {
            ch.right += ch.width;
            --ch.steps_right;
            settle(ch);
          } else {
            ch.phase = Phase::Shrink;
            draw_point(ch);
          }
          break;
        case Phase::Shrink: {
          double accepted_lp = lp[size_t(r)];
          if (!inside) {
            if (ch.point < ch.current) ch.left = ch.point;
            else ch.right = ch.point;
            if (++ch.shrinks < options.max_shrink) {
              draw_point(ch);
              break;
            }
            ch.point = ch.current;  // collapsed bracket: keep the current value
            accepted_lp = ch.log_p;
          }
          if (ch.sweep < tuning) wc[ch.coord] += ((ch.right - ch.left) - wc[ch.coord]) / double(ch.sweep + 1);
          xc[ch.coord] = ch.point;
          ch.log_p = accepted_lp;
          if (++ch.pos == d) {  // sweep complete
            const int64_t after_warmup = ch.sweep - options.warmup_sweeps;
            if (after_warmup >= 0 && after_warmup % options.thin == options.thin - 1) {
              std::copy(xc, xc + d, samples + (c * samples_per_chain + ch.kept) * d);
              kept_lp[c * samples_per_chain + ch.kept] = ch.log_p;
              ++ch.kept;
            }
            ++ch.sweep;
            if (ch.sweep == total_sweeps) {
              ch.phase = Phase::Done;
              break;
            }
            shuffle_order(ch, d);
          }
          begin_update(ch, xc, wc, options.max_step_out);
          break;
        }
        case Phase::Done:
          break;
      }
    }
  }
  return result;
}

}  // namespace amor::sbi::nle
