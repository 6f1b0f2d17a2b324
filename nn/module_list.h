// ModuleList<M>: an indexed list of child modules named 0, 1, ... (checkpoint keys such as
// `blocks.3.attn.q_proj.weight`).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nn/module.h"

namespace amor::nn {

template <class M>
class ModuleList : public Module {
 public:
  std::string type_name() const override { return "ModuleList"; }
  std::shared_ptr<M> push_back(std::shared_ptr<M> m) {
    items_.push_back(m);
    return register_module(std::to_string(items_.size() - 1), std::move(m));
  }
  size_t size() const { return items_.size(); }
  M& operator[](size_t i) const { return *items_.at(i); }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }

 private:
  std::vector<std::shared_ptr<M>> items_;
};

}  // namespace amor::nn
