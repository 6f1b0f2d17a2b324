// Module: the base of every layer. It owns named parameters, buffers and child modules in
// registration order, so `named_parameters()` yields stable dotted names such as
// `blocks.3.attn.q_proj.weight` (the keys of a checkpoint).
//
// Parameters are registered by address: the registry points at the Tensor member of the layer,
// so a layer's `weight` member and the registry's entry are the same handle even after
// `to(dtype)` replaces it. Modules are therefore neither copyable nor movable; hold them by
// std::shared_ptr (children are registered as shared_ptr).
//
// Devices: `to(Device)` moves every parameter, buffer and transient buffer (and the parameters'
// accumulated gradients) in place: each keeps its TensorImpl and only its storage changes, so
// Tensor handles held elsewhere (an optimizer's parameter list, a layer's member) follow the
// move. Optimizer state is created lazily on the parameter's device (nn/optim.h), so the usual
// order is: build, module.to(device), then make the optimizer; moving after steps were taken
// leaves the optimizer's moments on the old device (the next step refuses with DeviceError).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace amor::nn {

class Module {
 public:
  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  virtual ~Module() = default;

  // A short type name for messages and checkpoints ("Linear", "MLP", ...).
  virtual std::string type_name() const = 0;

  std::vector<std::pair<std::string, Tensor>> named_parameters() const;
  std::vector<Tensor> parameters() const;
  std::vector<std::pair<std::string, Tensor>> named_buffers() const;
  // Parameters then buffers, the content of a checkpoint.
  std::vector<std::pair<std::string, Tensor>> state() const;
  // Mutable access to a registered parameter or buffer by dotted name (nullptr if absent).
  Tensor* find_state(const std::string& dotted_name);
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const { return children_; }

  int64_t num_parameters() const;
  void zero_grad();
  // Converts every parameter and buffer to `dtype` (float32/float64); parameters stay leaves.
  void to(DType dtype);
  // Moves parameters, buffers, transient buffers and the parameters' gradients to `device` in
  // place (see the note at the top); a no-op for tensors already there.
  void to(Device device);
  // The device of the first parameter or buffer (of this module or a child); CPU for a module
  // without state.
  Device device() const;

  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

 protected:
  // Registers `*slot` (a member of the derived class) as a parameter: marks it requires_grad.
  void register_parameter(std::string name, Tensor* slot);
  void register_buffer(std::string name, Tensor* slot);
  // A tensor that follows the module across devices but is not part of its state (not saved in
  // checkpoints): index tensors derived from the configuration, for example.
  void register_transient_buffer(Tensor* slot);
  template <class M>
  std::shared_ptr<M> register_module(std::string name, std::shared_ptr<M> m) {
    add_child(std::move(name), m);
    return m;
  }

 private:
  void add_child(std::string name, std::shared_ptr<Module> m);
  void check_new_name(const std::string& name) const;
  // Calls f on this module's and its children's transient buffers.
  void collect_transient_buffers(const std::function<void(Tensor*)>& f) const;
  template <class F> void visit_state(const std::string& prefix, bool params, bool buffers, F&& f) const;

  std::vector<std::pair<std::string, Tensor*>> params_;
  std::vector<std::pair<std::string, Tensor*>> buffers_;
  std::vector<Tensor*> transient_buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

// A module with one tensor in and one out: what Sequential chains.
class UnaryModule : public Module {
 public:
  virtual Tensor forward(const Tensor& x) = 0;
  Tensor operator()(const Tensor& x) { return forward(x); }
};

}  // namespace amor::nn
