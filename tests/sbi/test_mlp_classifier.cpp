// MlpClassifier against (1) scikit-learn's MLPClassifier on a tiny problem (known answers
// printed by sklearn 1.9.1), and (2) a reference built on amor's autodiff: nn::MLP for the
// forward pass, Tensor::backward for the gradients and a plainly coded sklearn-Adam step.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <numeric>
#include <vector>

#include "core/error.h"
#include "core/node.h"
#include "core/ops.h"
#include "nn/mlp.h"
#include "sbi/diagnostics/mlp_classifier.h"

namespace amor::sbi {
namespace {

// x_i = (sin 1.3i, cos 0.7i), y_i = [x0 + x1/2 > 0.1] with every 7th label flipped: the data
// the sklearn known answers below were computed on.
struct TinyData {
  std::vector<double> x;  // [24, 2]
  std::vector<uint8_t> y;
};
TinyData tiny_data() {
  TinyData t;
  for (int i = 0; i < 24; ++i) {
    const double a = std::sin(1.3 * i), b = std::cos(0.7 * i);
    t.x.push_back(a);
    t.x.push_back(b);
    uint8_t label = (a + 0.5 * b) > 0.1;
    if (i % 7 == 0) label = 1 - label;
    t.y.push_back(label);
  }
  return t;
}

void expect_close(const std::vector<double>& got, const std::vector<double>& want, double rel,
                  const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], rel * std::max(1.0, std::fabs(want[i]))) << what << "[" << i << "]";
}

MlpClassifierOptions tiny_options() {
  MlpClassifierOptions o;  // MLPClassifier(hidden_layer_sizes=(4, 3), random_state=3,
  o.hidden_layer_sizes = {4, 3};  //             max_iter=7, batch_size=5)
  o.random_state = 3;
  o.max_iter = 7;
  o.batch_size = 5;
  return o;
}

TEST(MlpClassifier, MatchesSklearnFloat64) {
  const TinyData t = tiny_data();
  MlpClassifier<double> clf(tiny_options());
  clf.fit(t.x.data(), t.y.data(), 24, 2);
  // Same initial weights, same mini-batches, same float64 arithmetic up to summation order:
  // agreement to ~1e-15 per step; 1e-11 after 35 Adam steps leaves margin and would catch any
  // difference in the algorithm (those show at 1e-3 or more).
  EXPECT_EQ(clf.n_iter(), 7);
  expect_close(clf.loss_curve(),
               {0.875388088286552, 0.871670824416361, 0.8677130775727364, 0.8640379963105644,
                0.859502329992751, 0.8547861191292, 0.8508384119845201},
               1e-11, "loss_curve");
  std::vector<double> p(4);
  clf.predict_proba(t.x.data(), 4, p.data());
  expect_close(p, {0.7278637361497718, 0.7218233413753772, 0.7166516995251431, 0.696958340430806},
               1e-11, "predict_proba");
  expect_close(clf.parameters().coefs[0],
               {0.06938583225334805, 0.4447410576490707, -0.39478548885708037,
                0.003193202446451755, 0.7512634857512205, 0.7707281330294905,
                -0.7257180863376198, -0.6142398017491261},
               1e-11, "coefs_[0]");
  expect_close(clf.parameters().intercepts[2], {1.1392960305690418}, 1e-11, "intercepts_[2]");
}

TEST(MlpClassifier, MatchesSklearnFloat32) {
  // sklearn keeps float32 input in float32; amor's float32 path must follow it. float32 steps
  // round at ~6e-8; 1e-5 relative after 35 steps still separates any algorithmic difference.
  const TinyData t = tiny_data();
  std::vector<float> x(t.x.begin(), t.x.end());
  MlpClassifier<float> clf(tiny_options());
  clf.fit(x.data(), t.y.data(), 24, 2);
  EXPECT_EQ(clf.n_iter(), 7);
  expect_close(clf.loss_curve(),
               {0.8753880885137306, 0.8716708441737814, 0.8677130435301817, 0.8640379719539651,
                0.859502306234654, 0.8547860830988473, 0.8508383616480254},
               1e-5, "loss_curve");
  std::vector<float> p(4);
  clf.predict_proba(x.data(), 4, p.data());
  expect_close(std::vector<double>(p.begin(), p.end()),
               {0.7278636693954468, 0.7218232750892639, 0.7166516184806824, 0.6969583034515381},
               1e-5, "predict_proba");
}

TEST(MlpClassifier, StopsLikeSklearn) {
  // MLPClassifier(hidden_layer_sizes=(5,), random_state=11, n_iter_no_change=3, tol=1e-3,
  // alpha=0.01): stops after 5 epochs (counter > 3), final loss as printed by sklearn.
  const TinyData t = tiny_data();
  MlpClassifierOptions o;
  o.hidden_layer_sizes = {5};
  o.random_state = 11;
  o.max_iter = 10000;
  o.n_iter_no_change = 3;
  o.tol = 1e-3;
  o.alpha = 0.01;
  MlpClassifier<double> clf(o);
  clf.fit(t.x.data(), t.y.data(), 24, 2);
  EXPECT_EQ(clf.n_iter(), 5);
  EXPECT_NEAR(clf.loss_curve().back(), 0.6936834847837541, 1e-12);
}

// ---- the autodiff reference ----------------------------------------------------------------

// nn::MLP holding the same weights (sklearn's coef is [in, out]; Linear's weight is [out, in]).
struct AutodiffMlp {
  std::shared_ptr<nn::MLP> mlp;
  std::vector<Tensor> weights, biases;

  explicit AutodiffMlp(const std::vector<int64_t>& widths) {
    Generator gen(0);
    mlp = std::make_shared<nn::MLP>(widths, gen, nn::MLPOptions{.activation = nn::Act::Relu,
                                                                 .dtype = DType::F64});
    for (size_t l = 0; l + 1 < widths.size(); ++l) {
      weights.push_back(*mlp->find_state("layers." + std::to_string(l) + ".weight"));
      biases.push_back(*mlp->find_state("layers." + std::to_string(l) + ".bias"));
    }
  }
  void load(const MlpParameters<double>& p) {
    NoGradGuard guard;
    for (size_t l = 0; l < weights.size(); ++l) {
      const int64_t in = p.widths[l], out = p.widths[l + 1];
      weights[l].copy_(from_vector(p.coefs[l], Shape{in, out}).t());
      biases[l].copy_(from_vector(p.intercepts[l], Shape{out}));
    }
  }
  // sklearn's loss on a batch; fills .grad of every parameter (in sklearn's layout: grad).
  double loss_and_grad(const std::vector<double>& x, const std::vector<uint8_t>& y, int64_t d,
                       double alpha, MlpParameters<double>& grad) {
    const int64_t n = int64_t(y.size());
    mlp->zero_grad();
    std::vector<double> yd(y.begin(), y.end());
    const Tensor z = mlp->forward(from_vector(x, Shape{n, d}));  // [n, 1]
    const Tensor target = from_vector(yd, Shape{n, 1});
    // -mean(y log σ(z) + (1 - y) log σ(-z)); the tiny problem keeps p far from the clip.
    Tensor loss = -mean(target * logsigmoid(z) + (1.0 - target) * logsigmoid(-z));
    Tensor squares = scalar(0.0, DType::F64);
    for (const Tensor& w : weights) squares = squares + sum(square(w));
    loss = loss + squares * (0.5 * alpha / double(n));
    loss.backward();
    grad.widths = mlp->widths();
    grad.coefs.clear();
    grad.intercepts.clear();
    for (size_t l = 0; l < weights.size(); ++l) {
      grad.coefs.push_back(weights[l].grad().t().contiguous().to_vector<double>());
      grad.intercepts.push_back(biases[l].grad().to_vector<double>());
    }
    return loss.item<double>();
  }
};

TEST(MlpClassifier, BackpropMatchesAutodiff) {
  const TinyData t = tiny_data();
  const std::vector<int64_t> widths{2, 6, 5, 1};
  NumpyRandomState rs(5);
  const MlpParameters<double> params = MlpParameters<double>::glorot_uniform(widths, rs);
  const double alpha = 0.05;  // large enough that a wrong L2 term would show
  MlpParameters<double> fast_grad;
  MlpWorkspace<double> ws;
  const double fast_loss = mlp_backprop(params, t.x.data(), t.y.data(), 24, alpha, fast_grad, ws);

  AutodiffMlp ref(widths);
  ref.load(params);
  MlpParameters<double> ref_grad;
  const double ref_loss = ref.loss_and_grad(t.x, t.y, 2, alpha, ref_grad);
  // Both are float64 evaluations of the same expression: agreement to rounding (1e-13).
  EXPECT_NEAR(fast_loss, ref_loss, 1e-13);
  for (size_t l = 0; l + 1 < widths.size(); ++l) {
    expect_close(fast_grad.coefs[l], ref_grad.coefs[l], 1e-13, "dW");
    expect_close(fast_grad.intercepts[l], ref_grad.intercepts[l], 1e-13, "db");
  }
}

TEST(MlpClassifier, TrainingMatchesAutodiffReference) {
  // Three epochs of MlpClassifier<double> against: the same numpy streams, autodiff gradients,
  // and sklearn's Adam written out plainly. Batch 7 leaves a short last batch (24 = 3·7 + 3).
  const TinyData t = tiny_data();
  MlpClassifierOptions o;
  o.hidden_layer_sizes = {6, 5};
  o.random_state = 9;
  o.max_iter = 3;
  o.batch_size = 7;
  o.alpha = 0.01;
  MlpClassifier<double> clf(o);
  clf.fit(t.x.data(), t.y.data(), 24, 2);

  const std::vector<int64_t> widths{2, 6, 5, 1};
  NumpyRandomState rs(o.random_state);
  MlpParameters<double> p = MlpParameters<double>::glorot_uniform(widths, rs);
  MlpParameters<double> m = p, v = p;
  for (auto* s : {&m, &v})
    for (size_t l = 0; l < 3; ++l) {
      std::fill(s->coefs[l].begin(), s->coefs[l].end(), 0.0);
      std::fill(s->intercepts[l].begin(), s->intercepts[l].end(), 0.0);
    }
  AutodiffMlp ref(widths);
  std::vector<int64_t> idx(24);
  std::iota(idx.begin(), idx.end(), int64_t(0));
  int step = 0;
  std::vector<double> losses;
  for (int epoch = 0; epoch < 3; ++epoch) {
    rs.shuffle(idx.data(), 24);
    double total = 0.0;
    for (int64_t start = 0; start < 24; start += 7) {
      const int64_t len = std::min<int64_t>(7, 24 - start);
      std::vector<double> xb;
      std::vector<uint8_t> yb;
      for (int64_t j = 0; j < len; ++j) {
        const int64_t r = idx[size_t(start + j)];
        xb.insert(xb.end(), {t.x[size_t(2 * r)], t.x[size_t(2 * r + 1)]});
        yb.push_back(t.y[size_t(r)]);
      }
      ref.load(p);
      MlpParameters<double> g;
      total += ref.loss_and_grad(xb, yb, 2, o.alpha, g) * double(len);
      ++step;
      const double lr_t = 1e-3 * std::sqrt(1 - std::pow(0.999, step)) / (1 - std::pow(0.9, step));
      auto adam = [&](std::vector<double>& w, std::vector<double>& mm, std::vector<double>& vv,
                      const std::vector<double>& gg) {
        for (size_t k = 0; k < w.size(); ++k) {
          mm[k] = 0.9 * mm[k] + 0.1 * gg[k];
          vv[k] = 0.999 * vv[k] + 0.001 * gg[k] * gg[k];
          w[k] -= lr_t * mm[k] / (std::sqrt(vv[k]) + 1e-8);
        }
      };
      for (size_t l = 0; l < 3; ++l) {
        adam(p.coefs[l], m.coefs[l], v.coefs[l], g.coefs[l]);
        adam(p.intercepts[l], m.intercepts[l], v.intercepts[l], g.intercepts[l]);
      }
    }
    losses.push_back(total / 24.0);
  }
  expect_close(clf.loss_curve(), losses, 1e-12, "loss_curve");
  for (size_t l = 0; l < 3; ++l) {
    expect_close(clf.parameters().coefs[l], p.coefs[l], 1e-12, "coefs");
    expect_close(clf.parameters().intercepts[l], p.intercepts[l], 1e-12, "intercepts");
  }
}

TEST(MlpClassifier, Float32BackpropTracksFloat64) {
  // The float32 instantiation computes the same gradients to float32 rounding (widths of 40
  // keep the GEMM kernel's vector path and its padded tail in use).
  const std::vector<int64_t> widths{3, 40, 40, 1};
  NumpyRandomState rs(2);
  const MlpParameters<double> p64 = MlpParameters<double>::glorot_uniform(widths, rs);
  MlpParameters<float> p32;
  p32.widths = widths;
  for (size_t l = 0; l < 3; ++l) {
    p32.coefs.emplace_back(p64.coefs[l].begin(), p64.coefs[l].end());
    p32.intercepts.emplace_back(p64.intercepts[l].begin(), p64.intercepts[l].end());
  }
  std::vector<double> x64;
  std::vector<uint8_t> y;
  for (int i = 0; i < 50; ++i) {
    for (int k = 0; k < 3; ++k) x64.push_back(std::sin(0.37 * i * (k + 1) + k));
    y.push_back(uint8_t(i % 3 == 0));
  }
  std::vector<float> x32(x64.begin(), x64.end());
  MlpParameters<double> g64;
  MlpParameters<float> g32;
  MlpWorkspace<double> w64;
  MlpWorkspace<float> w32;
  const double l64 = mlp_backprop(p64, x64.data(), y.data(), 50, 1e-4, g64, w64);
  const double l32 = mlp_backprop(p32, x32.data(), y.data(), 50, 1e-4, g32, w32);
  EXPECT_NEAR(l32, l64, 1e-5);
  for (size_t l = 0; l < 3; ++l)
    for (size_t k = 0; k < g64.coefs[l].size(); ++k)
      EXPECT_NEAR(g32.coefs[l][k], g64.coefs[l][k], 1e-5) << "layer " << l << " entry " << k;
}

TEST(MlpClassifier, RejectsBadInput) {
  MlpClassifier<double> clf;
  std::vector<double> x{0.0, 1.0, 2.0, 3.0};
  std::vector<uint8_t> bad_label{0, 2};
  EXPECT_THROW(clf.fit(x.data(), bad_label.data(), 2, 2), ValueError);
  std::vector<uint8_t> y{0, 1};
  x[1] = std::nan("");
  EXPECT_THROW(clf.fit(x.data(), y.data(), 2, 2), ValueError);
  EXPECT_THROW(clf.fit(x.data(), y.data(), 0, 2), ValueError);
  EXPECT_THROW(MlpClassifier<double>(MlpClassifierOptions{.hidden_layer_sizes = {0}}), ValueError);
  std::vector<double> p(2);
  EXPECT_THROW(clf.predict_proba(x.data(), 2, p.data()), ValueError);  // not fitted
}

}  // namespace
}  // namespace amor::sbi
