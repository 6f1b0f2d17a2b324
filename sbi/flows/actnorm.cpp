#include "sbi/flows/actnorm.h"

#include <cmath>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"

namespace amor::sbi::flows {

ActNorm::ActNorm(int64_t features, DType dtype) : Transform(features) {
  log_scale = zeros(Shape{features}, {.dtype = dtype});
  bias = zeros(Shape{features}, {.dtype = dtype});
  register_parameter("log_scale", &log_scale);
  register_parameter("bias", &bias);
}

TransformResult ActNorm::forward(const Tensor& inputs, const Tensor& context) {
  check_inputs("ActNorm.forward", inputs, context);
  return {inputs * exp(log_scale) + bias, sum(log_scale).expand(Shape{inputs.shape()[0]})};
}

TransformResult ActNorm::inverse(const Tensor& inputs, const Tensor& context) {
  check_inputs("ActNorm.inverse", inputs, context);
  return {(inputs - bias) * exp(-log_scale), (-sum(log_scale)).expand(Shape{inputs.shape()[0]})};
}

void ActNorm::initialize_from_data(const Tensor& inputs, const Tensor& context) {
  check_inputs("ActNorm.initialize_from_data", inputs, context);
  const int64_t n = inputs.shape()[0], d = features();
  AMOR_CHECK(n >= 2, ValueError, "ActNorm.initialize_from_data: need at least 2 rows, got ", n);
  const std::vector<double> v = inputs.to(Device::cpu()).contiguous().to_vector<double>();  // fitted on the host
  std::vector<double> ls(static_cast<size_t>(d)), b(static_cast<size_t>(d));
  for (int64_t j = 0; j < d; ++j) {
    double mean = 0.0, m2 = 0.0;
    for (int64_t i = 0; i < n; ++i) mean += v[size_t(i * d + j)];
    mean /= double(n);
    for (int64_t i = 0; i < n; ++i) m2 += (v[size_t(i * d + j)] - mean) * (v[size_t(i * d + j)] - mean);
    double sd = std::sqrt(m2 / double(n - 1));
    if (!(sd >= 1e-12)) sd = 1.0;
    ls[size_t(j)] = -std::log(sd);
    b[size_t(j)] = -mean / sd;
  }
  NoGradGuard no_grad;
  log_scale.copy_(from_vector(ls).to(log_scale.device()));
  bias.copy_(from_vector(b).to(bias.device()));
}

}  // namespace amor::sbi::flows
