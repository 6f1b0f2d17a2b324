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

// Padded width: a whole number of 64-byte vectors, the GEMM kernel's panel width.
template <class T>
int64_t pad_width(int64_t w) {
  constexpr int64_t V = 64 / int64_t(sizeof(T));
  return (w + V - 1) / V * V;
}

template <class T>
T sigmoid(T z) {
  return T(1) / (T(1) + std::exp(-z));
}

void check_widths(const std::vector<int64_t>& widths, const char* where) {
  AMOR_CHECK(widths.size() >= 2, ValueError, where, ": need at least input and output widths");
  for (int64_t w : widths)
    AMOR_CHECK(w >= 1, ValueError, where, ": layer widths must be >= 1, got ", w);
  AMOR_CHECK(widths.back() == 1, ValueError, where, ": the output layer must have 1 unit, got ",
             widths.back());
}

// Layer l of the padded net: out[n, ld[l+1]] = act(in[n, :widths[l]] · W + b), in with row
// stride ld[l]. Hidden layers apply ReLU (pad columns stay 0), the output layer the logistic
// function; its single column is a dot product per row (a GEMM would pad it to 16 columns).
template <class T>
void layer_forward(const PaddedMlp<T>& net, int64_t l, const T* in, int64_t n, T* out) {
  const int64_t fan_in = net.widths[size_t(l)], lda = net.ld[size_t(l)];
  const int64_t ldo = net.ld[size_t(l) + 1];
  const T* W = net.W[size_t(l)].data();
  const T* b = net.b[size_t(l)].data();
  if (l + 1 == net.num_layers()) {
    for (int64_t i = 0; i < n; ++i) {
      const T* a = in + i * lda;
      T z = T(0);
#pragma omp simd reduction(+ : z)
      for (int64_t k = 0; k < fan_in; ++k) z += a[k] * W[k];
      out[i] = sigmoid(z + b[0]);
    }
    return;
  }
  gemm_small<T>(false, false, n, ldo, fan_in, T(1), in, lda, W, ldo, T(0), out, ldo);
  for (int64_t i = 0; i < n; ++i) {
    T* o = out + i * ldo;
    for (int64_t j = 0; j < ldo; ++j) {
      const T v = o[j] + b[j];
      o[j] = v > T(0) ? v : T(0);
    }
  }
}

}  // namespace

template <class T>
PaddedMlp<T> PaddedMlp<T>::from(const MlpParameters<T>& p) {
  check_widths(p.widths, "PaddedMlp::from");
  PaddedMlp<T> net;
  net.widths = p.widths;
  const size_t L = p.widths.size() - 1;
  AMOR_CHECK(p.coefs.size() == L && p.intercepts.size() == L, ValueError,
             "PaddedMlp::from: ", p.coefs.size(), " weight matrices for ", L, " layers");
  for (size_t l = 0; l <= L; ++l)
    net.ld.push_back(l == 0 || l == L ? p.widths[l] : pad_width<T>(p.widths[l]));
  for (size_t l = 0; l < L; ++l) {
    const int64_t fan_in = p.widths[l], fan_out = p.widths[l + 1], ldo = net.ld[l + 1];
    AMOR_CHECK(int64_t(p.coefs[l].size()) == fan_in * fan_out &&
                   int64_t(p.intercepts[l].size()) == fan_out,
               ValueError, "PaddedMlp::from: layer ", l, " has the wrong number of parameters");
    std::vector<T> W(size_t(fan_in * ldo), T(0)), b(size_t(ldo), T(0));
    for (int64_t i = 0; i < fan_in; ++i)
      std::copy_n(p.coefs[l].data() + i * fan_out, fan_out, W.data() + i * ldo);
    std::copy(p.intercepts[l].begin(), p.intercepts[l].end(), b.begin());
    net.W.push_back(std::move(W));
    net.b.push_back(std::move(b));
  }
  return net;
}

template <class T>
MlpParameters<T> PaddedMlp<T>::unpadded() const {
  MlpParameters<T> p;
  p.widths = widths;
  for (int64_t l = 0; l < num_layers(); ++l) {
    const int64_t fan_in = widths[size_t(l)], fan_out = widths[size_t(l) + 1];
    const int64_t ldo = ld[size_t(l) + 1];
    std::vector<T> c(static_cast<size_t>(fan_in * fan_out));
    for (int64_t i = 0; i < fan_in; ++i)
      std::copy_n(W[size_t(l)].data() + i * ldo, fan_out, c.data() + i * fan_out);
    p.coefs.push_back(std::move(c));
    p.intercepts.emplace_back(b[size_t(l)].begin(), b[size_t(l)].begin() + fan_out);
  }
  return p;
}

template <class T>
MlpParameters<T> MlpParameters<T>::glorot_uniform(const std::vector<int64_t>& widths,
                                                  NumpyRandomState& rs) {
  check_widths(widths, "MlpParameters::glorot_uniform");
  MlpParameters<T> p;
  p.widths = widths;
  for (size_t l = 0; l + 1 < widths.size(); ++l) {
    const int64_t fan_in = widths[l], fan_out = widths[l + 1];
    const double bound = std::sqrt(6.0 / double(fan_in + fan_out));
    std::vector<T> coef(static_cast<size_t>(fan_in * fan_out)),
        intercept(static_cast<size_t>(fan_out));
    for (T& c : coef) c = T(rs.uniform(-bound, bound));
    for (T& c : intercept) c = T(rs.uniform(-bound, bound));
    p.coefs.push_back(std::move(coef));
    p.intercepts.push_back(std::move(intercept));
  }
  return p;
}

template <class T>
double padded_backprop(const PaddedMlp<T>& net, const T* x, const uint8_t* y, int64_t n,
                       double alpha, PaddedMlp<T>& grad, MlpWorkspace<T>& ws) {
  const int64_t L = net.num_layers();
  const std::vector<int64_t>& w = net.widths;
  const std::vector<int64_t>& ld = net.ld;
  AMOR_CHECK(L >= 1 && n >= 1, ValueError, "padded_backprop: empty network or batch");
  if (grad.ld != ld || grad.widths != w) {
    grad = net;  // same shapes; values are overwritten below
  }
  ws.activations.resize(size_t(L + 1));
  ws.deltas.resize(size_t(L));
  auto act = [&](int64_t l) -> const T* { return l == 0 ? x : ws.activations[size_t(l)].data(); };

  // Forward: activations[l + 1] = act(activations[l] · W_l + b_l)   // [n, ld[l + 1]]
  for (int64_t l = 0; l < L; ++l) {
    std::vector<T>& out = ws.activations[size_t(l) + 1];
    out.resize(size_t(n * ld[size_t(l) + 1]));
    layer_forward(net, l, act(l), n, out.data());
  }

  // Loss: binary log loss with p clipped to [eps, 1 - eps] of T, plus the L2 term on the
  // weights (padding entries are 0 and add nothing).
  const T* p = ws.activations[size_t(L)].data();  // [n]
  const T eps = std::numeric_limits<T>::epsilon();
  double log_loss = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double pc = double(std::clamp(p[i], eps, T(1) - eps));
    log_loss -= y[i] ? std::log(pc) : std::log(1.0 - pc);
  }
  double squares = 0.0;
  for (const std::vector<T>& W : net.W) {
    const T* wp = W.data();
    const int64_t size = int64_t(W.size());
    double s = 0.0;  // vector lanes, a fixed order for a given build: deterministic
#pragma omp simd reduction(+ : s)
    for (int64_t k = 0; k < size; ++k) s += double(wp[k]) * double(wp[k]);
    squares += s;
  }
  const double loss = log_loss / double(n) + 0.5 * alpha * squares / double(n);

  // Backward: δ_out = p - y; dW = (Aᵀδ + αW)/n; db = Σδ/n; δ_prev = (δ·Wᵀ) ⊙ [A ≠ 0].
  std::vector<T>& d_out = ws.deltas[size_t(L) - 1];
  d_out.resize(size_t(n));
  for (int64_t i = 0; i < n; ++i) d_out[size_t(i)] = p[i] - T(y[i] != 0);
  const T t_alpha = T(alpha), t_n = T(double(n));
  for (int64_t l = L - 1; l >= 0; --l) {
    const int64_t fan_in = w[size_t(l)], lda = ld[size_t(l)], ldo = ld[size_t(l) + 1];
    const bool output = l == L - 1;
    const T* A = act(l);                           // [n, lda]
    const T* delta = ws.deltas[size_t(l)].data();  // [n, ldo]
    const T* W = net.W[size_t(l)].data();          // [fan_in, ldo]
    T* gW = grad.W[size_t(l)].data();
    if (output) {
      std::fill(gW, gW + fan_in, T(0));
      for (int64_t i = 0; i < n; ++i) {
        const T di = delta[i];
        const T* a = A + i * lda;
        for (int64_t k = 0; k < fan_in; ++k) gW[k] += a[k] * di;
      }
    } else {
      gemm_small<T>(true, false, fan_in, ldo, n, T(1), A, lda, delta, ldo, T(0), gW, ldo);
    }
    for (int64_t k = 0; k < fan_in * ldo; ++k) gW[k] = (gW[k] + t_alpha * W[k]) / t_n;
    // db: summed row by row in T, as numpy's sum(axis=0) does.
    T* gb = grad.b[size_t(l)].data();
    std::fill(gb, gb + ldo, T(0));
    for (int64_t i = 0; i < n; ++i) {
      const T* row = delta + i * ldo;
      for (int64_t j = 0; j < ldo; ++j) gb[j] += row[j];
    }
    for (int64_t j = 0; j < ldo; ++j) gb[j] /= t_n;
    if (l == 0) break;

    std::vector<T>& prev_buf = ws.deltas[size_t(l) - 1];
    prev_buf.resize(size_t(n * lda));
    T* prev = prev_buf.data();  // [n, lda]
    if (output) {
      for (int64_t i = 0; i < n; ++i) {
        const T di = delta[i];
        T* o = prev + i * lda;
        for (int64_t k = 0; k < lda; ++k) o[k] = k < fan_in ? di * W[k] : T(0);
      }
    } else {
      // Wᵀ: [fan_out, lda] with zero padding columns, so δ·Wᵀ is a plain GEMM.
      const int64_t fan_out = w[size_t(l) + 1];
      ws.weight_t.assign(size_t(fan_out * lda), T(0));
      for (int64_t i = 0; i < fan_in; ++i)
        for (int64_t j = 0; j < fan_out; ++j) ws.weight_t[size_t(j * lda + i)] = W[i * ldo + j];
      gemm_small<T>(false, false, n, lda, fan_out, T(1), delta, ldo, ws.weight_t.data(), lda,
                    T(0), prev, lda);
    }
    // ReLU derivative: sklearn zeroes δ where the activation is 0 (A >= 0 after ReLU).
    for (int64_t k = 0; k < n * lda; ++k) prev[k] = A[k] != T(0) ? prev[k] : T(0);
  }
  return loss;
}

template <class T>
double mlp_backprop(const MlpParameters<T>& params, const T* x, const uint8_t* y, int64_t n,
                    double alpha, MlpParameters<T>& grad, MlpWorkspace<T>& ws) {
  const PaddedMlp<T> net = PaddedMlp<T>::from(params);
  PaddedMlp<T> g;
  const double loss = padded_backprop(net, x, y, n, alpha, g, ws);
  grad = g.unpadded();
  return loss;
}

template <class T>
void mlp_predict_proba(const MlpParameters<T>& params, const T* x, int64_t n, T* p) {
  const PaddedMlp<T> net = PaddedMlp<T>::from(params);
  const int64_t L = net.num_layers();
  constexpr int64_t kChunk = 1024;  // rows per pass, bounds the scratch memory
  std::vector<T> a, b;
  for (int64_t r0 = 0; r0 < n; r0 += kChunk) {
    const int64_t rows = std::min(kChunk, n - r0);
    const T* in = x + r0 * net.ld[0];
    for (int64_t l = 0; l < L; ++l) {
      if (l + 1 == L) {
        layer_forward(net, l, in, rows, p + r0);
      } else {
        b.resize(size_t(rows * net.ld[size_t(l) + 1]));
        layer_forward(net, l, in, rows, b.data());
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
  PaddedMlp<T> net = PaddedMlp<T>::from(MlpParameters<T>::glorot_uniform(widths, rs));
  loss_curve_.clear();

  // Adam moments in the padded layout, zero-initialised (padding entries stay 0 throughout).
  PaddedMlp<T> grad = net, m = net, v = net;
  for (PaddedMlp<T>* s : {&m, &v}) {
    for (std::vector<T>& W : s->W) std::fill(W.begin(), W.end(), T(0));
    for (std::vector<T>& b : s->b) std::fill(b.begin(), b.end(), T(0));
  }
  MlpWorkspace<T> ws;
  const int64_t L = net.num_layers();

  const int64_t batch = o.batch_size == 0 ? std::min<int64_t>(200, n)
                                          : std::clamp<int64_t>(o.batch_size, 1, n);
  std::vector<int64_t> sample_idx(static_cast<size_t>(n));
  std::iota(sample_idx.begin(), sample_idx.end(), int64_t(0));
  ws.batch_x.resize(size_t(batch * d));
  ws.batch_y.resize(size_t(batch));

  // sklearn's AdamOptimizer on float32 parameters: m and v in T; the step
  // -lr_t·m/(sqrt(v) + eps) formed in float64 and added to the T parameter.
  const T b1 = T(o.beta_1), b2 = T(o.beta_2), one_b1 = T(1.0 - o.beta_1),
          one_b2 = T(1.0 - o.beta_2), eps = T(o.epsilon);
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

  int64_t t = 0;
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
          padded_backprop(net, ws.batch_x.data(), ws.batch_y.data(), len, o.alpha, grad, ws);
      accumulated += loss * double(len);
      ++t;
      const double lr_t = o.learning_rate_init * std::sqrt(1.0 - std::pow(o.beta_2, double(t))) /
                          (1.0 - std::pow(o.beta_1, double(t)));
      for (int64_t l = 0; l < L; ++l) {
        adam(net.W[size_t(l)], m.W[size_t(l)], v.W[size_t(l)], grad.W[size_t(l)], lr_t);
        adam(net.b[size_t(l)], m.b[size_t(l)], v.b[size_t(l)], grad.b[size_t(l)], lr_t);
      }
    }
    const double epoch_loss = accumulated / double(n);
    loss_curve_.push_back(epoch_loss);
    AMOR_CHECK(std::isfinite(epoch_loss), ValueError, "MlpClassifier::fit: the training loss ",
               "became ", epoch_loss, " at epoch ", epoch + 1);
    // sklearn's _update_no_improvement_count (early_stopping=False).
    if (epoch_loss > best_loss - o.tol)
      ++no_improvement;
    else
      no_improvement = 0;
    if (epoch_loss < best_loss) best_loss = epoch_loss;
    if (no_improvement > o.n_iter_no_change) break;
  }
  params_ = net.unpadded();
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
  template struct PaddedMlp<T>;                                                                 \
  template double padded_backprop<T>(const PaddedMlp<T>&, const T*, const uint8_t*, int64_t,   \
                                     double, PaddedMlp<T>&, MlpWorkspace<T>&);                  \
  template double mlp_backprop<T>(const MlpParameters<T>&, const T*, const uint8_t*, int64_t,  \
                                  double, MlpParameters<T>&, MlpWorkspace<T>&);                 \
  template void mlp_predict_proba<T>(const MlpParameters<T>&, const T*, int64_t, T*);           \
  template class MlpClassifier<T>;
AMOR_INSTANTIATE_MLP(float)
AMOR_INSTANTIATE_MLP(double)
#undef AMOR_INSTANTIATE_MLP

}  // namespace amor::sbi
