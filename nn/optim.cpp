#include "nn/optim.h"

#include <cmath>

#include "core/autograd.h"
#include "core/ops.h"

namespace amor::nn {

namespace {
void check_param(const Tensor& p, const char* who) {
  AMOR_CHECK(p.defined() && p.is_leaf() && p.requires_grad(), ValueError, who,
             ": parameters must be leaf tensors that require grad");
  AMOR_CHECK(p.is_contiguous() && p.device().is_cpu(), ValueError, who,
             ": parameters must be contiguous CPU tensors, got ", p.str());
}

// The gradient as a contiguous tensor of the parameter's dtype.
Tensor grad_of(const Tensor& p) {
  Tensor g = p.grad();
  return g.defined() ? g.contiguous() : g;
}
}  // namespace

Optimizer::Optimizer(std::vector<Tensor> params, double lr) : params_(std::move(params)) {
  set_lr(lr);
  for (const Tensor& p : params_) check_param(p, "optimizer");
}

void Optimizer::zero_grad() {
  for (Tensor& p : params_) p.zero_grad();
}

void Optimizer::set_lr(double lr) {
  AMOR_CHECK(std::isfinite(lr) && lr >= 0, ValueError, "optimizer: learning rate must be finite and >= 0, got ", lr);
  lr_ = lr;
}

// ---- SGD ----------------------------------------------------------------------------------------

SGD::SGD(std::vector<Tensor> params, double lr, SGDOptions o) : Optimizer(std::move(params), lr), o_(o) {
  AMOR_CHECK(o.momentum >= 0 && o.weight_decay >= 0, ValueError, "SGD: momentum and weight decay must be >= 0");
  AMOR_CHECK(!o.nesterov || o.momentum > 0, ValueError, "SGD: Nesterov needs momentum > 0");
  momentum_.resize(params_.size());
}

void SGD::step() {
  NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor& p = params_[i];
    Tensor g = grad_of(p);
    if (!g.defined()) continue;
    const int64_t n = p.numel();
    dispatch_float(p.dtype(), "SGD", [&]<class T>() {
      T* w = p.data<T>();
      const T* gp = g.data<T>();
      const T lr = T(lr_), wd = T(o_.weight_decay), mu = T(o_.momentum);
      if (o_.momentum == 0) {
        for (int64_t j = 0; j < n; ++j) w[j] -= lr * (gp[j] + wd * w[j]);
        return;
      }
      const bool first = !momentum_[i].defined();
      if (first) momentum_[i] = zeros_like(p);
      T* b = momentum_[i].data<T>();
      for (int64_t j = 0; j < n; ++j) {
        const T d = gp[j] + wd * w[j];
        b[j] = first ? d : mu * b[j] + d;
        w[j] -= lr * (o_.nesterov ? d + mu * b[j] : b[j]);
      }
    });
    p.bump_version();
  }
  ++steps_;
}

// ---- Adam / AdamW -------------------------------------------------------------------------------

Adam::Adam(std::vector<Tensor> params, double lr, AdamOptions o) : Optimizer(std::move(params), lr), o_(o) {
  AMOR_CHECK(o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1, ValueError,
             "Adam: betas must be in [0, 1), got ", o.beta1, ", ", o.beta2);
  AMOR_CHECK(o.eps >= 0 && o.weight_decay >= 0, ValueError, "Adam: eps and weight decay must be >= 0");
  m_.resize(params_.size());
  v_.resize(params_.size());
}

void Adam::step() {
  NoGradGuard no_grad;
  ++steps_;
  const double bc1 = 1.0 - std::pow(o_.beta1, double(steps_));
  const double bc2 = 1.0 - std::pow(o_.beta2, double(steps_));
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor& p = params_[i];
    Tensor g = grad_of(p);
    if (!g.defined()) continue;
    if (!m_[i].defined()) {
      m_[i] = zeros_like(p);
      v_[i] = zeros_like(p);
    }
    const int64_t n = p.numel();
    dispatch_float(p.dtype(), "Adam", [&]<class T>() {
      T* w = p.data<T>();
      T* m = m_[i].data<T>();
      T* v = v_[i].data<T>();
      const T* gp = g.data<T>();
      // 1 − β in double, then rounded: T(1) − T(β) would carry β's float32 rounding error
      // (1 − 0.999f is 1.3e-5 off relative), unlike torch, which passes 1 − β as a Python float.
      const T b1 = T(o_.beta1), b2 = T(o_.beta2), eps = T(o_.eps);
      const T c1 = T(1.0 - o_.beta1), c2 = T(1.0 - o_.beta2);
      const T step_size = T(lr_ / bc1), inv_sqrt_bc2 = T(1.0 / std::sqrt(bc2));
      const T decay = o_.decoupled_weight_decay ? T(1.0 - lr_ * o_.weight_decay) : T(1);
      const T l2 = o_.decoupled_weight_decay ? T(0) : T(o_.weight_decay);
#pragma omp simd
      for (int64_t j = 0; j < n; ++j) {
        const T gj = gp[j] + l2 * w[j];
        m[j] = b1 * m[j] + c1 * gj;
        v[j] = b2 * v[j] + c2 * gj * gj;
        w[j] = w[j] * decay - step_size * m[j] / (std::sqrt(v[j]) * inv_sqrt_bc2 + eps);
      }
    });
    p.bump_version();
  }
}

}  // namespace amor::nn
