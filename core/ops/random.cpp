// Random tensors. See core/random.h: element i of every call is a pure function of
// (seed, stream, offset + i), so results do not depend on threads.
#include "core/random.h"

#include <cmath>

#include "core/ops/op_utils.h"
#include "core/ops.h"
#include "kernels/cpu/random.h"
#include "kernels/cuda/random.h"

namespace amor {
namespace {

namespace kc = kernels::cpu;
namespace kcu = kernels::cuda;

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}


Tensor finish(Tensor t, const TensorOptions& o) {
  if (o.requires_grad) t.requires_grad_();
  return t;
}

}  // namespace

Generator Generator::fork(uint64_t sub_stream) const {
  return Generator(seed_, splitmix64(stream_ ^ splitmix64(sub_stream + 1)));
}

Tensor uniform(const Shape& shape, double lo, double hi, Generator& gen, TensorOptions o) {
  AMOR_CHECK(lo <= hi, ValueError, "uniform: lo ", lo, " > hi ", hi);
  ops::check_device_usable("uniform", o.device);
  Tensor t = Tensor::empty(shape, o.dtype, o.device);
  const int64_t n = t.numel();
  const uint64_t off = gen.advance(uint64_t(n));
  dispatch_float(o.dtype, "uniform", [&]<class T>() {
    if (ops::use_device_of(t)) {
      AMOR_CUDA_ONLY("uniform", kcu::fill_uniform<T>(t.data<T>(), n, gen.seed(), gen.stream(), off, T(lo), T(hi)));
      return;
    }
    kc::fill_uniform<T>(t.data<T>(), n, gen.seed(), gen.stream(), off, T(lo), T(hi));
  });
  return finish(t, o);
}

Tensor rand(const Shape& shape, Generator& gen, TensorOptions o) { return uniform(shape, 0.0, 1.0, gen, o); }

Tensor normal(const Shape& shape, double mean, double std, Generator& gen, TensorOptions o) {
  AMOR_CHECK(std >= 0, ValueError, "normal: std must be >= 0, got ", std);
  ops::check_device_usable("normal", o.device);
  Tensor t = Tensor::empty(shape, o.dtype, o.device);
  const int64_t n = t.numel();
  const uint64_t off = gen.advance(uint64_t(n));
  dispatch_float(o.dtype, "normal", [&]<class T>() {
    if (ops::use_device_of(t)) {
      AMOR_CUDA_ONLY("normal", kcu::fill_normal<T>(t.data<T>(), n, gen.seed(), gen.stream(), off, T(mean), T(std)));
      return;
    }
    kc::fill_normal<T>(t.data<T>(), n, gen.seed(), gen.stream(), off, T(mean), T(std));
  });
  return finish(t, o);
}

Tensor randn(const Shape& shape, Generator& gen, TensorOptions o) { return normal(shape, 0.0, 1.0, gen, o); }

Tensor randint(int64_t lo, int64_t hi, const Shape& shape, Generator& gen) {
  AMOR_CHECK(lo < hi, ValueError, "randint: empty range [", lo, ", ", hi, ")");
  Tensor t = Tensor::empty(shape, DType::I64);
  const int64_t n = t.numel();
  kc::fill_randint(t.data<int64_t>(), n, gen.seed(), gen.stream(), gen.advance(uint64_t(n)), lo, hi);
  return t;
}

Tensor bernoulli(const Shape& shape, double p, Generator& gen) {
  AMOR_CHECK(p >= 0 && p <= 1, ValueError, "bernoulli: probability ", p, " outside [0, 1]");
  Tensor t = Tensor::empty(shape, DType::Bool);
  const int64_t n = t.numel();
  kc::fill_bernoulli<double>(t.data<uint8_t>(), nullptr, p, n, gen.seed(), gen.stream(),
                             gen.advance(uint64_t(n)));
  return t;
}

Tensor bernoulli(const Tensor& p, Generator& gen) {
  ops::check_floating("bernoulli", p);
  Tensor pc = p.contiguous();
  Tensor t = Tensor::empty(p.shape(), DType::Bool, p.device());
  const int64_t n = t.numel();
  if (ops::use_device_of(p)) {
    NoGradGuard no_grad;  // validated on the device, one flag copied back
    const Tensor pd = pc.detach();
    AMOR_CHECK(all(logical_and(ge(pd, zeros_like(pd)), le(pd, ones_like(pd)))), ValueError,
               "bernoulli: a probability in ", p.str(), " lies outside [0, 1]");
    [[maybe_unused]] const uint64_t off = gen.advance(uint64_t(n));
    AMOR_CUDA_ONLY("bernoulli", dispatch_float(p.dtype(), "bernoulli", [&]<class T>() {
      kcu::fill_bernoulli<T>(t.data<uint8_t>(), pc.data<T>(), T(0), n, gen.seed(), gen.stream(), off);
    }));
    return t;
  }
  dispatch_float(p.dtype(), "bernoulli", [&]<class T>() {
    const T* pp = pc.data<T>();
    for (int64_t i = 0; i < n; ++i)
      AMOR_CHECK(pp[i] >= 0 && pp[i] <= 1, ValueError, "bernoulli: probability ", pp[i],
                 " at position ", i, " outside [0, 1]");
    kc::fill_bernoulli<T>(t.data<uint8_t>(), pp, T(0), n, gen.seed(), gen.stream(), gen.advance(uint64_t(n)));
  });
  return t;
}

Tensor gamma(const Tensor& concentration, Generator& gen) {
  ops::check_floating("gamma", concentration);
  Tensor k = concentration.contiguous();
  Tensor t = Tensor::empty(k.shape(), k.dtype(), k.device());
  const int64_t n = t.numel();
  if (ops::use_device_of(k)) {
    NoGradGuard no_grad;
    const Tensor kd = k.detach();
    AMOR_CHECK(all(logical_and(gt(kd, zeros_like(kd)), isfinite(kd))), ValueError,
               "gamma: concentration must be positive and finite; ", concentration.str(), " has an element that is not");
    [[maybe_unused]] const uint64_t off = gen.advance(uint64_t(n));
    AMOR_CUDA_ONLY("gamma", dispatch_float(k.dtype(), "gamma", [&]<class T>() {
      kcu::fill_gamma<T>(t.data<T>(), k.data<T>(), T(0), n, gen.seed(), gen.stream(), off);
    }));
    return t;
  }
  dispatch_float(k.dtype(), "gamma", [&]<class T>() {
    const T* kp = k.data<T>();
    for (int64_t i = 0; i < n; ++i)
      AMOR_CHECK(kp[i] > 0 && std::isfinite(double(kp[i])), ValueError,
                 "gamma: concentration must be positive and finite, got ", kp[i], " at position ", i);
    kc::fill_gamma<T>(t.data<T>(), kp, T(0), n, gen.seed(), gen.stream(), gen.advance(uint64_t(n)));
  });
  return t;
}

Tensor gamma(const Shape& shape, double concentration, Generator& gen, TensorOptions o) {
  AMOR_CHECK(concentration > 0 && std::isfinite(concentration), ValueError,
             "gamma: concentration must be positive and finite, got ", concentration);
  ops::check_device_usable("gamma", o.device);
  Tensor t = Tensor::empty(shape, o.dtype, o.device);
  const int64_t n = t.numel();
  dispatch_float(o.dtype, "gamma", [&]<class T>() {
    if (ops::use_device_of(t)) {
      AMOR_CUDA_ONLY("gamma", kcu::fill_gamma<T>(t.data<T>(), nullptr, T(concentration), n, gen.seed(),
                                                 gen.stream(), gen.advance(uint64_t(n))));
      return;
    }
    kc::fill_gamma<T>(t.data<T>(), nullptr, T(concentration), n, gen.seed(), gen.stream(),
                      gen.advance(uint64_t(n)));
  });
  return finish(t, o);
}

Tensor randperm(int64_t n, Generator& gen) {
  AMOR_CHECK(n >= 0, ValueError, "randperm: n must be >= 0, got ", n);
  Tensor t = Tensor::empty(Shape{n}, DType::I64);
  kc::fill_randperm(t.data<int64_t>(), n, gen.seed(), gen.stream(), gen.advance(uint64_t(n)));
  return t;
}

}  // namespace amor
