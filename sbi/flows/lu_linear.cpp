#include "sbi/flows/lu_linear.h"

#include <cmath>
#include <vector>

#include "core/ops.h"
#include "nn/init.h"

namespace amor::sbi::flows {

LULinear::LULinear(int64_t features, Generator& gen, LULinearOptions o)
    : Transform(features), eps_(o.eps) {
  AMOR_CHECK(o.eps > 0 && o.eps < 1, ValueError, "LULinear: eps must be in (0, 1), got ", o.eps);
  const int64_t d = features, n_tri = d * (d - 1) / 2;
  const TensorOptions to{.dtype = o.dtype};
  bias = zeros(Shape{d}, to);
  if (o.identity_init) {
    if (n_tri > 0) {
      lower_entries = zeros(Shape{n_tri}, to);
      upper_entries = zeros(Shape{n_tri}, to);
    }
    // softplus(c) + eps = 1  <=>  c = log(e^(1 - eps) - 1)
    unconstrained_upper_diag = full(Shape{d}, std::log(std::expm1(1.0 - o.eps)), to);
  } else {
    const double bound = 1.0 / std::sqrt(double(d));
    if (n_tri > 0) {
      lower_entries = nn::init::uniform(Shape{n_tri}, bound, gen, o.dtype);
      upper_entries = nn::init::uniform(Shape{n_tri}, bound, gen, o.dtype);
    }
    unconstrained_upper_diag = nn::init::uniform(Shape{d}, bound, gen, o.dtype);
  }
  register_parameter("bias", &bias);
  if (n_tri > 0) {
    register_parameter("lower_entries", &lower_entries);
    register_parameter("upper_entries", &upper_entries);
  }
  register_parameter("unconstrained_upper_diag", &unconstrained_upper_diag);

  // Gather maps into [0 | lower_entries] and [0 | upper_entries | diag]: entry 0 is the zero.
  std::vector<int64_t> li(size_t(d * d), 0), ui(size_t(d * d), 0);
  int64_t kl = 0, ku = 0;
  for (int64_t i = 0; i < d; ++i)
    for (int64_t j = 0; j < i; ++j) li[size_t(i * d + j)] = 1 + kl++;
  for (int64_t i = 0; i < d; ++i) {
    ui[size_t(i * d + i)] = 1 + n_tri + i;
    for (int64_t j = i + 1; j < d; ++j) ui[size_t(i * d + j)] = 1 + ku++;
  }
  lower_index_ = from_vector(li);
  upper_index_ = from_vector(ui);
  register_transient_buffer(&lower_index_);  // follow the parameters across devices
  register_transient_buffer(&upper_index_);
}

Tensor LULinear::upper_diag() const { return softplus(unconstrained_upper_diag) + eps_; }

Tensor LULinear::logabsdet() const { return sum(log(upper_diag())); }

Tensor LULinear::lower() const {
  const int64_t d = features();
  Tensor eye_d = eye(d, {.dtype = bias.dtype(), .device = bias.device()});
  if (d == 1) return eye_d;
  Tensor z = zeros(Shape{1}, {.dtype = bias.dtype(), .device = bias.device()});
  return index_select(concat({z, lower_entries}, 0), 0, lower_index_).reshape(Shape{d, d}) + eye_d;
}

Tensor LULinear::upper() const {
  const int64_t d = features();
  Tensor z = zeros(Shape{1}, {.dtype = bias.dtype(), .device = bias.device()});
  std::vector<Tensor> parts = {z};
  if (d > 1) parts.push_back(upper_entries);
  parts.push_back(upper_diag());
  return index_select(concat(parts, 0), 0, upper_index_).reshape(Shape{d, d});
}

TransformResult LULinear::forward(const Tensor& inputs, const Tensor& context) {
  check_inputs("LULinear.forward", inputs, context);
  Tensor y = linear(linear(inputs, upper()), lower(), bias);  // rows: L·(U·x) + b
  return {y, logabsdet().expand(Shape{inputs.shape()[0]})};
}

namespace {

// Inverse of a unit lower triangular [d, d] matrix by forward substitution, row by row:
//   X[i, :] = e_i - L[i, :i]·X[:i, :]
Tensor unit_lower_inverse(const Tensor& L) {
  const int64_t d = L.shape()[0];
  Tensor I = eye(d, {.dtype = L.dtype(), .device = L.device()});
  Tensor X = I.narrow(0, 0, 1);
  for (int64_t i = 1; i < d; ++i) {
    Tensor row = I.narrow(0, i, 1) - matmul(L.narrow(0, i, 1).narrow(1, 0, i), X);
    X = concat({X, row}, 0);
  }
  return X;
}

// Inverse of an upper triangular [d, d] matrix with a non-zero diagonal by back substitution:
//   X[i, :] = (e_i - U[i, i+1:]·X[i+1:, :]) / U[i, i]
Tensor upper_inverse(const Tensor& U) {
  const int64_t d = U.shape()[0];
  Tensor I = eye(d, {.dtype = U.dtype(), .device = U.device()});
  Tensor X = I.narrow(0, d - 1, 1) / U.narrow(0, d - 1, 1).narrow(1, d - 1, 1);
  for (int64_t i = d - 2; i >= 0; --i) {
    Tensor rhs = I.narrow(0, i, 1) - matmul(U.narrow(0, i, 1).narrow(1, i + 1, d - 1 - i), X);
    X = concat({rhs / U.narrow(0, i, 1).narrow(1, i, 1), X}, 0);
  }
  return X;
}

}  // namespace

TransformResult LULinear::inverse(const Tensor& inputs, const Tensor& context) {
  check_inputs("LULinear.inverse", inputs, context);
  // x = U⁻¹·L⁻¹·(y - b) per row, i.e. X = (Y - b)·L⁻ᵀ·U⁻ᵀ.
  Tensor x = linear(linear(inputs - bias, unit_lower_inverse(lower())), upper_inverse(upper()));
  return {x, (-logabsdet()).expand(Shape{inputs.shape()[0]})};
}

}  // namespace amor::sbi::flows
