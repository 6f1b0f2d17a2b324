#include "sbi/flows/permutation.h"

#include "core/ops.h"

namespace amor::sbi::flows {

Permutation::Permutation(const std::vector<int64_t>& perm) : Transform(int64_t(perm.size())) {
  const int64_t n = features();
  std::vector<int64_t> inv(size_t(n), -1);
  for (int64_t j = 0; j < n; ++j) {
    const int64_t p = perm[size_t(j)];
    AMOR_CHECK(p >= 0 && p < n && inv[size_t(p)] < 0, ValueError,
               "Permutation: entry ", j, " = ", p, " is out of range or repeated for ", n, " features");
    inv[size_t(p)] = j;
  }
  perm_ = from_vector(perm);
  register_buffer("perm", &perm_);
}

Tensor Permutation::inverse_permutation() const {
  // Derived from the buffer on every call (d entries), so a checkpoint that overwrote `perm`
  // after construction is honoured.
  const std::vector<int64_t> perm = permutation();
  const int64_t n = features();
  std::vector<int64_t> inv(size_t(n), -1);
  for (int64_t j = 0; j < n; ++j) {
    const int64_t p = perm[size_t(j)];
    AMOR_CHECK(p >= 0 && p < n && inv[size_t(p)] < 0, ValueError, "Permutation: buffer `perm` is not a permutation of 0..", n - 1);
    inv[size_t(p)] = j;
  }
  return from_vector(inv).to(perm_.device());
}

TransformResult Permutation::forward(const Tensor& inputs, const Tensor& context) {
  check_inputs("Permutation.forward", inputs, context);
  (void)inverse_permutation();  // validates the buffer (a checkpoint may have replaced it)
  return {index_select(inputs, 1, perm_), zero_logabsdet(inputs)};
}

TransformResult Permutation::inverse(const Tensor& inputs, const Tensor& context) {
  check_inputs("Permutation.inverse", inputs, context);
  return {index_select(inputs, 1, inverse_permutation()), zero_logabsdet(inputs)};
}

std::shared_ptr<Permutation> random_permutation(int64_t features, Generator& gen) {
  AMOR_CHECK(features > 0, ValueError, "random_permutation: features must be positive, got ", features);
  return std::make_shared<Permutation>(randperm(features, gen).to_vector<int64_t>());
}

std::shared_ptr<Permutation> reverse_permutation(int64_t features) {
  AMOR_CHECK(features > 0, ValueError, "reverse_permutation: features must be positive, got ", features);
  std::vector<int64_t> p(static_cast<size_t>(features));
  for (int64_t j = 0; j < features; ++j) p[size_t(j)] = features - 1 - j;
  return std::make_shared<Permutation>(p);
}

}  // namespace amor::sbi::flows
