// A small driver for instruction-level profiling of the bench_ops workloads, e.g.
//
//   valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*run_*'
//            build/bench/bench/bench_profile add4_grad 20000
//   callgrind_annotate --inclusive=yes callgrind.out.<pid>
//
// Each workload runs `iters` times inside a function named run_<workload> (not inlined), so
// --toggle-collect can skip setup. Workloads: add200x50_grad, add200x50_nograd, add4_grad,
// add4_nograd, mlp_step, matmul<n> (amor::matmul on [n, n] float32; compare its inclusive cost
// with that of the cblas_sgemm it calls to get the wrapper's own instructions).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/random.h"
#include "core/tensor.h"

namespace {

volatile const void* g_sink = nullptr;

struct AddInputs {
  amor::Tensor a, b;
  AddInputs(const amor::Shape& s, bool grad) {
    amor::Generator gen(7);
    a = amor::uniform(s, -1.0, 1.0, gen);
    b = amor::uniform(s, -1.0, 1.0, gen);
    if (grad) a.requires_grad_();
  }
};

[[gnu::noinline]] void run_add(const AddInputs& in, int64_t iters) {
  for (int64_t i = 0; i < iters; ++i) {
    amor::Tensor c = in.a + in.b;
    g_sink = c.impl();
  }
}

struct MLP {
  std::vector<amor::Tensor> params;
  amor::Tensor x, y;
  MLP() {
    const int64_t widths[] = {2, 50, 50, 2};
    amor::Generator gen(42);
    for (int l = 0; l < 3; ++l) {
      const double bound = 1.0 / std::sqrt(double(widths[l]));
      params.push_back(amor::uniform({widths[l + 1], widths[l]}, -bound, bound, gen));
      params.push_back(amor::uniform({widths[l + 1]}, -bound, bound, gen));
    }
    for (auto& p : params) p.requires_grad_();
    x = amor::randn({200, 2}, gen);
    y = amor::randn({200, 2}, gen);
  }
};

[[gnu::noinline]] void run_mlp_step(MLP& m, int64_t iters) {
  for (int64_t i = 0; i < iters; ++i) {
    amor::Tensor h = m.x;
    for (int l = 0; l < 3; ++l) {
      h = amor::linear(h, m.params[2 * l], m.params[2 * l + 1]);
      if (l < 2) h = amor::tanh(h);
    }
    amor::Tensor loss = amor::mean(amor::square(h - m.y));
    loss.backward();
    amor::NoGradGuard no_grad;
    for (auto& p : m.params) {
      p.add_(p.grad(), -1e-3);
      p.zero_grad();
    }
    g_sink = loss.impl();
  }
}

[[gnu::noinline]] void run_matmul(const amor::Tensor& a, const amor::Tensor& b, int64_t iters) {
  for (int64_t i = 0; i < iters; ++i) {
    amor::Tensor c = amor::matmul(a, b);
    g_sink = c.impl();
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <add200x50_grad|add200x50_nograd|add4_grad|add4_nograd|mlp_step|matmul<n>> [iters]\n",
                 argv[0]);
    return 2;
  }
  const char* w = argv[1];
  const int64_t iters = argc > 2 ? std::atoll(argv[2]) : 10000;
  if (std::strncmp(w, "add", 3) == 0) {
    const bool big = std::strncmp(w, "add200x50", 9) == 0;
    const bool grad = std::strstr(w, "nograd") == nullptr;
    AddInputs in(big ? amor::Shape{200, 50} : amor::Shape{4}, grad);
    run_add(in, 10);  // warm the caching allocator
    run_add(in, iters);
  } else if (std::strcmp(w, "mlp_step") == 0) {
    MLP m;
    run_mlp_step(m, 2);
    run_mlp_step(m, iters);
  } else if (std::strncmp(w, "matmul", 6) == 0) {
    const int64_t n = std::atoll(w + 6);
    amor::Generator gen(1);
    amor::Tensor a = amor::uniform({n, n}, -1.0, 1.0, gen), b = amor::uniform({n, n}, -1.0, 1.0, gen);
    run_matmul(a, b, 2);
    run_matmul(a, b, iters);
  } else {
    std::fprintf(stderr, "unknown workload %s\n", w);
    return 2;
  }
  return 0;
}
