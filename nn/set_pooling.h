// Pooling over a set axis for permutation-invariant summary networks (DeepSet, SetTransformer).
// x: [B, N, C]; mask: bool [B, N] with true = a real element (padding is false), or undefined.
// A set with no real element pools to 0 (mean and max), never NaN.
#pragma once

#include "core/tensor.h"

namespace amor::nn {

enum class Pool { Mean, Sum, Max };

Tensor set_pool(const Tensor& x, Pool kind, const Tensor& mask = Tensor());

}  // namespace amor::nn
