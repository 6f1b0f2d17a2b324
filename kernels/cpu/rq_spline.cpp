#include "kernels/cpu/rq_spline.h"

#include "kernels/cpu/loops.h"

namespace amor::kernels::cpu {

namespace {
// float32 data is computed in double too (see "Precision" in rq_spline.h).
using Compute = double;
}  // namespace

template <class T>
void rq_spline_fwd(const RQSplineConfig& config, bool inverse, const T* x, const T* params,
                   int64_t count, T* y, T* logabsdet) {
  const rq_spline::Spec<Compute> sp = rq_spline::make_spec<Compute>(config);
  const int64_t P = rq_spline_num_params(config.num_bins);
  // Work per element is a few passes over its 3K - 1 parameters.
  detail::for_each_row(count, count * P * 4, [&](int64_t e) {
    Compute ye, lade;
    rq_spline::forward(sp, inverse, Compute(x[e]), params + e * P, ye, lade);
    y[e] = T(ye);
    logabsdet[e] = T(lade);
  });
}

template <class T>
void rq_spline_bwd(const RQSplineConfig& config, bool inverse, const T* x, const T* params,
                   const T* gy, const T* glogabsdet, int64_t count, T* gx, T* gparams) {
  const rq_spline::Spec<Compute> sp = rq_spline::make_spec<Compute>(config);
  const int64_t P = rq_spline_num_params(config.num_bins);
  detail::for_each_row(count, count * P * 6, [&](int64_t e) {
    Compute gxe = 0;
    rq_spline::backward(sp, inverse, Compute(x[e]), params + e * P,
                        gy ? Compute(gy[e]) : Compute(0),
                        glogabsdet ? Compute(glogabsdet[e]) : Compute(0), gx ? &gxe : nullptr,
                        gparams ? gparams + e * P : nullptr);
    if (gx) gx[e] = T(gxe);
  });
}

template void rq_spline_fwd<float>(const RQSplineConfig&, bool, const float*, const float*, int64_t,
                                   float*, float*);
template void rq_spline_fwd<double>(const RQSplineConfig&, bool, const double*, const double*,
                                    int64_t, double*, double*);
template void rq_spline_bwd<float>(const RQSplineConfig&, bool, const float*, const float*,
                                   const float*, const float*, int64_t, float*, float*);
template void rq_spline_bwd<double>(const RQSplineConfig&, bool, const double*, const double*,
                                    const double*, const double*, int64_t, double*, double*);

}  // namespace amor::kernels::cpu
