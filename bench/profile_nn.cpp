// The bench_nn training steps in a plain loop, for instruction-level profiling:
//
//   cmake -S . -B build/bench-nn-prof -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAMOR_NATIVE=OFF
//         -DAMOR_BUILD_BENCH=ON -DAMOR_BUILD_TESTS=OFF -DAMOR_BUILD_APPS=OFF -DAMOR_CUDA=OFF
//   cmake --build build/bench-nn-prof --target bench_nn_profile
//   OMP_NUM_THREADS=1 valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*run_*'
//         build/bench-nn-prof/bench/bench_nn_profile transformer 2 4
//   callgrind_annotate --inclusive=yes callgrind.out.<pid>
// (each command on one line). callgrind cannot decode AVX-512, hence AMOR_NATIVE=OFF. Each workload runs `iters` steps
// inside a function named run_<workload> (not inlined), after one warm-up step outside it, so
// --toggle-collect skips the setup and the warm-up. Workloads:
//   mlp [iters]                  nn::MLP 2→50→50→2 tanh, batch 200, MSE, backward, Adam
//   transformer [iters] [T] [B]  nn::TransformerEncoder (d 50, 4×10 heads, MLP 3·d GELU-tanh,
//                                6 layers), batch B (default 1000), T tokens (default 4), dense
//                                random mask, loss mean(out²), backward, Adam
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/random.h"
#include "core/tensor.h"
#include "nn/mlp.h"
#include "nn/optim.h"
#include "nn/transformer.h"

namespace {

volatile const void* g_sink = nullptr;

// The step loops; run_* wrap them so that --toggle-collect='*run_*' skips the warm-up step.
[[gnu::noinline]] void mlp_steps(amor::nn::MLP& mlp, amor::nn::Adam& opt, const amor::Tensor& x,
                                 const amor::Tensor& y, int64_t iters) {
  for (int64_t i = 0; i < iters; ++i) {
    opt.zero_grad();
    amor::Tensor loss = amor::mean(amor::square(mlp.forward(x) - y));
    loss.backward();
    opt.step();
    g_sink = loss.impl();
  }
}

[[gnu::noinline]] void transformer_steps(const amor::nn::TransformerEncoder& model,
                                         amor::nn::Adam& opt, const amor::Tensor& x,
                                         const amor::Tensor& mask, int64_t iters) {
  for (int64_t i = 0; i < iters; ++i) {
    opt.zero_grad();
    amor::Tensor loss = amor::mean(amor::square(model.forward(x, mask)));
    loss.backward();
    opt.step();
    g_sink = loss.impl();
  }
}

[[gnu::noinline]] void run_mlp(amor::nn::MLP& mlp, amor::nn::Adam& opt, const amor::Tensor& x,
                               const amor::Tensor& y, int64_t iters) {
  mlp_steps(mlp, opt, x, y, iters);
  g_sink = nullptr;  // no tail call: callgrind must see run_mlp's frame around the steps
}

[[gnu::noinline]] void run_transformer(const amor::nn::TransformerEncoder& model, amor::nn::Adam& opt,
                                       const amor::Tensor& x, const amor::Tensor& mask,
                                       int64_t iters) {
  transformer_steps(model, opt, x, mask, iters);
  g_sink = nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s mlp [iters] | transformer [iters] [T] [B]\n", argv[0]);
    return 2;
  }
  const char* w = argv[1];
  amor::Generator gen(42);
  if (std::strcmp(w, "mlp") == 0) {
    const int64_t iters = argc > 2 ? std::atoll(argv[2]) : 1000;
    amor::nn::MLP mlp({2, 50, 50, 2}, gen, {.activation = amor::nn::Act::Tanh});
    amor::nn::Adam opt(mlp.parameters(), 1e-3);
    const amor::Tensor x = amor::randn({200, 2}, gen), y = amor::randn({200, 2}, gen);
    mlp_steps(mlp, opt, x, y, 1);  // warm up (not collected)
    run_mlp(mlp, opt, x, y, iters);
  } else if (std::strcmp(w, "transformer") == 0) {
    const int64_t iters = argc > 2 ? std::atoll(argv[2]) : 2;
    const int64_t T = argc > 3 ? std::atoll(argv[3]) : 4;
    const int64_t B = argc > 4 ? std::atoll(argv[4]) : 1000;
    amor::nn::TransformerEncoder model({.d_model = 50,
                                        .heads = 4,
                                        .head_dim = 10,
                                        .mlp_ratio = 3,
                                        .activation = amor::nn::Act::GeluTanh,
                                        .cond_dim = 0,
                                        .layers = 6,
                                        .dtype = amor::DType::F32},
                                       gen);
    amor::nn::Adam opt(model.parameters(), 1e-4);
    const amor::Tensor x = amor::randn({B, T, 50}, gen);
    const amor::Tensor mask = amor::logical_or(amor::bernoulli({B, T, T}, 0.7, gen),
                                               amor::eye(T, {.dtype = amor::DType::Bool}));
    transformer_steps(model, opt, x, mask, 1);  // warm up (not collected)
    run_transformer(model, opt, x, mask, iters);
  } else {
    std::fprintf(stderr, "unknown workload %s\n", w);
    return 2;
  }
  return 0;
}
