// Embedding: a learned table [num, dim]; forward looks rows up by int64 index.
#pragma once

#include "core/random.h"
#include "nn/module.h"

namespace amor::nn {

class Embedding : public Module {
 public:
  // Rows start ~ N(0, 1), as in PyTorch.
  Embedding(int64_t num, int64_t dim, Generator& gen, DType dtype = DType::F32);
  std::string type_name() const override { return "Embedding"; }
  Tensor forward(const Tensor& index) const;  // index: int64 [...] -> [..., dim]

  Tensor weight;

 private:
  int64_t num_, dim_;
};

}  // namespace amor::nn
