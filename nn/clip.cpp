#include "nn/clip.h"

#include <cmath>

#include "core/autograd.h"

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
}  // namespace

double clip_grad_norm(const std::vector<Tensor>& params_in, double max_norm) {
  AMOR_CHECK(max_norm > 0, ValueError, "clip_grad_norm: max_norm must be positive, got ", max_norm);
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

}  // namespace amor::nn
