// Rejection into a prior's support: what a posterior does when its density estimator can put
// mass outside a bounded prior (NPE's leakage, a diffusion model's tails). Draws batches from
// `draw`, keeps the rows inside `support`, and sizes each request by the acceptance seen so far.
// Users asked for two guards (sbi issues #1292, #1699): a warning when the acceptance is low,
// and an end — a time limit or an acceptance floor — with a clear error instead of a hang.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>

#include "core/tensor.h"
#include "sbi/distribution.h"

namespace amor::sbi {

struct RejectionOptions {
  int64_t min_batch = 1;                       // rows asked per request, at least ...
  int64_t max_batch = std::numeric_limits<int64_t>::max();  // ... and at most
  int64_t batch_margin = 8;                    // added to the estimate of what is missing
  double warn_below = 0.0;                     // warn once (stderr) under this acceptance ...
  int64_t warn_after = 1000;                   // ... once this many rows were drawn
  double fail_below = 0.0;                     // ValueError under this acceptance after warn_after rows
  double max_seconds = std::numeric_limits<double>::infinity();  // ValueError after this long
  std::string who = "sample";                  // names the caller in messages
  std::string hint;                            // appended to the time-limit error
};

// draw(count) -> [count, dim] float64 rows. Returns [n, dim] float64 rows inside `support`, in
// the order drawn; `acceptance` (optional) receives kept / drawn.
Tensor sample_within_support(const std::function<Tensor(int64_t count)>& draw, const Support& support, int64_t n,
                             int64_t dim, const RejectionOptions& options, double* acceptance = nullptr);

}  // namespace amor::sbi
