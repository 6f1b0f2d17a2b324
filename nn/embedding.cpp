#include "nn/embedding.h"

#include "core/ops.h"
#include "nn/init.h"

namespace amor::nn {

Embedding::Embedding(int64_t num, int64_t dim, Generator& gen, DType dtype) : num_(num), dim_(dim) {
  AMOR_CHECK(num > 0 && dim > 0, ValueError, "Embedding: sizes must be positive, got ", num, "x", dim);
  weight = init::normal(Shape{num, dim}, 1.0, gen, dtype);
  register_parameter("weight", &weight);
}

Tensor Embedding::forward(const Tensor& index) const {
  AMOR_CHECK(index.dtype() == DType::I64, DTypeError, "Embedding: index must be int64, got ", index.dtype());
  Shape out = index.shape();
  out.push_back(dim_);
  return index_select(weight, 0, index.reshape(Shape{-1})).reshape(out);
}

}  // namespace amor::nn
