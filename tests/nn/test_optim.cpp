// Optimizers against reference trajectories (hand-computed numbers and an independent float64
// transcription of the torch.optim formulas), gradient clipping against hand computations,
// learning-rate schedules at chosen steps and early stopping.
//
// The problem: p ∈ R², loss(p) = Σ a·p² + b·p, so ∇ = 2·a·p + b; three steps from p = (1, −2).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <numbers>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/random.h"
#include "nn/clip.h"
#include "nn/early_stopping.h"
#include "nn/linear.h"
#include "nn/mlp.h"
#include "nn/optim.h"
#include "nn/schedule.h"

namespace amor::nn {
namespace {

const std::vector<double> kA = {0.5, 2.0}, kB = {0.3, -0.1}, kP0 = {1.0, -2.0};

Tensor make_param(DType dtype = DType::F64) {
  return from_vector<double>(kP0, Shape{2}).to(dtype).requires_grad_();
}

// loss through the autodiff engine, backward into p.grad.
void compute_grad(Tensor& p) {
  Tensor a = from_vector<double>(kA, Shape{2}).to(p.dtype()), b = from_vector<double>(kB, Shape{2}).to(p.dtype());
  (a * p * p + b * p).sum().backward();
}

std::vector<double> grad_at(const std::vector<double>& p) {
  return {2 * kA[0] * p[0] + kB[0], 2 * kA[1] * p[1] + kB[1]};
}

// Runs `steps` optimizer steps; returns the parameter after each.
template <class Opt>
std::vector<std::vector<double>> trajectory(Tensor p, Opt& opt, int steps) {
  std::vector<std::vector<double>> out;
  for (int s = 0; s < steps; ++s) {
    opt.zero_grad();
    compute_grad(p);
    opt.step();
    out.push_back(p.to_vector<double>());
  }
  return out;
}

// torch.optim.SGD, transcribed (dampening 0).
std::vector<std::vector<double>> sgd_reference(double lr, double mu, bool nesterov, double wd, int steps) {
  std::vector<double> p = kP0, buf(2, 0.0);
  std::vector<std::vector<double>> out;
  for (int t = 1; t <= steps; ++t) {
    std::vector<double> g = grad_at(p);
    for (int i = 0; i < 2; ++i) {
      double d = g[size_t(i)] + wd * p[size_t(i)];
      if (mu != 0) {
        buf[size_t(i)] = t == 1 ? d : mu * buf[size_t(i)] + d;
        d = nesterov ? d + mu * buf[size_t(i)] : buf[size_t(i)];
      }
      p[size_t(i)] -= lr * d;
    }
    out.push_back(p);
  }
  return out;
}

// torch.optim.Adam / AdamW, transcribed from the documented algorithm.
std::vector<std::vector<double>> adam_reference(double lr, double b1, double b2, double eps, double wd, bool decoupled,
                                                int steps) {
  std::vector<double> p = kP0, m(2, 0.0), v(2, 0.0);
  std::vector<std::vector<double>> out;
  for (int t = 1; t <= steps; ++t) {
    std::vector<double> g = grad_at(p);
    for (int i = 0; i < 2; ++i) {
      double gi = g[size_t(i)];
      if (decoupled) {
        p[size_t(i)] *= 1 - lr * wd;
      } else {
        gi += wd * p[size_t(i)];
      }
      m[size_t(i)] = b1 * m[size_t(i)] + (1 - b1) * gi;
      v[size_t(i)] = b2 * v[size_t(i)] + (1 - b2) * gi * gi;
      const double mhat = m[size_t(i)] / (1 - std::pow(b1, t));
      const double vhat = v[size_t(i)] / (1 - std::pow(b2, t));
      p[size_t(i)] -= lr * mhat / (std::sqrt(vhat) + eps);
    }
    out.push_back(p);
  }
  return out;
}

void expect_trajectory(const std::vector<std::vector<double>>& got, const std::vector<std::vector<double>>& want,
                       double tol = 1e-12) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t s = 0; s < got.size(); ++s)
    for (size_t i = 0; i < 2; ++i) EXPECT_NEAR(got[s][i], want[s][i], tol) << "step " << s + 1 << " element " << i;
}

TEST(Optim, SgdPlainHandComputed) {
  // g = (p0 + 0.3, 4 p1 − 0.1), lr 0.1:
  //   (1, −2) -> (0.87, −1.19) -> (0.753, −0.704) -> (0.6477, −0.4124)
  Tensor p = make_param();
  SGD opt({p}, 0.1);
  auto got = trajectory(p, opt, 3);
  expect_trajectory(got, {{0.87, -1.19}, {0.753, -0.704}, {0.6477, -0.4124}});
  expect_trajectory(got, sgd_reference(0.1, 0, false, 0, 3));
  EXPECT_EQ(opt.steps_taken(), 3);
}

TEST(Optim, SgdMomentumHandComputed) {
  // lr 0.1, momentum 0.9. Step 1: buf = g0 = (1.3, −8.1), p = (0.87, −1.19).
  // Step 2: g = (1.17, −4.86), buf = 0.9·(1.3, −8.1) + g = (2.34, −12.15), p = (0.636, 0.025).
  Tensor p = make_param();
  SGD opt({p}, 0.1, {.momentum = 0.9});
  auto got = trajectory(p, opt, 3);
  EXPECT_NEAR(got[0][0], 0.87, 1e-14);
  EXPECT_NEAR(got[0][1], -1.19, 1e-14);
  EXPECT_NEAR(got[1][0], 0.636, 1e-14);
  EXPECT_NEAR(got[1][1], 0.025, 1e-14);
  expect_trajectory(got, sgd_reference(0.1, 0.9, false, 0, 3));
}

TEST(Optim, SgdNesterovAndWeightDecay) {
  {
    Tensor p = make_param();
    SGD opt({p}, 0.05, {.momentum = 0.8, .nesterov = true});
    expect_trajectory(trajectory(p, opt, 3), sgd_reference(0.05, 0.8, true, 0, 3));
  }
  {
    // Weight decay alone: step 1 gradient (1.3 + 0.1, −8.1 − 0.2) -> p = (0.86, −1.17).
    Tensor p = make_param();
    SGD opt({p}, 0.1, {.weight_decay = 0.1});
    auto got = trajectory(p, opt, 3);
    EXPECT_NEAR(got[0][0], 0.86, 1e-14);
    EXPECT_NEAR(got[0][1], -1.17, 1e-14);
    expect_trajectory(got, sgd_reference(0.1, 0, false, 0.1, 3));
  }
  {
    Tensor p = make_param();
    SGD opt({p}, 0.07, {.momentum = 0.5, .nesterov = true, .weight_decay = 0.03});
    expect_trajectory(trajectory(p, opt, 3), sgd_reference(0.07, 0.5, true, 0.03, 3));
  }
  EXPECT_THROW(SGD({make_param()}, 0.1, {.nesterov = true}), ValueError);
}

TEST(Optim, AdamFirstStepIsSignedLr) {
  // Bias correction makes step 1 exactly lr·g/(|g| + eps).
  Tensor p = make_param();
  Adam opt({p}, 0.1);
  opt.zero_grad();
  compute_grad(p);
  opt.step();
  auto v = p.to_vector<double>();
  EXPECT_NEAR(v[0], 1.0 - 0.1 * 1.3 / (1.3 + 1e-8), 1e-15);
  EXPECT_NEAR(v[1], -2.0 + 0.1 * 8.1 / (8.1 + 1e-8), 1e-15);
}

TEST(Optim, AdamAgainstReference) {
  {
    Tensor p = make_param();
    Adam opt({p}, 0.1);
    expect_trajectory(trajectory(p, opt, 3), adam_reference(0.1, 0.9, 0.999, 1e-8, 0, false, 3));
  }
  {
    Tensor p = make_param();
    Adam opt({p}, 0.05, {.beta1 = 0.8, .beta2 = 0.99, .eps = 1e-3});
    expect_trajectory(trajectory(p, opt, 3), adam_reference(0.05, 0.8, 0.99, 1e-3, 0, false, 3));
  }
  {
    // L2 weight decay (added to the gradient, torch.optim.Adam's weight_decay).
    Tensor p = make_param();
    Adam opt({p}, 0.1, {.weight_decay = 0.5});
    expect_trajectory(trajectory(p, opt, 3), adam_reference(0.1, 0.9, 0.999, 1e-8, 0.5, false, 3));
  }
}

TEST(Optim, AdamWAgainstReference) {
  {
    Tensor p = make_param();
    AdamW opt({p}, 0.1);  // default weight decay 0.01
    EXPECT_EQ(opt.options().weight_decay, 0.01);
    EXPECT_TRUE(opt.options().decoupled_weight_decay);
    expect_trajectory(trajectory(p, opt, 3), adam_reference(0.1, 0.9, 0.999, 1e-8, 0.01, true, 3));
  }
  {
    Tensor p = make_param();
    AdamW opt({p}, 0.2, 0.3, {.beta1 = 0.5, .beta2 = 0.9});
    auto got = trajectory(p, opt, 3);
    expect_trajectory(got, adam_reference(0.2, 0.5, 0.9, 1e-8, 0.3, true, 3));
    // Decoupled decay differs from L2 decay.
    auto l2 = adam_reference(0.2, 0.5, 0.9, 1e-8, 0.3, false, 3);
    EXPECT_GT(std::abs(got[2][0] - l2[2][0]), 1e-4);
  }
}

TEST(Optim, Float32FollowsTheSameFormulas) {
  Tensor p = make_param(DType::F32);
  Adam opt({p}, 0.1);
  auto got = trajectory(p, opt, 3);
  // A few float32 ulps of |p| <= 2. (Computing 1 − β₂ in float32 from 0.999f, as amor once did,
  // puts the trajectory 2e-6 off.)
  expect_trajectory(got, adam_reference(0.1, 0.9, 0.999, 1e-8, 0, false, 3), 3e-7);
  Tensor q = make_param(DType::F32);
  SGD sgd({q}, 0.1, {.momentum = 0.9, .nesterov = true});
  expect_trajectory(trajectory(q, sgd, 3), sgd_reference(0.1, 0.9, true, 0, 3), 3e-7);
}

TEST(Optim, ParametersWithoutGradAreSkippedAndLrSettable) {
  Tensor p = make_param(), unused = make_param();
  Adam opt({p, unused}, 0.1);
  compute_grad(p);
  opt.step();
  EXPECT_EQ(unused.to_vector<double>(), kP0);
  EXPECT_NE(p.to_vector<double>(), kP0);
  opt.set_lr(0.0);
  auto before = p.to_vector<double>();
  opt.zero_grad();
  EXPECT_FALSE(p.grad().defined());
  compute_grad(p);
  opt.step();
  EXPECT_EQ(p.to_vector<double>(), before);  // lr 0: no move
  EXPECT_THROW(opt.set_lr(-1.0), ValueError);
  EXPECT_THROW(opt.set_lr(std::numeric_limits<double>::quiet_NaN()), ValueError);
  Tensor not_leaf = make_param() * 2.0;
  EXPECT_THROW(SGD({not_leaf}, 0.1), ValueError);
  EXPECT_THROW(SGD({from_vector<double>(kP0, Shape{2})}, 0.1), ValueError);  // no requires_grad
}

TEST(Optim, OptimizerDrivesModuleParameters) {
  // The optimizer updates the module's own tensors (the handles the layers read).
  Generator gen(1);
  Linear lin(3, 1, gen, {.dtype = DType::F64});
  SGD opt(lin.parameters(), 0.1);
  auto w0 = lin.weight.to_vector<double>();
  Tensor x = ones(Shape{2, 3}, {.dtype = DType::F64});
  lin.forward(x).sum().backward();
  opt.step();
  auto w1 = lin.weight.to_vector<double>();
  for (size_t i = 0; i < 3; ++i) EXPECT_NEAR(w1[i], w0[i] - 0.1 * 2.0, 1e-15);
  EXPECT_TRUE(lin.weight.is_leaf());
  EXPECT_TRUE(lin.weight.requires_grad());
}

// ---- clipping ---------------------------------------------------------------------------------

Tensor param_with_grad(const std::vector<double>& w, const Shape& shape, const std::vector<double>& g) {
  Tensor p = from_vector<double>(w, shape).requires_grad_();
  p.set_grad(from_vector<double>(g, shape));
  return p;
}

TEST(Clip, GradNormScalesGlobally) {
  // ‖(3, 4, 12)‖ = 13.
  Tensor a = param_with_grad({0, 0}, Shape{2}, {3, 4});
  Tensor b = param_with_grad({0}, Shape{1}, {12});
  Tensor no_grad = from_vector<double>({1, 2}, Shape{2}).requires_grad_();
  EXPECT_DOUBLE_EQ(clip_grad_norm({a, b, no_grad}, 6.5), 13.0);
  const double s = 6.5 / (13.0 + 1e-6);  // torch's clip_coef
  auto ga = a.grad().to_vector<double>(), gb = b.grad().to_vector<double>();
  EXPECT_NEAR(ga[0], 3 * s, 1e-15);
  EXPECT_NEAR(ga[1], 4 * s, 1e-15);
  EXPECT_NEAR(gb[0], 12 * s, 1e-15);
  EXPECT_FALSE(no_grad.grad().defined());
  // Now below the limit: returned norm ≈ 6.5, gradients untouched.
  EXPECT_NEAR(clip_grad_norm({a, b}, 100.0), 13 * s, 1e-12);
  EXPECT_NEAR(a.grad().to_vector<double>()[0], 3 * s, 1e-15);
  EXPECT_THROW(clip_grad_norm({a}, 0.0), ValueError);
}

TEST(Clip, GradNormFloat32AndNonContiguousGrad) {
  Tensor p = zeros(Shape{2, 2}, {.requires_grad = true});
  // A transposed gradient: clipping must act on the gradient values, whatever their layout.
  p.set_grad(from_vector<float>({1, 2, 3, 4}, Shape{2, 2}).t());
  const double norm = clip_grad_norm({p}, 1.0);
  EXPECT_NEAR(norm, std::sqrt(30.0), 1e-6);
  auto g = p.grad().to_vector<float>();  // row-major of the transposed values: 1, 3, 2, 4
  const double s = 1.0 / (std::sqrt(30.0) + 1e-6);
  EXPECT_NEAR(g[0], 1 * s, 1e-6);
  EXPECT_NEAR(g[1], 3 * s, 1e-6);
  EXPECT_NEAR(g[2], 2 * s, 1e-6);
  EXPECT_NEAR(g[3], 4 * s, 1e-6);
}

TEST(Clip, AdaptiveClipPerRowAndWholeVector) {
  // Weight [3, 3], clipping 0.5, eps 1e-3:
  //   row 0: ‖w‖ = 3, ‖g‖ = 5 > 1.5 -> g·(1.5 / 5)
  //   row 1: ‖w‖ = 0 -> limit max(0, eps)·0.5 = 5e-4; ‖g‖ = 1e-4 -> unchanged
  //   row 2: ‖w‖ = 5, ‖g‖ = 2 <= 2.5 -> unchanged
  Tensor w = param_with_grad({1, 2, 2, 0, 0, 0, 3, 0, 4}, Shape{3, 3}, {0, 3, 4, 1e-4, 0, 0, 2, 0, 0});
  // Bias (a vector, one unit): ‖w‖ = 5, ‖g‖ = 10 > 2.5 -> g·0.25.
  Tensor b = param_with_grad({3, 4}, Shape{2}, {6, 8});
  // Row 1 of a second weight: zero weights but a large gradient -> clipped to eps·clipping.
  Tensor z = param_with_grad({0, 0}, Shape{1, 2}, {3, 4});
  adaptive_clip_grad({w, b, z}, 0.5);
  auto gw = w.grad().to_vector<double>();
  const std::vector<double> want_w = {0, 3 * 0.3, 4 * 0.3, 1e-4, 0, 0, 2, 0, 0};
  for (size_t i = 0; i < 9; ++i) EXPECT_NEAR(gw[i], want_w[i], 1e-15) << i;
  auto gb = b.grad().to_vector<double>();
  EXPECT_NEAR(gb[0], 1.5, 1e-15);
  EXPECT_NEAR(gb[1], 2.0, 1e-15);
  auto gz = z.grad().to_vector<double>();
  EXPECT_NEAR(gz[0], 3 * 5e-4 / 5, 1e-15);
  EXPECT_NEAR(gz[1], 4 * 5e-4 / 5, 1e-15);
  // Clipped rows now sit exactly on their limit.
  EXPECT_NEAR(std::hypot(gw[1], gw[2]), 1.5, 1e-14);
}

TEST(Clip, AdaptiveClipAgainstHandLoopOnRandomWeights) {
  Generator gen(3);
  Tensor w = randn(Shape{6, 5}, gen, {.dtype = DType::F64}).requires_grad_();
  Tensor g = randn(Shape{6, 5}, gen, {.dtype = DType::F64}) * 3.0;
  w.set_grad(g.clone());
  const double clip = 0.4, eps = 1e-3;
  adaptive_clip_grad({w}, clip, eps);
  auto wv = w.to_vector<double>(), gv = g.to_vector<double>(), got = w.grad().to_vector<double>();
  int clipped = 0;
  for (int r = 0; r < 6; ++r) {
    double wn = 0, gn = 0;
    for (int c = 0; c < 5; ++c) {
      wn += wv[size_t(r * 5 + c)] * wv[size_t(r * 5 + c)];
      gn += gv[size_t(r * 5 + c)] * gv[size_t(r * 5 + c)];
    }
    const double limit = std::max(std::sqrt(wn), eps) * clip;
    const double s = std::sqrt(gn) > limit ? limit / std::sqrt(gn) : 1.0;
    clipped += s < 1;
    for (int c = 0; c < 5; ++c) EXPECT_NEAR(got[size_t(r * 5 + c)], gv[size_t(r * 5 + c)] * s, 1e-14);
  }
  EXPECT_GT(clipped, 0);
}

// ---- schedules --------------------------------------------------------------------------------

TEST(Schedule, PiecesAtChosenSteps) {
  auto c = constant(0.5);
  EXPECT_EQ(c(0), 0.5);
  EXPECT_EQ(c(123456), 0.5);

  auto lin = linear(1.0, 0.0, 10);
  EXPECT_EQ(lin(0), 1.0);  // endpoints exact
  EXPECT_DOUBLE_EQ(lin(3), 0.7);
  EXPECT_DOUBLE_EQ(lin(5), 0.5);
  EXPECT_EQ(lin(10), 0.0);
  EXPECT_EQ(lin(50), 0.0);  // held

  auto cs = cosine(1.0, 0.1, 10);
  EXPECT_EQ(cs(0), 1.0);
  EXPECT_DOUBLE_EQ(cs(5), 0.55);
  EXPECT_NEAR(cs(2), 0.1 + 0.9 * 0.5 * (1 + std::cos(std::numbers::pi * 0.2)), 1e-15);
  EXPECT_EQ(cs(10), 0.1);
  EXPECT_EQ(cs(11), 0.1);

  auto w = warmup(4);
  EXPECT_DOUBLE_EQ(w(0), 0.25);
  EXPECT_DOUBLE_EQ(w(1), 0.5);
  EXPECT_DOUBLE_EQ(w(3), 1.0);
  EXPECT_DOUBLE_EQ(w(4), 1.0);
  EXPECT_DOUBLE_EQ(w(100), 1.0);

  auto cs2 = cosine(3e-4, 7e-6, 1000);
  EXPECT_EQ(cs2(0), 3e-4);
  EXPECT_EQ(cs2(1000), 7e-6);
  EXPECT_EQ(linear(3e-4, 7e-6, 30)(30), 7e-6);

  EXPECT_THROW(linear(1, 0, 0), ValueError);
  EXPECT_THROW(cosine(1, 0, -1), ValueError);
  EXPECT_THROW(warmup(0), ValueError);
}

TEST(Schedule, ThenAndProduct) {
  // The Simformer recipe: constant, then a linear decay restarted at the boundary.
  auto s = constant(1e-3).then(linear(1e-3, 1e-6, 100), 50);
  EXPECT_EQ(s(0), 1e-3);
  EXPECT_EQ(s(49), 1e-3);
  EXPECT_EQ(s(50), 1e-3);
  EXPECT_DOUBLE_EQ(s(100), 1e-3 + (1e-6 - 1e-3) * 0.5);
  EXPECT_EQ(s(150), 1e-6);  // held at `to`, exactly
  EXPECT_EQ(s(10000), 1e-6);

  auto chained = constant(3.0).then(constant(2.0), 2).then(constant(1.0), 5);
  EXPECT_EQ(chained(1), 3.0);
  EXPECT_EQ(chained(2), 2.0);
  EXPECT_EQ(chained(4), 2.0);
  EXPECT_EQ(chained(5), 1.0);

  auto prod = warmup(10) * cosine(3e-4, 0.0, 100);
  EXPECT_DOUBLE_EQ(prod(0), 0.1 * 3e-4);
  EXPECT_DOUBLE_EQ(prod(4), 0.5 * 3e-4 * 0.5 * (1 + std::cos(std::numbers::pi * 0.04)));
  EXPECT_DOUBLE_EQ(prod(50), 1.5e-4);
  EXPECT_DOUBLE_EQ(prod(100), 0.0);
  EXPECT_THROW(constant(1).then(constant(2), -1), ValueError);

  // Driving an optimizer from a schedule.
  Tensor p = make_param();
  SGD opt({p}, 1.0);
  for (int64_t step = 0; step < 3; ++step) opt.set_lr(prod(step));
  EXPECT_DOUBLE_EQ(opt.lr(), prod(2));
}

// ---- early stopping ---------------------------------------------------------------------------

TEST(EarlyStopping, PatienceAndBest) {
  Generator gen(0);
  Linear m(2, 1, gen);
  EarlyStopping es(3);
  EXPECT_FALSE(es.has_best());
  EXPECT_FALSE(es.update(1.0, m));
  EXPECT_FALSE(es.update(0.5, m));  // improves
  EXPECT_FALSE(es.update(0.6, m));  // 1 without improvement
  EXPECT_FALSE(es.update(0.5, m));  // 2 (equal is not better)
  EXPECT_FALSE(es.update(0.4, m));  // improves: counter resets
  EXPECT_EQ(es.best_evaluation(), 4);
  EXPECT_FALSE(es.update(0.9, m));
  EXPECT_FALSE(es.update(0.9, m));
  EXPECT_TRUE(es.update(0.9, m));   // 3 without improvement
  EXPECT_EQ(es.best_loss(), 0.4);
  EXPECT_EQ(es.evaluations(), 8);
  EXPECT_THROW(EarlyStopping(0), ValueError);
}

TEST(EarlyStopping, MinDelta) {
  Generator gen(0);
  Linear m(2, 1, gen);
  EarlyStopping es(2, 0.1);
  EXPECT_FALSE(es.update(1.0, m));
  EXPECT_FALSE(es.update(0.95, m));  // not better by more than 0.1
  EXPECT_TRUE(es.update(0.91, m));
  EXPECT_EQ(es.best_loss(), 1.0);
  EXPECT_EQ(es.best_evaluation(), 0);
}

TEST(EarlyStopping, NanAndInfNeverImprove) {
  Generator gen(0);
  Linear m(2, 1, gen);
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  EarlyStopping es(2);
  EXPECT_FALSE(es.update(nan, m));
  EXPECT_FALSE(es.has_best());
  EXPECT_THROW(es.restore_best(m), ValueError);
  EXPECT_TRUE(es.update(inf, m));
  EarlyStopping es2(2);
  EXPECT_FALSE(es2.update(2.0, m));
  EXPECT_FALSE(es2.update(nan, m));
  EXPECT_TRUE(es2.update(-inf, m));
  EXPECT_EQ(es2.best_loss(), 2.0);
}

TEST(EarlyStopping, RestoreBestRestoresValues) {
  Generator gen(1);
  MLP mlp({2, 4, 1}, gen, {.activation = Act::Tanh});
  Tensor x = randn(Shape{8, 2}, gen);
  Adam opt(mlp.parameters(), 0.1);
  auto snapshot = [&] {
    std::vector<std::vector<float>> out;
    for (const Tensor& p : mlp.parameters()) out.push_back(p.to_vector<float>());
    return out;
  };
  auto step = [&] {
    opt.zero_grad();
    square(mlp.forward(x)).mean().backward();
    opt.step();
  };
  std::vector<Tensor> handles = mlp.parameters();
  EarlyStopping es(5);
  es.update(1.0, mlp);
  step();
  es.update(0.2, mlp);  // the best
  auto best = snapshot();
  step();
  es.update(0.3, mlp);
  step();
  es.update(std::numeric_limits<double>::quiet_NaN(), mlp);
  ASSERT_NE(snapshot(), best);  // training moved on, and the stored copy did not follow
  es.restore_best(mlp);
  EXPECT_EQ(snapshot(), best);
  EXPECT_EQ(es.best_evaluation(), 1);
  // Restored in place: same handles, still trainable leaves.
  auto after = mlp.parameters();
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].impl(), handles[i].impl());
    EXPECT_TRUE(after[i].is_leaf());
    EXPECT_TRUE(after[i].requires_grad());
  }
  step();  // and training continues from there
}

}  // namespace
}  // namespace amor::nn
