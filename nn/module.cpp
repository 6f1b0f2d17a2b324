#include "nn/module.h"

#include <algorithm>
#include <functional>
#include <optional>

#include "core/autograd.h"

namespace amor::nn {

void Module::check_new_name(const std::string& name) const {
  AMOR_CHECK(!name.empty() && name.find('.') == std::string::npos, ValueError, type_name(),
             ": invalid member name '", name, "' (non-empty, no dots)");
  auto taken = [&](const auto& list) {
    for (const auto& [n, _] : list)
      if (n == name) return true;
    return false;
  };
  AMOR_CHECK(!taken(params_) && !taken(buffers_) && !taken(children_), ValueError, type_name(),
             ": name '", name, "' registered twice");
}

void Module::register_parameter(std::string name, Tensor* slot) {
  check_new_name(name);
  AMOR_CHECK(slot && slot->defined(), ValueError, type_name(), ": parameter '", name, "' is undefined");
  AMOR_CHECK(slot->is_leaf(), AutogradError, type_name(), ": parameter '", name,
             "' must be a leaf tensor (detach it first)");
  slot->requires_grad_(true);
  params_.emplace_back(std::move(name), slot);
}

void Module::register_buffer(std::string name, Tensor* slot) {
  check_new_name(name);
  AMOR_CHECK(slot && slot->defined(), ValueError, type_name(), ": buffer '", name, "' is undefined");
  buffers_.emplace_back(std::move(name), slot);
}

void Module::register_transient_buffer(Tensor* slot) {
  AMOR_CHECK(slot && slot->defined(), ValueError, type_name(), ": transient buffer is undefined");
  transient_buffers_.push_back(slot);
}

void Module::add_child(std::string name, std::shared_ptr<Module> m) {
  check_new_name(name);
  AMOR_CHECK(m != nullptr, ValueError, type_name(), ": child module '", name, "' is null");
  children_.emplace_back(std::move(name), std::move(m));
}

template <class F>
void Module::visit_state(const std::string& prefix, bool params, bool buffers, F&& f) const {
  if (params)
    for (const auto& [n, t] : params_) f(prefix + n, t);
  if (buffers)
    for (const auto& [n, t] : buffers_) f(prefix + n, t);
  for (const auto& [n, c] : children_) c->visit_state(prefix + n + ".", params, buffers, f);
}

std::vector<std::pair<std::string, Tensor>> Module::named_parameters() const {
  std::vector<std::pair<std::string, Tensor>> out;
  visit_state("", true, false, [&](const std::string& n, Tensor* t) { out.emplace_back(n, *t); });
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  visit_state("", true, false, [&](const std::string&, Tensor* t) { out.push_back(*t); });
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_buffers() const {
  std::vector<std::pair<std::string, Tensor>> out;
  visit_state("", false, true, [&](const std::string& n, Tensor* t) { out.emplace_back(n, *t); });
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::state() const {
  std::vector<std::pair<std::string, Tensor>> out = named_parameters();
  for (auto& b : named_buffers()) out.push_back(std::move(b));
  return out;
}

Tensor* Module::find_state(const std::string& dotted) {
  auto dot = dotted.find('.');
  if (dot == std::string::npos) {
    for (auto& [n, t] : params_)
      if (n == dotted) return t;
    for (auto& [n, t] : buffers_)
      if (n == dotted) return t;
    return nullptr;
  }
  const std::string head = dotted.substr(0, dot);
  for (auto& [n, c] : children_)
    if (n == head) return c->find_state(dotted.substr(dot + 1));
  return nullptr;
}

int64_t Module::num_parameters() const {
  int64_t n = 0;
  for (const Tensor& p : parameters()) n += p.numel();
  return n;
}

void Module::zero_grad() {
  for (Tensor p : parameters()) p.zero_grad();
}

void Module::to(DType dtype) {
  AMOR_CHECK(is_floating(dtype), DTypeError, type_name(), ".to: modules hold floating tensors, not ", dtype);
  NoGradGuard no_grad;
  visit_state("", true, true, [&](const std::string&, Tensor* t) {
    if (!is_floating(t->dtype()) || t->dtype() == dtype) return;
    bool was_param = t->requires_grad();
    *t = t->to(dtype);
    if (was_param) t->requires_grad_(true);
  });
}

void Module::to(Device device) {
  NoGradGuard no_grad;
  // Every tensor that moves, each once (a module may be registered under two parents).
  std::vector<TensorImpl*> impls;
  auto add = [&](const Tensor& t) {
    if (t.device() != device && std::find(impls.begin(), impls.end(), t.impl()) == impls.end())
      impls.push_back(t.impl());
  };
  visit_state("", true, true, [&](const std::string&, Tensor* t) { add(*t); });
  collect_transient_buffers([&](Tensor* t) { add(*t); });
  // All copies first, then the swap: a failing copy (no device, out of memory) leaves the module
  // untouched rather than split across devices.
  struct Moved {
    TensorImpl* impl;
    Tensor data, grad;
  };
  std::vector<Moved> moved;
  moved.reserve(impls.size());
  for (TensorImpl* impl : impls) {
    Moved m{impl, Tensor(Ptr<TensorImpl>(impl)).detach().to(device), Tensor()};  // contiguous on `device`
    if (impl->grad) m.grad = Tensor(impl->grad).detach().to(device);
    moved.push_back(std::move(m));
  }
  // Each TensorImpl keeps its identity (handles held by optimizers and layers follow); only its
  // storage changes. Views of the old storage held elsewhere keep the old data.
  for (Moved& m : moved) {
    m.impl->storage = m.data.storage();
    m.impl->strides = m.data.strides();
    m.impl->offset = m.data.offset();
    m.impl->refresh_contiguity();
    if (m.grad.defined()) m.impl->grad = m.grad.impl_ptr();
  }
}

void Module::collect_transient_buffers(const std::function<void(Tensor*)>& f) const {
  for (Tensor* t : transient_buffers_) f(t);
  for (const auto& [_, c] : children_) c->collect_transient_buffers(f);
}

Device Module::device() const {
  std::optional<Device> found;
  visit_state("", true, true, [&](const std::string&, Tensor* t) {
    if (!found) found = t->device();
  });
  if (!found) collect_transient_buffers([&](Tensor* t) {
    if (!found) found = t->device();
  });
  return found.value_or(Device::cpu());
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [_, c] : children_) c->train(on);
}

}  // namespace amor::nn
