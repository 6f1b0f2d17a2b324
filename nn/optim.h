// Optimizers: SGD (momentum, Nesterov), Adam and AdamW, each one fused loop per parameter
// tensor. The learning rate is a plain field (set it from a Schedule each step).
//
// Devices: parameters may live on any device (all of one optimizer's need not share one). The
// state (momentum, Adam's moments) is created on the parameter's device at its first step; CUDA
// parameters are updated with whole-tensor ops implementing the same formulas, no host reads.
// A parameter moved after its state was created is refused (DeviceError).
//
// Updates follow PyTorch's torch.optim formulas exactly (bias-corrected Adam; AdamW's decoupled
// weight decay p ← p·(1 − lr·wd) before the Adam step; SGD's momentum buffer starts as the first
// gradient), so trajectories can be compared with PyTorch number for number.
#pragma once

#include <vector>

#include "core/tensor.h"

namespace amor::nn {

class Optimizer {
 public:
  explicit Optimizer(std::vector<Tensor> params, double lr);
  virtual ~Optimizer() = default;
  // Applies one update from the parameters' current .grad (parameters without a grad are skipped).
  virtual void step() = 0;
  void zero_grad();
  double lr() const { return lr_; }
  void set_lr(double lr);
  int64_t steps_taken() const { return steps_; }
  const std::vector<Tensor>& params() const { return params_; }
  // Updates CPU parameters with the whole-tensor ops that device parameters always use, instead
  // of the fused host loop: the twin the tests compare the loop with (and the device path's CPU
  // check). Off by default.
  void use_tensor_ops(bool on = true) { tensor_ops_ = on; }

 protected:
  // Whether parameter p takes the whole-tensor-op path.
  bool tensor_ops_for(const Tensor& p) const { return tensor_ops_ || !p.device().is_cpu(); }

  std::vector<Tensor> params_;
  double lr_;
  int64_t steps_ = 0;
  bool tensor_ops_ = false;
};

struct SGDOptions {
  double momentum = 0.0;
  bool nesterov = false;
  double weight_decay = 0.0;  // L2 added to the gradient
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, double lr, SGDOptions o = {});
  void step() override;

 private:
  void tensor_ops_step(size_t i, const Tensor& g);  // parameter i by whole-tensor ops (any device)

  SGDOptions o_;
  std::vector<Tensor> momentum_;
};

struct AdamOptions {
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  double weight_decay = 0.0;
  bool decoupled_weight_decay = false;  // true = AdamW
};

class Adam : public Optimizer {
 public:
  Adam(std::vector<Tensor> params, double lr, AdamOptions o = {});
  void step() override;
  const AdamOptions& options() const { return o_; }

 private:
  // Parameter i by whole-tensor ops (any device).
  void tensor_ops_step(size_t i, const Tensor& g, double bc1, double bc2);

  AdamOptions o_;
  std::vector<Tensor> m_, v_;
};

// AdamW: Adam with decoupled weight decay (default 0.01, as in PyTorch).
class AdamW : public Adam {
 public:
  AdamW(std::vector<Tensor> params, double lr, double weight_decay = 0.01, AdamOptions o = {})
      : Adam(std::move(params), lr, with_decay(o, weight_decay)) {}

 private:
  static AdamOptions with_decay(AdamOptions o, double wd) {
    o.weight_decay = wd;
    o.decoupled_weight_decay = true;
    return o;
  }
};

}  // namespace amor::nn
