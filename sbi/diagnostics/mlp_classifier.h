// MlpClassifier: a binary classifier that reproduces scikit-learn's MLPClassifier (solver
// "adam", ReLU hidden layers, one logistic output unit) step for step; the classifier of the
// C2ST (sbi/diagnostics/c2st.h).
//
// What is reproduced (sklearn/neural_network/_multilayer_perceptron.py, _base.py,
// _stochastic_optimizers.py):
// - init (_init_coef): per layer, weights [fan_in, fan_out] then biases [fan_out], each
//   U(-b, b) with b = sqrt(6 / (fan_in + fan_out)), drawn in float64 from
//   RandomState(random_state) in row-major order and rounded to T;
// - loss (_backprop): mean binary log loss with p clipped to [eps_T, 1 - eps_T], plus
//   0.5 · alpha · Σ_layers ‖W‖² / batch_size (weights only, not biases);
// - gradients: δ_out = p - y; dW = (Aᵀ δ + alpha · W) / batch_size; db = Σ δ / batch_size;
//   δ_prev = (δ Wᵀ) ⊙ [A > 0];
// - Adam (AdamOptimizer): m, v as usual, step lr_t = lr · sqrt(1 - β2^t) / (1 - β1^t),
//   p += -lr_t · m / (sqrt(v) + eps) — eps added to sqrt(v), not to sqrt(v̂) as in PyTorch
//   (nn::Adam), which is why this file has its own update. The update is formed in float64
//   and added to the T parameter, as numpy does for float32 parameters;
// - epochs (_fit_stochastic): batch_size "auto" = min(200, n); every epoch the index vector is
//   shuffled with the same RandomState; mini-batches are consecutive slices (the last one may
//   be short); the epoch loss is Σ batch_loss · batch_len / n;
// - stopping (_update_no_improvement_count): with best_loss starting at +inf, an epoch whose
//   loss is > best_loss - tol increments a counter (otherwise it resets); best_loss takes the
//   minimum; training stops once the counter exceeds n_iter_no_change, or after max_iter
//   epochs;
// - prediction: class 1 iff sigmoid(z) > 0.5.
// T = float matches sklearn fed float32 arrays (sbibm's C2ST passes float32 torch tensors and
// MLPClassifier keeps float32); T = double matches float64 input.
//
// The forward and backward passes are written by hand over kernels::cpu::gemm_small
// (single-threaded, no BLAS), so one classifier per thread can train concurrently; they are
// checked against amor's autodiff (nn::MLP) in tests/sbi/test_mlp_classifier.cpp.
#pragma once

#include <cstdint>
#include <vector>

#include "sbi/diagnostics/numpy_random_state.h"

namespace amor::sbi {

struct MlpClassifierOptions {
  std::vector<int64_t> hidden_layer_sizes = {100};  // sklearn's default (100,)
  double alpha = 1e-4;                              // L2 penalty
  int64_t batch_size = 0;                           // 0: "auto" = min(200, n)
  double learning_rate_init = 1e-3;
  double beta_1 = 0.9, beta_2 = 0.999, epsilon = 1e-8;
  int64_t max_iter = 200;  // epochs
  double tol = 1e-4;
  int64_t n_iter_no_change = 10;
  bool shuffle = true;
  uint32_t random_state = 1;
};

// The network's parameters in sklearn's layout: coefs[l] is [fan_in, fan_out] row-major,
// intercepts[l] is [fan_out]; widths = {d, hidden..., 1}.
template <class T>
struct MlpParameters {
  std::vector<int64_t> widths;
  std::vector<std::vector<T>> coefs, intercepts;

  int64_t num_layers() const { return int64_t(coefs.size()); }
  // sklearn's _init_coef for every layer, in order, from `rs`.
  static MlpParameters glorot_uniform(const std::vector<int64_t>& widths, NumpyRandomState& rs);
};

// The network as the training loop stores it: every hidden width is padded with zero columns
// to a whole SIMD vector (16 floats / 8 doubles), so each GEMM runs on amor's register-tiled
// kernel without repacking its operands. Padding entries stay exactly 0 under the forward,
// backward and Adam steps, so results equal the unpadded computation.
//   ld[l]: padded width of activation l (ld[0] = d: inputs are not padded; ld[L] = 1)
//   W[l]: [widths[l], ld[l + 1]] row-major; b[l]: [ld[l + 1]]
template <class T>
struct PaddedMlp {
  std::vector<int64_t> widths, ld;
  std::vector<std::vector<T>> W, b;

  static PaddedMlp from(const MlpParameters<T>& p);
  MlpParameters<T> unpadded() const;
  int64_t num_layers() const { return int64_t(W.size()); }
};

// Scratch buffers for one mini-batch (activations, deltas, a transposed weight); reused
// across batches so training allocates nothing per step.
template <class T>
struct MlpWorkspace {
  std::vector<std::vector<T>> activations;  // [L + 1][batch · ld]
  std::vector<std::vector<T>> deltas;       // [L][batch · ld]
  std::vector<T> weight_t;                  // one layer's Wᵀ, padded
  std::vector<T> batch_x;                   // gathered rows
  std::vector<uint8_t> batch_y;
};

// sklearn's _backprop on one mini-batch of the padded network: returns the loss and writes
// the gradients (same layout as net) into grad. x: [n, d] row-major, y: n labels in {0, 1}.
template <class T>
double padded_backprop(const PaddedMlp<T>& net, const T* x, const uint8_t* y, int64_t n,
                       double alpha, PaddedMlp<T>& grad, MlpWorkspace<T>& ws);

// The same on sklearn's layout (pads, runs padded_backprop, unpads): the form the tests compare
// with autodiff.
template <class T>
double mlp_backprop(const MlpParameters<T>& params, const T* x, const uint8_t* y, int64_t n,
                    double alpha, MlpParameters<T>& grad, MlpWorkspace<T>& ws);

// P(class 1) for each row of x [n, d]: p must hold n values.
template <class T>
void mlp_predict_proba(const MlpParameters<T>& params, const T* x, int64_t n, T* p);

template <class T>
class MlpClassifier {
 public:
  explicit MlpClassifier(MlpClassifierOptions options = {});

  // x: [n, d] row-major; y: n labels in {0, 1}. Throws ValueError on bad sizes or labels.
  void fit(const T* x, const uint8_t* y, int64_t n, int64_t d);
  // P(class 1) per row; p holds n values.
  void predict_proba(const T* x, int64_t n, T* p) const;
  // Class labels (p > 0.5); out holds n values.
  void predict(const T* x, int64_t n, uint8_t* out) const;

  const MlpParameters<T>& parameters() const { return params_; }
  const std::vector<double>& loss_curve() const { return loss_curve_; }
  int64_t n_iter() const { return int64_t(loss_curve_.size()); }
  const MlpClassifierOptions& options() const { return options_; }

 private:
  MlpClassifierOptions options_;
  MlpParameters<T> params_;
  std::vector<double> loss_curve_;
};

}  // namespace amor::sbi
