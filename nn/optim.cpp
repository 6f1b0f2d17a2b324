#include "nn/optim.h"

#include <cmath>

#include "core/autograd.h"
#include "core/ops.h"

namespace amor::nn {

namespace {
void check_param(const Tensor& p, const char* who) {
  AMOR_CHECK(p.defined() && p.is_leaf() && p.requires_grad(), ValueError, who,
             ": parameters must be leaf tensors that require grad");
  AMOR_CHECK(p.is_contiguous(), ValueError, who, ": parameters must be contiguous tensors, got ", p.str());
}

// The gradient as a contiguous tensor of the parameter's dtype, on the parameter's device.
Tensor grad_of(const Tensor& p, const char* who) {
  Tensor g = p.grad();
  if (!g.defined()) return g;
  AMOR_CHECK(g.device() == p.device(), DeviceError, who, ": gradient on ", g.device(), " for a parameter on ",
             p.device(), " ", p.shape());
  return g.contiguous();
}

// Optimizer state lives beside its parameter: created there (zeros_like) and refused when the
// parameter has moved since (Module::to after steps were taken).
void check_state_device(const Tensor& state, const Tensor& p, const char* who) {
  AMOR_CHECK(state.device() == p.device(), DeviceError, who, ": optimizer state is on ", state.device(),
             " but its parameter ", p.shape(), " moved to ", p.device(),
             "; move the module before creating the optimizer");
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
    Tensor g = grad_of(p, "SGD");
    if (!g.defined()) continue;
    if (momentum_[i].defined()) check_state_device(momentum_[i], p, "SGD");
    if (tensor_ops_for(p)) {
      tensor_ops_step(i, g);
      continue;
    }
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

void SGD::tensor_ops_step(size_t i, const Tensor& g) {
  // The CPU loop's arithmetic as whole-tensor ops (device tensors have no host pointer).
  Tensor& p = params_[i];
  const Tensor d = o_.weight_decay != 0 ? g + p * o_.weight_decay : g;
  if (o_.momentum == 0) {
    p.add_(d, -lr_);
    return;
  }
  if (!momentum_[i].defined()) {
    momentum_[i] = d.clone();
  } else {
    momentum_[i].mul_(o_.momentum);
    momentum_[i].add_(d);
  }
  p.add_(o_.nesterov ? d + momentum_[i] * o_.momentum : momentum_[i], -lr_);
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
    Tensor g = grad_of(p, "Adam");
    if (!g.defined()) continue;
    if (!m_[i].defined()) {
      m_[i] = zeros_like(p);  // on p's device
      v_[i] = zeros_like(p);
    }
    check_state_device(m_[i], p, "Adam");
    if (tensor_ops_for(p)) {
      tensor_ops_step(i, g, bc1, bc2);
      continue;
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

void Adam::tensor_ops_step(size_t i, const Tensor& g, double bc1, double bc2) {
  // The CPU loop's update as whole-tensor ops (same formula; the device rounds each op, so the
  // result may differ from the fused loop in the last bits).
  Tensor& p = params_[i];
  const bool decoupled = o_.decoupled_weight_decay;
  const Tensor gj = !decoupled && o_.weight_decay != 0 ? g + p * o_.weight_decay : g;
  m_[i].mul_(o_.beta1);
  m_[i].add_(gj, 1.0 - o_.beta1);
  v_[i].mul_(o_.beta2);
  v_[i].add_(gj * gj, 1.0 - o_.beta2);
  const Tensor denom = sqrt(v_[i]) * (1.0 / std::sqrt(bc2)) + o_.eps;
  if (decoupled && o_.weight_decay != 0) p.mul_(1.0 - lr_ * o_.weight_decay);
  p.add_(m_[i] / denom, -(lr_ / bc1));
}

}  // namespace amor::nn
