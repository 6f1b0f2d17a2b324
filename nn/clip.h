// Gradient clipping, applied to the parameters' .grad in place.
//
// Devices: CPU gradients take fused host loops; gradients on a CUDA device are clipped with
// whole-tensor ops on the device (the norms are reduced there, in float64), with no host read
// per parameter: clip_grad_norm_tensor reads nothing back, clip_grad_norm reads the one total
// norm it returns.
#pragma once

#include <vector>

#include "core/tensor.h"

namespace amor::nn {

// Scales all gradients by min(1, max_norm / ‖g‖₂) where ‖g‖₂ is taken over every gradient
// together (torch.nn.utils.clip_grad_norm_). Returns the norm before clipping.
double clip_grad_norm(const std::vector<Tensor>& params, double max_norm);
// The same, returning the norm before clipping as a 0-d float64 tensor on the gradients' device
// (all gradients must share one device: DeviceError otherwise); undefined when no parameter has
// a gradient.
Tensor clip_grad_norm_tensor(const std::vector<Tensor>& params, double max_norm);

// Adaptive gradient clipping (Brock et al. 2021; optax.adaptive_grad_clip): per unit, the
// gradient is rescaled to at most clipping · max(‖w_unit‖, eps). A unit is one output row of a
// weight matrix [out, in] (norm over the trailing axes) and the whole tensor for vectors/scalars.
void adaptive_clip_grad(const std::vector<Tensor>& params, double clipping, double eps = 1e-3);

// adaptive_clip_grad with the whole-tensor ops device gradients take, for gradients on any
// device (CPU included): the twin the tests compare the host loop with.
void adaptive_clip_grad_tensor_ops(const std::vector<Tensor>& params, double clipping, double eps = 1e-3);

}  // namespace amor::nn
