// Embeddings of a scalar time t ∈ [0, 1] for diffusion models.
#pragma once

#include "core/random.h"
#include "nn/module.h"

namespace amor::nn {

// Gaussian Fourier features: [cos(2π t b), sin(2π t b)] with fixed frequencies b ~ N(0, scale²)
// (a buffer, not trained). t: [B] or [B, 1] -> [B, dim] (dim even).
class GaussianFourierEmbedding : public Module {
 public:
  GaussianFourierEmbedding(int64_t dim, Generator& gen, double scale = 1.0, DType dtype = DType::F32);
  std::string type_name() const override { return "GaussianFourierEmbedding"; }
  Tensor forward(const Tensor& t) const;

  Tensor frequencies;  // [dim / 2]

 private:
  int64_t dim_;
};

// Transformer-style sinusoidal embedding with frequencies 1/max_period^(i/half).
Tensor sinusoidal_embedding(const Tensor& t, int64_t dim, double max_period = 10000.0);

}  // namespace amor::nn
