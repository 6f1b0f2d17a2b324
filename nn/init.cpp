#include "nn/init.h"

#include <cmath>

namespace amor::nn::init {

Tensor uniform(const Shape& shape, double bound, Generator& gen, DType dtype) {
  return amor::uniform(shape, -bound, bound, gen, {.dtype = dtype});
}

Tensor linear_default(const Shape& shape, int64_t fan_in, Generator& gen, DType dtype) {
  return uniform(shape, fan_in > 0 ? 1.0 / std::sqrt(double(fan_in)) : 0.0, gen, dtype);
}

Tensor xavier_uniform(const Shape& shape, int64_t fan_in, int64_t fan_out, Generator& gen, double gain,
                      DType dtype) {
  return uniform(shape, gain * std::sqrt(6.0 / double(std::max<int64_t>(fan_in + fan_out, 1))), gen, dtype);
}

Tensor normal(const Shape& shape, double std, Generator& gen, DType dtype) {
  return amor::normal(shape, 0.0, std, gen, {.dtype = dtype});
}

}  // namespace amor::nn::init
