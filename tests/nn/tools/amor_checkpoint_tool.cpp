// amor_checkpoint_tool: the C++ side of tests/nn/safetensors_interop.py.
//
//   amor_checkpoint_tool write <path>   saves the fixed interop module (below) with
//                                       save_checkpoint(..., config {"interop": 1})
//   amor_checkpoint_tool check <path>   loads <path> (written by Python) into a zeroed interop
//                                       module and checks every value bit for bit against the
//                                       fixture; prints the error and exits 1 on any mismatch or
//                                       load error
//
// The fixture covers every dtype a checkpoint holds: float32 and float64 parameters, int64 and
// bool buffers, and a child MLP (dotted keys). Its values follow simple formulas, exact in
// binary floating point, that the Python script reproduces with numpy:
//   weight            float32 [2, 3]  i * 0.25 - 1             (i = row-major element index)
//   scale             float64 [4]     i / 3
//   counts            int64   [2, 2]  [[-3, 0], [2^40, 7]]
//   mask              bool    [5]     [1, 0, 0, 1, 1]
//   mlp.layers.K.weight / .bias       float32, MLP widths {3, 4, 2}: i * 0.0625 - 0.5 * (K + 1)
#include <cstdint>
#include <cstring>
#include <exception>
#include <iostream>
#include <memory>
#include <string>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/random.h"
#include "nn/checkpoint.h"
#include "nn/mlp.h"

namespace {

using namespace amor;
using namespace amor::nn;

class InteropFixture : public Module {
 public:
  explicit InteropFixture(bool zeroed) {
    Generator gen(0);
    weight = zeros({2, 3});
    scale = zeros({4}, {.dtype = DType::F64});
    counts = zeros({2, 2}, {.dtype = DType::I64});
    mask = zeros({5}, {.dtype = DType::Bool});
    register_parameter("weight", &weight);
    register_parameter("scale", &scale);
    register_buffer("counts", &counts);
    register_buffer("mask", &mask);
    mlp_ = register_module("mlp", std::make_shared<MLP>(std::vector<int64_t>{3, 4, 2}, gen));
    NoGradGuard no_grad;
    for (auto& [name, t] : state()) t.zero_();
    if (zeroed) return;
    fill(weight, [](int64_t i) { return double(i) * 0.25 - 1; });
    fill(scale, [](int64_t i) { return double(i) / 3; });
    counts.copy_(from_vector<int64_t>({-3, 0, int64_t(1) << 40, 7}, {2, 2}));
    mask.copy_(from_vector<bool>({true, false, false, true, true}));
    for (size_t k = 0; k < 2; ++k)
      for (const char* p : {"weight", "bias"})
        fill(*find_state("mlp.layers." + std::to_string(k) + "." + p),
             [k](int64_t i) { return double(i) * 0.0625 - 0.5 * double(k + 1); });
  }
  std::string type_name() const override { return "InteropFixture"; }

  Tensor weight, scale, counts, mask;

 private:
  template <class F>
  static void fill(Tensor& t, F f) {
    dispatch_float(t.dtype(), "fill", [&]<class T>() {
      T* p = t.data<T>();
      for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<T>(f(i));
    });
  }
  std::shared_ptr<MLP> mlp_;
};

int usage() {
  std::cerr << "usage: amor_checkpoint_tool write <path> | check <path>\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) return usage();
  const std::string cmd = argv[1], path = argv[2];
  try {
    if (cmd == "write") {
      InteropFixture m(false);
      save_checkpoint(m, path, {{"interop", 1}});
      return 0;
    }
    if (cmd == "check") {
      InteropFixture expected(false), loaded(true);
      load_checkpoint(loaded, path);
      const auto want = expected.state(), got = loaded.state();
      int bad = 0;
      for (size_t i = 0; i < want.size(); ++i) {
        const Tensor& a = want[i].second;
        const Tensor& b = got[i].second;
        const size_t n = size_t(a.numel()) * dtype_size(a.dtype());
        if (std::memcmp(a.raw_data(), b.raw_data(), n) != 0) {
          std::cerr << "check: " << path << ": tensor '" << want[i].first << "' differs: expected " << a
                    << ", got " << b << "\n";
          ++bad;
        }
      }
      if (bad) return 1;
      std::cout << "check: " << path << ": " << want.size() << " tensors match\n";
      return 0;
    }
  } catch (const std::exception& e) {
    std::cerr << "amor_checkpoint_tool " << cmd << ": " << e.what() << "\n";
    return 1;
  }
  return usage();
}
