#include "apps/commands.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>

#include "core/core.h"
#include "nn/mlp.h"
#include "nn/optim.h"

namespace amor::apps {

// The embedded default: y = sin(x) + 0.3·sin(3x) + N(0, 0.05²) at 1 000 points x ~ U(-3, 3),
// an MLP 1→64→64→1 with tanh trained by Adam on minibatches of 200.
int run_demo(int64_t steps, uint64_t seed) {
  Generator gen(seed);
  const int64_t n = 1000, batch = 200;
  Tensor x = uniform(Shape{n, 1}, -3.0, 3.0, gen);
  Tensor y = sin(x) + 0.3 * sin(3.0 * x) + normal(Shape{n, 1}, 0.0, 0.05, gen);

  nn::MLP net({1, 64, 64, 1}, gen, {.activation = nn::Act::Tanh});
  nn::Adam opt(net.parameters(), 3e-3);
  std::printf("amor demo: MLP 1-64-64-1 (tanh, %lld parameters) on y = sin(x) + 0.3 sin(3x) + noise\n",
              static_cast<long long>(net.num_parameters()));
  std::printf("%8s %12s %12s\n", "step", "batch loss", "full loss");
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t step = 0; step <= steps; ++step) {
    Tensor idx = randint(0, n, Shape{batch}, gen);
    Tensor loss = mean(square(net.forward(index_select(x, 0, idx)) - index_select(y, 0, idx)));
    opt.zero_grad();
    loss.backward();
    opt.step();
    if (step % (steps / 10 > 0 ? steps / 10 : 1) == 0) {
      NoGradGuard no_grad;
      double full = mean(square(net.forward(x) - y)).item<double>();
      std::printf("%8lld %12.6f %12.6f\n", static_cast<long long>(step), loss.item<double>(), full);
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%lld steps in %.2f s (%.1f µs/step); the noise floor is 0.0025\n", static_cast<long long>(steps), secs,
              1e6 * secs / double(std::max<int64_t>(steps, 1)));
  return 0;
}

}  // namespace amor::apps
