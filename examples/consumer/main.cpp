// Uses an installed amor: C = A·B, loss = sum(C), backward, and checks dloss/dA.
// Headers are installed under <prefix>/include/amor/<layer>/, included from the layer down.
#include <cmath>
#include <cstdio>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/tensor.h"

int main() {
  amor::Tensor a = amor::from_vector<float>({1, 2, 3, 4, 5, 6}, amor::Shape{2, 3});
  amor::Tensor b = amor::from_vector<float>({1, -1, 2, 0, 0.5f, 3}, amor::Shape{3, 2});
  a.requires_grad_();
  b.requires_grad_();

  amor::Tensor c = amor::matmul(a, b);  // [2, 2]
  amor::Tensor loss = amor::sum(c);
  loss.backward();

  // d sum(A·B) / dA[i][k] = sum_j B[k][j]: the row sums of B, repeated for every row of A.
  const std::vector<float> grad_a = a.grad().to_vector<float>();
  const std::vector<float> expected = {0, 2, 3.5f, 0, 2, 3.5f};
  std::printf("loss = %g\n", loss.item<double>());
  std::printf("dloss/dA =");
  for (float g : grad_a) std::printf(" %g", g);
  std::printf("\n");

  bool ok = grad_a.size() == expected.size();
  for (size_t i = 0; ok && i < expected.size(); ++i) ok = std::fabs(grad_a[i] - expected[i]) < 1e-5f;
  if (!ok) {
    std::fprintf(stderr, "consumer: unexpected gradient\n");
    return 1;
  }
  std::printf("consumer: OK\n");
  return 0;
}
