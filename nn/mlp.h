// MLP: Linear layers with an activation between them (none after the last), optionally as
// residual blocks (x + f(x) between hidden layers of equal width) and with a zero-initialised
// last layer, so that a residual network or a flow's conditioner starts as the identity / zero.
#pragma once

#include <memory>
#include <vector>

#include "core/random.h"
#include "nn/activation.h"
#include "nn/linear.h"
#include "nn/module.h"
#include "nn/module_list.h"

namespace amor::nn {

struct MLPOptions {
  Act activation = Act::Relu;
  bool residual = false;          // hidden->hidden layers become h + act(W h + b)
  bool zero_init_last = false;    // last layer starts at zero
  DType dtype = DType::F32;
};

class MLP : public UnaryModule {
 public:
  // widths = {in, hidden..., out}; at least two entries.
  MLP(const std::vector<int64_t>& widths, Generator& gen, MLPOptions options = {});
  std::string type_name() const override { return "MLP"; }
  Tensor forward(const Tensor& x) override;  // [..., in] -> [..., out]
  const std::vector<int64_t>& widths() const { return widths_; }

 private:
  std::vector<int64_t> widths_;
  MLPOptions options_;
  std::shared_ptr<ModuleList<Linear>> layers_;
};

}  // namespace amor::nn
