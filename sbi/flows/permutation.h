// Permutation: reorders the features (nflows' Permutation / RandomPermutation /
// ReversePermutation). forward: out[:, j] = in[:, perm[j]]; inverse applies the inverse
// permutation. Volume-preserving: log-det 0. The permutation is an int64 buffer (`perm`), so a
// checkpoint restores exactly the one a flow was trained with.
#pragma once

#include <cstdint>
#include <vector>

#include "core/random.h"
#include "sbi/flows/transform.h"

namespace amor::sbi::flows {

class Permutation : public Transform {
 public:
  // ValueError unless `perm` is a permutation of 0..n-1 (n >= 1).
  explicit Permutation(const std::vector<int64_t>& perm);
  std::string type_name() const override { return "Permutation"; }

  TransformResult forward(const Tensor& inputs, const Tensor& context) override;
  TransformResult inverse(const Tensor& inputs, const Tensor& context) override;
  using Transform::forward;
  using Transform::inverse;

  std::vector<int64_t> permutation() const { return perm_.to(Device::cpu()).to_vector<int64_t>(); }
  Tensor inverse_permutation() const;  // int64 [features]

 private:
  Tensor perm_;  // int64 [features]
};

// A uniformly random permutation drawn from `gen` (same generator state -> same permutation).
std::shared_ptr<Permutation> random_permutation(int64_t features, Generator& gen);
// n-1, ..., 1, 0.
std::shared_ptr<Permutation> reverse_permutation(int64_t features);

}  // namespace amor::sbi::flows
