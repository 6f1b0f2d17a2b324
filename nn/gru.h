// GRU: a gated recurrent unit over channels-last sequences, with PyTorch's equations, gate order
// (r, z, n) and parameter layout, so weights can be exchanged with torch.nn.GRU:
//   r_t = σ(W_ir x_t + b_ir + W_hr h + b_hr)
//   z_t = σ(W_iz x_t + b_iz + W_hz h + b_hz)
//   n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h + b_hn))
//   h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1},   h_0 = 0
// weight_ih [3H, C], weight_hh [3H, H], bias_ih [3H], bias_hh [3H], all U(-1/√H, 1/√H).
//
// The input projection of every step is one GEMM over [B·L, C]; the recurrence runs step by step
// from recorded core ops, so backpropagation through time is autodiff's.
//
// Masks: mask bool [B, L], true = a real step. A step that is not real leaves h unchanged, so with
// trailing padding the final state of a padded sequence is exactly that of the unpadded one, in
// either direction (reverse = true runs from the last step to the first: padded steps then come
// first and keep h at h_0 = 0).
#pragma once

#include "core/random.h"
#include "nn/module.h"

namespace amor::nn {

class GRU : public Module {
 public:
  GRU(int64_t input_size, int64_t hidden_size, Generator& gen, DType dtype = DType::F32);
  std::string type_name() const override { return "GRU"; }

  // x: [B, L, C]; mask: bool [B, L] or undefined. Returns the final state [B, H]; with
  // `states`, also every state h_t in input order, [B, L, H].
  Tensor forward(const Tensor& x, const Tensor& mask = Tensor(), bool reverse = false,
                 Tensor* states = nullptr) const;

  int64_t input_size() const { return in_; }
  int64_t hidden_size() const { return hidden_; }
  Tensor weight_ih, weight_hh, bias_ih, bias_hh;

 private:
  int64_t in_, hidden_;
};

}  // namespace amor::nn
