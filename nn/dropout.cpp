#include "nn/dropout.h"

#include "core/ops.h"

namespace amor::nn {

Dropout::Dropout(double p, uint64_t seed) : p_(p), gen_(seed, 0xD50) {
  AMOR_CHECK(p >= 0 && p < 1, ValueError, "Dropout: p must be in [0, 1), got ", p);
}

Tensor Dropout::forward(const Tensor& x) {
  if (!is_training() || p_ == 0) return x;
  Tensor keep = bernoulli(x.shape(), 1.0 - p_, gen_).to(x.device());  // drawn on the host
  return where(keep, x * (1.0 / (1.0 - p_)), 0.0);
}

}  // namespace amor::nn
