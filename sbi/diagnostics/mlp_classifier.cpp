#include "sbi/diagnostics/mlp_classifier.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/error.h"
#include "kernels/cpu/gemm.h"

namespace amor::sbi {

namespace {

using kernels::cpu::gemm_small;

template <class T>
T sigmoid(T z) {
  return T(1) / (T(1) + std::exp(-z));
}

// out[n, fan_out] = in[n, fan_in] · W[fan_in, fan_out] + b, then ReLU (hidden) or the logistic
// function (output layer). A single output column is a plain dot product per row: the GEMM
// kernel would pad it to a whole SIMD vector.
template <class T>
void dense_forward(const T* in, int64_t n, int64_t fan_in, int64_t fan_out, const T* W,
                   const T* b, bool output_layer, T* out) {
  if (fan_out == 1) {
    for (int64_t i = 0; i < n; ++i) {
      const T* a = in + i * fan_in;
      T z = T(0);
      for (int64_t k = 0; k < fan_in; ++k) z += a[k] * W[k];
      out[i] = z + b[0];
    }
  } else {
    gemm_small<T>(false, false, n, fan_out, fan_in, T(1), in, fan_in, W, fan_out, T(0), out,
                  fan_out);
    for (int64_t i = 0; i < n; ++i) {
      T* o = out + i * fan_out;
      for (int64_t j = 0; j < fan_out; ++j) o[j] += b[j];
    }
  }
  T* end = out + n * fan_out;
  if (output_layer) {
    for (T* o = out; o != end; ++o) *o = sigmoid(*o);
  } else {
    for (T* o = out; o != end; ++o) *o = *o > T(0) ? *o : T(0);
  }
}

template <class T>
void check_widths(const std::vector<int64_t>& widths, const char* where) {
  AMOR_CHECK(widths.size() >= 2, ValueError, where, ": need at least input and output widths");
  for (int64_t w : widths)
    AMOR_CHECK(w >= 1, ValueError, where, ": layer widths must be >= 1, got ", w);
}

}  // namespace

template <class T>
MlpParameters<T> MlpParameters<T>::glorot_uniform(const std::vector<int64_t>& widths,
                                                  NumpyRandomState& rs) {
  check_widths<T>(widths, "MlpParameters::glorot_uniform");
  MlpParameters<T> p;
  p.widths = widths;
  for (size_t l = 0; l + 1 < widths.size(); ++l) {
    const int64_t fan_in = widths[l], fan_out = widths[l + 1];
    const double bound = std::sqrt(6.0 / double(fan_in + fan_out));
    std::vector<T> coef(static_cast<size_t>(fan_in * fan_out)), intercept(static_cast<size_t>(fan_out));
    for (T& c : coef) c = T(rs.uniform(-bound, bound));
    for (T& c : intercept) c = T(rs.uniform(-bound, bound));
    p.coefs.push_back(std::move(coef));
    p.intercepts.push_back(std::move(intercept));
  }
  return p;
}

template <class T>
double mlp_backprop(const MlpParameters<T>& params, const T* x, const uint8_t* y, int64_t n,
                    double alpha, MlpParameters<T>& grad, MlpWorkspace<T>& ws) {
  const int64_t L = params.num_layers();
  const std::vector<int64_t>& w = params.widths;
  AMOR_CHECK(L >= 1 && n >= 1, ValueError, "mlp_backprop: empty network or batch");
  ws.activations.resize(size_t(L + 1));
  ws.deltas.resize(size_t(L));
  if (grad.widths != w) {
    grad.widths = w;
    grad.coefs.assign(size_t(L), {});
    grad.intercepts.assign(size_t(L), {});
    for (int64_t l = 0; l < L; ++l) {
      grad.coefs[size_t(l)].resize(size_t(w[size_t(l)] * w[size_t(l) + 1]));
      grad.intercepts[size_t(l)].resize(size_t(w[size_t(l) + 1]));
    }
  }
  auto act = [&](int64_t l) -> const T* { return l == 0 ? x : ws.activations[size_t(l)].data(); };

  // Forward: activations[l + 1] = act(activations[l] · W_l + b_l).  // [n, w[l + 1]]
  for (int64_t l = 0; l < L; ++l) {
    std::vector<T>& out = ws.activations[size_t(l) + 1];
    out.resize(size_t(n * w[size_t(l) + 1]));
    dense_forward(act(l), n, w[size_t(l)], w[size_t(l) + 1], params.coefs[size_t(l)].data(),
                  params.intercepts[size_t(l)].data(), l + 1 == L, out.data());
  }

  // Loss: binary log loss (p clipped to [eps, 1 - eps] of T) + L2 on the weights.
  const T* p = ws.activations[size_t(L)].data();
  const int64_t n_out = w[size_t(L)];
  const T eps = std::numeric_limits<T>::epsilon();
  double log_loss = 0.0;
  for (int64_t i = 0; i < n * n_out; ++i) {
    const double pc = double(std::clamp(p[i], eps, T(1) - eps));
    const bool one = y[i / n_out] != 0;
    log_loss -= one ? std::log(pc) : std::log(1.0 - pc);
  }
  double squares = 0.0;
  for (const std::vector<T>& c : params.coefs)
    for (T v : c) squares += double(v) * double(v);
  const double loss = log_loss / double(n) + 0.5 * alpha * squares / double(n);

  // Backward.
  std::vector<T>& d_out = ws.deltas[size_t(L) - 1];
  d_out.resize(size_t(n * n_out));
  for (int64_t i = 0; i < n * n_out; ++i) d_out[size_t(i)] = p[i] - T(y[i / n_out] != 0);
  const T t_alpha = T(alpha), t_n = T(double(n));
  for (int64_t l = L - 1; l >= 0; --l) {
    const int64_t fan_in = w[size_t(l)], fan_out = w[size_t(l) + 1];
    const T* A = act(l);                        // [n, fan_in]
    const T* delta = ws.deltas[size_t(l)].data();  // [n, fan_out]
    const T* W = params.coefs[size_t(l)].data();   // [fan_in, fan_out]
    T* gW = grad.coefs[size_t(l)].data();
    if (fan_out == 1) {
      std::fill(gW, gW + fan_in, T(0));
      for (int64_t i = 0; i < n; ++i) {
        const T di = delta[i];
        const T* a = A + i * fan_in;
        for (int64_t k = 0; k < fan_in; ++k) gW[k] += a[k] * di;
      }
    } else {
      gemm_small<T>(true, false, fan_in, fan_out, n, T(1), A, fan_in, delta, fan_out, T(0), gW,
                    fan_out);
    }
    for (int64_t k = 0; k < fan_in * fan_out; ++k) gW[k] = (gW[k] + t_alpha * W[k]) / t_n;
    T* gb = grad.intercepts[size_t(l)].data();
    for (int64_t j = 0; j < fan_out; ++j) {
      double s = 0.0;
      for (int64_t i = 0; i < n; ++i) s += double(delta[i * fan_out + j]);
      gb[j] = T(s / double(n));
    }
    if (l == 0) break;
    // deltas[l - 1] = (delta · Wᵀ) ⊙ [A > 0]   // [n, fan_in]
    std::vector<T>& prev = ws.deltas[size_t(l) - 1];
    prev.resize(size_t(n * fan_in));
    if (fan_out == 1) {
      for (int64_t i = 0; i < n; ++i) {
        const T di = delta[i];
        T* o = prev.data() + i * fan_in;
        for (int64_t k = 0; k < fan_in; ++k) o[k] = di * W[k];
      }
    } else {
      gemm_small<T>(false, true, n, fan_in, fan_out, T(1), delta, fan_out, W, fan_out, T(0),
                    prev.data(), fan_in);
    }
    for (int64_t k = 0; k < n * fan_in; ++k)
      if (A[k] == T(0)) prev[size_t(k)] = T(0);
  }
  return loss;
}

template <class T>
void mlp_predict_proba(const MlpParameters<T>& params, const T* x, int64_t n, T* p) {
  const int64_t L = params.num_layers();
  AMOR_CHECK(L >= 1 && params.widths.back() == 1, ValueError,
             "mlp_predict_proba: the network must end in one logistic unit");
  constexpr int64_t kChunk = 1024;  // rows per pass, bounds the scratch memory
  std::vector<T> a, b;
  for (int64_t r0 = 0; r0 < n; r0 += kChunk) {
    const int64_t rows = std::min(kChunk, n - r0);
    const T* in = x + r0 * params.widths[0];
    for (int64_t l = 0; l < L; ++l) {
      const int64_t fan_in = params.widths[size_t(l)], fan_out = params.widths[size_t(l) + 1];
      T* out;
      if (l + 1 == L) {
        out = p + r0;
      } else {
        b.resize(size_t(rows * fan_out));
        out = b.data();
      }
      dense_forward(in, rows, fan_in, fan_out, params.coefs[size_t(l)].data(),
                    params.intercepts[size_t(l)].data(), l + 1 == L, out);
      if (l + 1 < L) {
        std::swap(a, b);
        in = a.data();
      }
    }
  }
}

template <class T>
MlpClassifier<T>::MlpClassifier(MlpClassifierOptions options) : options_(std::move(options)) {
  const MlpClassifierOptions& o = options_;
  for (int64_t h : o.hidden_layer_sizes)
    AMOR_CHECK(h >= 1, ValueError, "MlpClassifier: hidden layer sizes must be >= 1, got ", h);
  AMOR_CHECK(o.alpha >= 0.0 && std::isfinite(o.alpha), ValueError,
             "MlpClassifier: alpha must be finite and >= 0, got ", o.alpha);
  AMOR_CHECK(o.batch_size >= 0, ValueError, "MlpClassifier: batch_size must be >= 0, got ",
             o.batch_size);
  AMOR_CHECK(o.learning_rate_init > 0.0, ValueError,
             "MlpClassifier: learning_rate_init must be > 0, got ", o.learning_rate_init);
  AMOR_CHECK(o.beta_1 >= 0.0 && o.beta_1 < 1.0 && o.beta_2 >= 0.0 && o.beta_2 < 1.0, ValueError,
             "MlpClassifier: beta_1 and beta_2 must lie in [0, 1), got ", o.beta_1, " and ",
             o.beta_2);
  AMOR_CHECK(o.epsilon > 0.0, ValueError, "MlpClassifier: epsilon must be > 0, got ", o.epsilon);
  AMOR_CHECK(o.max_iter >= 1, ValueError, "MlpClassifier: max_iter must be >= 1, got ",
             o.max_iter);
  AMOR_CHECK(o.n_iter_no_change >= 1, ValueError,
             "MlpClassifier: n_iter_no_change must be >= 1, got ", o.n_iter_no_change);
}

template <class T>
void MlpClassifier<T>::fit(const T* x, const uint8_t* y, int64_t n, int64_t d) {
  const MlpClassifierOptions& o = options_;
  AMOR_CHECK(n >= 1 && d >= 1, ValueError, "MlpClassifier::fit: need n >= 1 rows of d >= 1 ",
             "features, got n = ", n, ", d = ", d);
  AMOR_CHECK(n <= int64_t(std::numeric_limits<uint32_t>::max()), ValueError,
             "MlpClassifier::fit: at most 2^32 - 1 rows, got ", n);
  for (int64_t i = 0; i < n; ++i)
    AMOR_CHECK(y[i] <= 1, ValueError, "MlpClassifier::fit: labels must be 0 or 1, got ",
               int(y[i]), " at row ", i);
  for (int64_t i = 0; i < n * d; ++i)
    AMOR_CHECK(std::isfinite(double(x[i])), ValueError,
               "MlpClassifier::fit: non-finite feature at row ", i / d, ", column ", i % d);

  std::vector<int64_t> widths{d};
  widths.insert(widths.end(), o.hidden_layer_sizes.begin(), o.hidden_layer_sizes.end());
  widths.push_back(1);
  NumpyRandomState rs(o.random_state);
  params_ = MlpParameters<T>::glorot_uniform(widths, rs);
  loss_curve_.clear();

  const int64_t L = params_.num_layers();
  MlpParameters<T> grad, m, v;
  m.widths = v.widths = widths;
  for (int64_t l = 0; l < L; ++l) {
    m.coefs.emplace_back(params_.coefs[size_t(l)].size(), T(0));
    m.intercepts.emplace_back(params_.intercepts[size_t(l)].size(), T(0));
  }
  v = m;
  MlpWorkspace<T> ws;

  const int64_t batch = o.batch_size == 0 ? std::min<int64_t>(200, n)
                                          : std::clamp<int64_t>(o.batch_size, 1, n);
  std::vector<int64_t> sample_idx(static_cast<size_t>(n));
  std::iota(sample_idx.begin(), sample_idx.end(), int64_t(0));
  ws.batch_x.resize(size_t(batch * d));
  ws.batch_y.resize(size_t(batch));

  const T b1 = T(o.beta_1), b2 = T(o.beta_2), one_b1 = T(1.0 - o.beta_1),
          one_b2 = T(1.0 - o.beta_2), eps = T(o.epsilon);
  int64_t t = 0;
  auto adam = [&](std::vector<T>& param, std::vector<T>& mm, std::vector<T>& vv,
                  const std::vector<T>& g, double lr_t) {
    const size_t size = param.size();
    T* pp = param.data();
    T* pm = mm.data();
    T* pv = vv.data();
    const T* pg = g.data();
    for (size_t k = 0; k < size; ++k) {
      pm[k] = b1 * pm[k] + one_b1 * pg[k];
      pv[k] = b2 * pv[k] + one_b2 * (pg[k] * pg[k]);
      const double update = -lr_t * double(pm[k]) / double(std::sqrt(pv[k]) + eps);
      pp[k] = T(double(pp[k]) + update);
    }
  };

  double best_loss = std::numeric_limits<double>::infinity();
  int64_t no_improvement = 0;
  for (int64_t epoch = 0; epoch < o.max_iter; ++epoch) {
    if (o.shuffle) rs.shuffle(sample_idx.data(), n);
    double accumulated = 0.0;
    for (int64_t start = 0; start < n; start += batch) {
      const int64_t len = std::min(batch, n - start);
      for (int64_t j = 0; j < len; ++j) {
        const int64_t row = sample_idx[size_t(start + j)];
        std::copy(x + row * d, x + (row + 1) * d, ws.batch_x.data() + j * d);
        ws.batch_y[size_t(j)] = y[row];
      }
      const double loss =
          mlp_backprop(params_, ws.batch_x.data(), ws.batch_y.data(), len, o.alpha, grad, ws);
      accumulated += loss * double(len);
      ++t;
      const double lr_t = o.learning_rate_init * std::sqrt(1.0 - std::pow(o.beta_2, double(t))) /
                          (1.0 - std::pow(o.beta_1, double(t)));
      for (int64_t l = 0; l < L; ++l) {
        adam(params_.coefs[size_t(l)], m.coefs[size_t(l)], v.coefs[size_t(l)],
             grad.coefs[size_t(l)], lr_t);
        adam(params_.intercepts[size_t(l)], m.intercepts[size_t(l)], v.intercepts[size_t(l)],
             grad.intercepts[size_t(l)], lr_t);
      }
    }
    const double epoch_loss = accumulated / double(n);
    loss_curve_.push_back(epoch_loss);
    AMOR_CHECK(std::isfinite(epoch_loss), ValueError, "MlpClassifier::fit: the training loss ",
               "became ", epoch_loss, " at epoch ", epoch + 1);
    if (epoch_loss > best_loss - o.tol)
      ++no_improvement;
    else
      no_improvement = 0;
    if (epoch_loss < best_loss) best_loss = epoch_loss;
    if (no_improvement > o.n_iter_no_change) break;
  }
}

template <class T>
void MlpClassifier<T>::predict_proba(const T* x, int64_t n, T* p) const {
  AMOR_CHECK(!params_.coefs.empty(), ValueError, "MlpClassifier::predict_proba: call fit first");
  mlp_predict_proba(params_, x, n, p);
}

template <class T>
void MlpClassifier<T>::predict(const T* x, int64_t n, uint8_t* out) const {
  std::vector<T> p(static_cast<size_t>(n));
  predict_proba(x, n, p.data());
  for (int64_t i = 0; i < n; ++i) out[i] = p[size_t(i)] > T(0.5) ? 1 : 0;
}

#define AMOR_INSTANTIATE_MLP(T)                                                                 \
  template struct MlpParameters<T>;                                                             \
  template double mlp_backprop<T>(const MlpParameters<T>&, const T*, const uint8_t*, int64_t,  \
                                  double, MlpParameters<T>&, MlpWorkspace<T>&);                 \
  template void mlp_predict_proba<T>(const MlpParameters<T>&, const T*, int64_t, T*);           \
  template class MlpClassifier<T>;
AMOR_INSTANTIATE_MLP(float)
AMOR_INSTANTIATE_MLP(double)
#undef AMOR_INSTANTIATE_MLP

}  // namespace amor::sbi
