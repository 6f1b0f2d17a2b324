// Fused LayerNorm over the last axis: device code and launch plan (contract: kernels/cpu/
// layer_norm.h; GPU entry points: kernels/cuda/layer_norm.h).
//   forward   one warp per row: the mean and the biased variance as two warp reductions
//             (two-pass, as the CPU kernel), then y = (x − mean)·rstd·w + b.
//   backward  dw, db: one block per 32 columns, 8 threads per column summing strided rows, the
//             8 partials added in a fixed order (deterministic, no atomics); then dx: one warp
//             per row, dx = rstd (g − mean(g) − x̂ mean(g x̂)), g = dy·w. The parameter kernel runs
//             first, so dx may alias dy or x.
#pragma once

#include <stdexcept>

#include "kernels/cuda/kernel_support.cuh"

namespace amor::kernels::cuda {

inline constexpr int kLayerNormWarps = 4;       // rows per block (forward, dx)
inline constexpr int kLayerNormColumnSplit = 8; // threads per column (dw, db)

template <class T>
__global__ void layer_norm_fwd_kernel(const T* x, const T* w, const T* b, T* y, T* mean, T* rstd,
                                      int64_t rows, int64_t C, T eps) {
  using namespace device;
  const int warp = int(threadIdx.x) / kWarp, lane = int(threadIdx.x) % kWarp;
  const int64_t r = int64_t(blockIdx.x) * kLayerNormWarps + warp;
  if (r >= rows) return;  // the whole warp; no block barrier in this kernel
  const T* xr = x + r * C;
  const T inv_c = C > 0 ? T(1) / T(C) : T(0);
  T s = T(0);
  for (int64_t i = lane; i < C; i += kWarp) s += xr[i];
  const T mu = warp_sum(s) * inv_c;
  T ss = T(0);
  for (int64_t i = lane; i < C; i += kWarp) {
    const T d = xr[i] - mu;
    ss += d * d;
  }
  const T rs = T(1) / sqrt_(warp_sum(ss) * inv_c + eps);
  // Every read of the row is done (the reductions are collectives): y may alias x.
  T* yr = y + r * C;
  for (int64_t i = lane; i < C; i += kWarp) {
    T v = (xr[i] - mu) * rs;
    if (w) v *= w[i];
    if (b) v += b[i];
    yr[i] = v;
  }
  if (lane == 0) {
    if (mean) mean[r] = mu;
    if (rstd) rstd[r] = rs;
  }
}

// blockDim = (32, kLayerNormColumnSplit); block c covers columns 32c .. 32c + 31.
template <class T>
__global__ void layer_norm_bwd_params_kernel(const T* dy, const T* x, const T* mean,
                                             const T* rstd, T* dw, T* db, int64_t rows,
                                             int64_t C) {
  AMOR_DYNAMIC_SHARED(T, part);  // [2][kLayerNormColumnSplit][32]
  const int tx = int(threadIdx.x), ty = int(threadIdx.y);
  const int64_t c = int64_t(blockIdx.x) * kWarp + tx;
  T sw = T(0), sb = T(0);
  if (c < C) {
    for (int64_t r = ty; r < rows; r += kLayerNormColumnSplit) {
      const T g = dy[r * C + c];
      sw += g * ((x[r * C + c] - mean[r]) * rstd[r]);
      sb += g;
    }
  }
  part[ty * kWarp + tx] = sw;
  part[(kLayerNormColumnSplit + ty) * kWarp + tx] = sb;
  __syncthreads();
  if (ty == 0 && c < C) {
    T a = T(0), bb = T(0);
    for (int k = 0; k < kLayerNormColumnSplit; ++k) {
      a += part[k * kWarp + tx];
      bb += part[(kLayerNormColumnSplit + k) * kWarp + tx];
    }
    if (dw) dw[c] = a;
    if (db) db[c] = bb;
  }
}

template <class T>
__global__ void layer_norm_bwd_dx_kernel(const T* dy, const T* x, const T* w, const T* mean,
                                         const T* rstd, T* dx, int64_t rows, int64_t C) {
  using namespace device;
  const int warp = int(threadIdx.x) / kWarp, lane = int(threadIdx.x) % kWarp;
  const int64_t r = int64_t(blockIdx.x) * kLayerNormWarps + warp;
  if (r >= rows) return;
  const T* xr = x + r * C;
  const T* gr = dy + r * C;
  const T mu = mean[r], rs = rstd[r];
  const T inv_c = C > 0 ? T(1) / T(C) : T(0);
  T sg = T(0), sgx = T(0);
  for (int64_t i = lane; i < C; i += kWarp) {
    const T g = w ? gr[i] * w[i] : gr[i];
    sg += g;
    sgx += g * ((xr[i] - mu) * rs);
  }
  const T g_mean = warp_sum(sg) * inv_c;
  const T gx_mean = warp_sum(sgx) * inv_c;
  T* dr = dx + r * C;
  for (int64_t i = lane; i < C; i += kWarp) {
    const T g = w ? gr[i] * w[i] : gr[i];
    dr[i] = rs * (g - g_mean - (xr[i] - mu) * rs * gx_mean);
  }
}

inline void check_layer_norm_shape(int64_t rows, int64_t C) {
  if (rows < 0 || C < 0) throw std::invalid_argument("cuda layer_norm: negative shape");
  if (ceil_div(rows, kLayerNormWarps) > int64_t{0x7fffffff} || ceil_div(C, kWarp) > int64_t{0x7fffffff})
    throw std::invalid_argument("cuda layer_norm: too many rows or columns for one grid");
}

inline LaunchShape layer_norm_rows_shape(int64_t rows) {
  return {dim3(unsigned(ceil_div(rows, kLayerNormWarps))), dim3(kLayerNormWarps * kWarp), 0};
}

template <class T, class Launch>
void run_layer_norm_fwd(const T* x, const T* w, const T* b, T* y, T* mean, T* rstd, int64_t rows,
                        int64_t C, T eps, Launch&& launch) {
  check_layer_norm_shape(rows, C);
  if (rows == 0) return;
  launch(layer_norm_rows_shape(rows), layer_norm_fwd_kernel<T>, x, w, b, y, mean, rstd, rows, C,
         eps);
}

template <class T, class Launch>
void run_layer_norm_bwd(const T* dy, const T* x, const T* w, const T* mean, const T* rstd, T* dx,
                        T* dw, T* db, int64_t rows, int64_t C, Launch&& launch) {
  check_layer_norm_shape(rows, C);
  if ((dw || db) && C > 0) {
    const LaunchShape s{dim3(unsigned(ceil_div(C, kWarp))), dim3(kWarp, kLayerNormColumnSplit),
                        sizeof(T) * 2 * kLayerNormColumnSplit * kWarp};
    launch(s, layer_norm_bwd_params_kernel<T>, dy, x, mean, rstd, dw, db, rows, C);
  }
  if (dx && rows > 0)
    launch(layer_norm_rows_shape(rows), layer_norm_bwd_dx_kernel<T>, dy, x, w, mean, rstd, dx,
           rows, C);
}

}  // namespace amor::kernels::cuda
