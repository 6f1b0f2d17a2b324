#include "nn/clip.h"

#include <cmath>

#include "core/autograd.h"
#include "core/ops.h"

namespace amor::nn {

namespace {
// The gradient of p, made contiguous and owned so it can be scaled in place.
Tensor owned_grad(Tensor& p) {
  Tensor g = p.grad();
  if (g.defined() && !g.is_contiguous()) {
    g = g.contiguous();
    p.set_grad(g);
  }
  return g;
}

bool all_grads_on_cpu(const std::vector<Tensor>& params) {
  for (const Tensor& p : params)
    if (p.requires_grad() && p.is_leaf() && p.grad().defined() && !p.grad().device().is_cpu()) return false;
  return true;
}

// adaptive_clip_grad for one parameter off the CPU: the host loop's arithmetic per unit row.
void adaptive_clip_on_device(const Tensor& p, const Tensor& g, double clipping, double eps) {
  if (p.numel() == 0) return;
  const int64_t units = p.dim() >= 2 ? p.shape()[0] : 1;
  const Tensor w_rows = p.detach().reshape({units, -1}).to(DType::F64);  // [units, len]
  Tensor g_rows = g.view({units, -1});                                   // shares g's storage
  const Tensor wn = sqrt(sum(square(w_rows), {1}, true));                // [units, 1]
  const Tensor gn = sqrt(sum(square(g_rows.to(DType::F64)), {1}, true));
  const Tensor max_norm = clamp(wn, eps, std::nullopt) * clipping;
  // ×1 where the unit is within bounds: exact, so those gradients are unchanged, as on the CPU.
  const Tensor scale = where(gt(gn, max_norm), max_norm / clamp(gn, 1e-6, std::nullopt), 1.0);
  g_rows.mul_(scale.to(g.dtype()));
}
}  // namespace

Tensor clip_grad_norm_tensor(const std::vector<Tensor>& params_in, double max_norm) {
  AMOR_CHECK(max_norm > 0, ValueError, "clip_grad_norm: max_norm must be positive, got ", max_norm);
  NoGradGuard no_grad;
  std::vector<Tensor> params = params_in;
  std::vector<Tensor> grads;
  for (Tensor& p : params)
    if (Tensor g = owned_grad(p); g.defined()) grads.push_back(g);
  if (grads.empty()) return Tensor();
  Tensor total;  // 0-d float64 on the gradients' device
  for (const Tensor& g : grads) {
    AMOR_CHECK(g.device() == grads.front().device(), DeviceError, "clip_grad_norm: gradients on ",
               grads.front().device(), " and ", g.device(), "; clip each device's parameters separately");
    const Tensor s = sum(square(g.to(DType::F64)));
    total = total.defined() ? total + s : s;
  }
  const Tensor norm = sqrt(total);
  // min(1, max_norm / (‖g‖ + 1e-6)); multiplying by exactly 1 leaves the gradients unchanged.
  const Tensor scale = clamp(max_norm / (norm + 1e-6), std::nullopt, 1.0);
  for (Tensor& g : grads) g.mul_(scale.to(g.dtype()));
  return norm;
}

double clip_grad_norm(const std::vector<Tensor>& params_in, double max_norm) {
  AMOR_CHECK(max_norm > 0, ValueError, "clip_grad_norm: max_norm must be positive, got ", max_norm);
  if (!all_grads_on_cpu(params_in)) {
    const Tensor norm = clip_grad_norm_tensor(params_in, max_norm);
    return norm.defined() ? norm.to(Device::cpu()).item<double>() : 0.0;
  }
  NoGradGuard no_grad;
  std::vector<Tensor> params = params_in;
  double total = 0;
  for (Tensor& p : params) {
    Tensor g = owned_grad(p);
    if (!g.defined()) continue;
    dispatch_float(g.dtype(), "clip_grad_norm", [&]<class T>() {
      const T* gp = g.data<T>();
      double s = 0;
      for (int64_t i = 0, n = g.numel(); i < n; ++i) s += double(gp[i]) * double(gp[i]);
      total += s;
    });
  }
  const double norm = std::sqrt(total);
  const double scale = max_norm / (norm + 1e-6);
  if (scale < 1)
    for (Tensor& p : params)
      if (Tensor g = owned_grad(p); g.defined()) g.mul_(scale);
  return norm;
}

void adaptive_clip_grad(const std::vector<Tensor>& params_in, double clipping, double eps) {
  AMOR_CHECK(clipping > 0 && eps >= 0, ValueError, "adaptive_clip_grad: clipping must be positive, eps >= 0");
  NoGradGuard no_grad;
  std::vector<Tensor> params = params_in;
  for (Tensor& p : params) {
    Tensor g = owned_grad(p);
    if (!g.defined()) continue;
    if (!g.device().is_cpu()) {
      adaptive_clip_on_device(p, g, clipping, eps);
      continue;
    }
    Tensor w = p.contiguous();
    // Units: rows over the first axis for >= 2-D tensors, the whole tensor otherwise.
    const int64_t units = p.dim() >= 2 ? p.shape()[0] : 1;
    const int64_t len = units ? p.numel() / units : 0;
    dispatch_float(p.dtype(), "adaptive_clip_grad", [&]<class T>() {
      const T* wp = w.data<T>();
      T* gp = g.data<T>();
      for (int64_t u = 0; u < units; ++u) {
        double wn = 0, gn = 0;
        for (int64_t i = u * len; i < (u + 1) * len; ++i) {
          wn += double(wp[i]) * double(wp[i]);
          gn += double(gp[i]) * double(gp[i]);
        }
        const double max_norm = std::max(std::sqrt(wn), eps) * clipping;
        gn = std::sqrt(gn);
        if (gn > max_norm) {
          const T s = T(max_norm / std::max(gn, 1e-6));
          for (int64_t i = u * len; i < (u + 1) * len; ++i) gp[i] *= s;
        }
      }
    });
    g.bump_version();
  }
}

void adaptive_clip_grad_tensor_ops(const std::vector<Tensor>& params_in, double clipping, double eps) {
  AMOR_CHECK(clipping > 0 && eps >= 0, ValueError, "adaptive_clip_grad: clipping must be positive, eps >= 0");
  NoGradGuard no_grad;
  std::vector<Tensor> params = params_in;
  for (Tensor& p : params)
    if (Tensor g = owned_grad(p); g.defined()) adaptive_clip_on_device(p, g, clipping, eps);
}

}  // namespace amor::nn
