// LULinear: an invertible linear map y = L·U·x + b per row (nflows' LULinear), used between the
// couplings of a neural spline flow so that every feature can influence every other.
//
// L is unit lower triangular, U upper triangular with a positive diagonal
// softplus(unconstrained_upper_diag) + eps (eps = 1e-3), so det(L·U) = Π diag(U) > 0 and
//   log|det| = Σ_i log(softplus(unconstrained_upper_diag_i) + eps)   (forward; inverse: minus).
// Parameters (nflows' names and order): bias [d], lower_entries [d(d-1)/2] (strictly lower
// entries in row-major order: (1,0), (2,0), (2,1), ...), upper_entries [d(d-1)/2] (strictly upper
// entries row-major: (0,1), (0,2), ..., (1,2), ...), unconstrained_upper_diag [d]. For d = 1 the
// two triangular parameters are absent.
//
// identity_init (nflows' default): bias and off-diagonal entries 0 and the diagonal
// softplus⁻¹(1 - eps), so the map starts as exactly the identity. Otherwise (as nflows does) the
// bias is 0 and the triangular entries and unconstrained diagonal are drawn U(-1/√d, 1/√d).
//
// The inverse solves the two triangular systems by substitution on the d×d matrices (d small
// ops, then two [n, d]·[d, d] products), all with core ops, so it is differentiable as well.
#pragma once

#include "core/random.h"
#include "sbi/flows/transform.h"

namespace amor::sbi::flows {

struct LULinearOptions {
  bool identity_init = true;
  double eps = 1e-3;
  DType dtype = DType::F32;
};

class LULinear : public Transform {
 public:
  // gen is used only when identity_init is false.
  LULinear(int64_t features, Generator& gen, LULinearOptions options = {});
  std::string type_name() const override { return "LULinear"; }

  TransformResult forward(const Tensor& inputs, const Tensor& context) override;
  TransformResult inverse(const Tensor& inputs, const Tensor& context) override;
  using Transform::forward;
  using Transform::inverse;

  // The matrices as dense [d, d] tensors (differentiable functions of the parameters).
  Tensor lower() const;
  Tensor upper() const;
  Tensor upper_diag() const;  // [d]
  Tensor logabsdet() const;   // 0-d: Σ log upper_diag

  Tensor bias, lower_entries, upper_entries, unconstrained_upper_diag;

 private:
  double eps_;
  Tensor lower_index_, upper_index_;  // int64 [d*d]: where each matrix entry comes from
};

}  // namespace amor::sbi::flows
