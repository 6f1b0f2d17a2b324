// Writes a seed corpus of valid safetensors files for fuzz_safetensors into the given folder:
// every dtype, metadata, scalars, zero-size tensors, a small MLP checkpoint.
#include <iostream>
#include <string>

#include "core/ops.h"
#include "core/random.h"
#include "nn/checkpoint.h"
#include "nn/mlp.h"

int main(int argc, char** argv) {
  using namespace amor;
  using namespace amor::nn;
  if (argc != 2) {
    std::cerr << "usage: make_safetensors_corpus <folder>\n";
    return 2;
  }
  const std::string dir = argv[1];
  try {
    Generator gen(1);
    write_safetensors(dir + "/seed_empty.safetensors", {});
    write_safetensors(dir + "/seed_f32.safetensors", {{"w", randn({2, 3}, gen)}});
    write_safetensors(dir + "/seed_all_dtypes.safetensors",
                      {{"a", randn({3}, gen)},
                       {"b", randn({2, 2}, gen, {.dtype = DType::F64})},
                       {"c", from_vector<int64_t>({1, -2, 3})},
                       {"d", from_vector<bool>({true, false})},
                       {"s", scalar(1.5)},
                       {"z", zeros({0, 2})}},
                      {{"k", "v"}, {"format", "pt"}});
    MLP mlp({2, 3, 1}, gen);
    save_checkpoint(mlp, dir + "/seed_mlp.safetensors", {{"widths", {2, 3, 1}}});
  } catch (const std::exception& e) {
    std::cerr << "make_safetensors_corpus: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
