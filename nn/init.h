// Parameter initialisation, deterministic from an explicit Generator.
#pragma once

#include "core/random.h"
#include "core/tensor.h"

namespace amor::nn::init {

// U(-bound, bound) of the given shape.
Tensor uniform(const Shape& shape, double bound, Generator& gen, DType dtype = DType::F32);
// PyTorch's Linear default: weight and bias ~ U(-1/√fan_in, 1/√fan_in).
Tensor linear_default(const Shape& shape, int64_t fan_in, Generator& gen, DType dtype = DType::F32);
// Glorot/Xavier uniform: U(-a, a) with a = gain·√(6 / (fan_in + fan_out)).
Tensor xavier_uniform(const Shape& shape, int64_t fan_in, int64_t fan_out, Generator& gen,
                      double gain = 1.0, DType dtype = DType::F32);
Tensor normal(const Shape& shape, double std, Generator& gen, DType dtype = DType::F32);

}  // namespace amor::nn::init
