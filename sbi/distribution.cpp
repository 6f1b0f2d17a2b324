// Distribution's batched sample / log_prob, Support, and the product (independent blocks).
// The concrete families (box_uniform, diag_normal, ...) are in sbi/distributions.cpp.
#include "sbi/distribution.h"

#include <cmath>
#include <limits>
#include <string>

#include "core/error.h"
#include "sbi/parallel.h"

namespace amor::sbi {

namespace {

// Below this many output values a batch runs on the calling thread (conventions: ~32k).
constexpr int64_t kParallelThreshold = 32768;

}  // namespace

bool Support::contains(const double* x) const {
  for (size_t i = 0; i < lower.size(); ++i) {
    if (!(x[i] >= lower[i] && x[i] <= upper[i])) return false;  // false for NaN too
  }
  return true;
}

bool Support::bounded() const {
  for (size_t i = 0; i < lower.size(); ++i) {
    if (std::isfinite(lower[i]) || std::isfinite(upper[i])) return true;
  }
  return false;
}

Support Distribution::support() const {
  const auto d = size_t(dim());
  constexpr double inf = std::numeric_limits<double>::infinity();
  return Support{std::vector<double>(d, -inf), std::vector<double>(d, inf)};
}

Tensor Distribution::sample(int64_t n, uint64_t seed, uint64_t first_index) const {
  AMOR_CHECK(n >= 0, ValueError, name(), ".sample: the number of samples must be >= 0, got ", n);
  const int64_t d = dim();
  Tensor out = Tensor::empty({n, d}, DType::F64);
  double* p = out.data<double>();
  parallel_rows(n, 0, n * d >= kParallelThreshold, [&](int64_t i) {
    Rng rng(seed, kPriorStream, first_index + uint64_t(i));
    sample_one(rng, p + i * d);
  });
  return out;
}

Tensor Distribution::log_prob(const Tensor& theta) const {
  const int64_t d = dim();
  AMOR_CHECK(theta.defined(), ValueError, name(), ".log_prob: undefined tensor");
  AMOR_CHECK(theta.dim() == 2 && theta.size(1) == d, ShapeError, name(),
             ".log_prob: expected theta of shape [n, ", d, "], got ", theta.shape().str());
  AMOR_CHECK(theta.dtype() == DType::F32 || theta.dtype() == DType::F64, DTypeError, name(),
             ".log_prob: expected float32 or float64, got ", dtype_name(theta.dtype()));
  AMOR_CHECK(theta.device().is_cpu(), DeviceError, name(), ".log_prob: expected a CPU tensor");
  const Tensor x = theta.detach().to(DType::F64).contiguous();
  const int64_t n = x.size(0);
  const double* px = x.data<double>();
  Tensor out = Tensor::empty({n}, DType::F64);
  double* po = out.data<double>();
  parallel_rows(n, 0, n * d >= kParallelThreshold,
                        [&](int64_t i) { po[i] = log_prob_one(px + i * d); });
  return out;
}

// ---------------------------------------------------------------------------------------------
// product: independent blocks, concatenated (sbi's MultipleIndependent)
// ---------------------------------------------------------------------------------------------

namespace {

class Product final : public Distribution {
 public:
  explicit Product(std::vector<DistributionPtr> parts) : parts_(std::move(parts)) {
    for (const auto& p : parts_) dim_ += p->dim();
  }
  std::string name() const override {
    std::string s = "product(";
    for (size_t i = 0; i < parts_.size(); ++i) s += (i ? ", " : "") + parts_[i]->name();
    return s + ")";
  }
  int64_t dim() const override { return dim_; }
  // Each block draws from the same Rng in order, so the row stays a function of its Rng alone.
  void sample_one(Rng& rng, double* out) const override {
    for (const auto& p : parts_) {
      p->sample_one(rng, out);
      out += p->dim();
    }
  }
  double log_prob_one(const double* x) const override {
    double lp = 0.0;
    for (const auto& p : parts_) {
      lp += p->log_prob_one(x);
      x += p->dim();
    }
    return lp;
  }
  Support support() const override {
    Support s;
    for (const auto& p : parts_) {
      const Support ps = p->support();
      s.lower.insert(s.lower.end(), ps.lower.begin(), ps.lower.end());
      s.upper.insert(s.upper.end(), ps.upper.begin(), ps.upper.end());
    }
    return s;
  }
  std::vector<double> mean() const override { return concat([](const Distribution& p) { return p.mean(); }); }
  std::vector<double> variance() const override {
    return concat([](const Distribution& p) { return p.variance(); });
  }

 private:
  // Concatenates a per-part vector; empty when any part does not know its own.
  template <class F>
  std::vector<double> concat(F&& get) const {
    std::vector<double> all;
    for (const auto& p : parts_) {
      const std::vector<double> v = get(*p);
      if (int64_t(v.size()) != p->dim()) return {};
      all.insert(all.end(), v.begin(), v.end());
    }
    return all;
  }

  std::vector<DistributionPtr> parts_;
  int64_t dim_ = 0;
};

}  // namespace

DistributionPtr product(std::vector<DistributionPtr> parts) {
  AMOR_CHECK(!parts.empty(), ValueError, "product: needs at least one distribution");
  for (size_t i = 0; i < parts.size(); ++i)
    AMOR_CHECK(parts[i] != nullptr, ValueError, "product: part ", i, " is null");
  return std::make_shared<Product>(std::move(parts));
}

}  // namespace amor::sbi
