#include "sbi/support_rejection.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "core/error.h"

namespace amor::sbi {

Tensor sample_within_support(const std::function<Tensor(int64_t count)>& draw, const Support& support, int64_t n,
                             int64_t dim, const RejectionOptions& o, double* acceptance) {
  const auto t0 = std::chrono::steady_clock::now();
  Tensor out = Tensor::empty({n, dim}, DType::F64);
  int64_t have = 0, drawn = 0;
  bool warned = false;
  while (have < n) {
    const double rate_so_far = drawn > 0 ? std::max(double(have) / double(drawn), 1e-4) : 1.0;
    const int64_t ask =
        std::clamp<int64_t>(int64_t(double(n - have) / rate_so_far * 1.1) + o.batch_margin, o.min_batch, o.max_batch);
    const Tensor s = draw(ask).to(DType::F64).contiguous();
    drawn += ask;
    const double* p = s.data<double>();
    for (int64_t i = 0; i < ask && have < n; ++i)
      if (support.contains(p + i * dim)) {
        std::copy(p + i * dim, p + (i + 1) * dim, out.data<double>() + have * dim);
        ++have;
      }
    const double rate = double(have) / double(drawn);
    if (!warned && drawn >= o.warn_after && rate < o.warn_below) {
      std::fprintf(stderr, "%s: warning: only %.3g %% of posterior samples fall inside the prior's support\n",
                   o.who.c_str(), 100 * rate);
      warned = true;
    }
    if (have < n && drawn >= o.warn_after && rate < o.fail_below)
      throw ValueError(o.who + ": fewer than " + std::to_string(o.fail_below) +
                       " of posterior samples fall inside the prior's support (" + std::to_string(have) + " of " +
                       std::to_string(drawn) + ")");
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (have < n && elapsed > o.max_seconds)
      throw ValueError(o.who + ": sampling stopped after " + std::to_string(int(elapsed)) + " s with " +
                       std::to_string(have) + " of " + std::to_string(n) +
                       " samples inside the prior's support (acceptance " + std::to_string(rate) + ")" + o.hint);
  }
  if (acceptance) *acceptance = double(have) / double(std::max<int64_t>(drawn, 1));
  return out;
}

}  // namespace amor::sbi
