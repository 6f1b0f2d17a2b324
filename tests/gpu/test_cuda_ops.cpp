// Every core op on a CUDA device against the CPU path, forward and backward (random upstream
// gradients), float32 and float64, with broadcast and non-contiguous (transposed, sliced)
// inputs; device copies, in-place writes, factories, the allocator, and the errors of mixed
// devices and bad indices. Labelled `gpu`; every test skips when there is no device.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/core.h"
#include "core/random.h"
#include "kernels/cuda/allocator.h"
#include "tests/gpu/device_buffer.h"
#include "tests/gpu/op_compare.h"

namespace amor {
namespace {

using testing::compare_op;
using testing::expect_same_values;
using testing::OpInput;
using V = std::vector<Tensor>;

constexpr DType kFloatTypes[] = {DType::F32, DType::F64};
const Device kCuda = Device::cuda(0);

// Uniform values in [lo, hi) (float64 on the CPU; compare_op converts).
Tensor rnd(const Shape& s, uint64_t seed, double lo = -2, double hi = 2) {
  Generator gen(seed);
  return uniform(s, lo, hi, gen, {.dtype = DType::F64});
}

TEST(CudaOps, UnaryForwardAndBackward) {
  AMOR_REQUIRE_GPU();
  using F = Tensor (*)(const Tensor&);
  struct Case { const char* name; F f; bool positive; };
  const Case cases[] = {
      {"neg", neg, false}, {"exp", exp, false}, {"log", log, true}, {"log1p", log1p, true},
      {"expm1", expm1, false}, {"sqrt", sqrt, true}, {"rsqrt", rsqrt, true}, {"abs", abs, false},
      {"square", square, false}, {"tanh", tanh, false}, {"sigmoid", sigmoid, false},
      {"logsigmoid", logsigmoid, false}, {"softplus", softplus, false}, {"relu", relu, false},
      {"silu", silu, false}, {"sin", sin, false}, {"cos", cos, false}};
  for (DType dt : kFloatTypes) {
    for (const Case& c : cases) {
      const Tensor x = c.positive ? rnd({6, 5}, 1, 0.1, 3) : rnd({6, 5}, 1, -3, 3);
      compare_op(c.name, dt, {{x}}, [f = c.f](const V& v) { return f(v[0].t()); });  // transposed input
    }
    compare_op("gelu", dt, {{rnd({4, 9}, 2, -3, 3)}}, [](const V& v) { return gelu(v[0].slice(1, 0, 9, 2), false); });
    compare_op("gelu tanh", dt, {{rnd({4, 9}, 3, -3, 3)}}, [](const V& v) { return gelu(v[0], true); });
    compare_op("clamp", dt, {{rnd({7, 3}, 4)}}, [](const V& v) { return clamp(v[0].t(), -0.5, 1.0); });
    compare_op("clamp lo only", dt, {{rnd({7, 3}, 5)}}, [](const V& v) { return clamp(v[0], 0.0, std::nullopt); });
  }
}

TEST(CudaOps, BinaryBroadcastAndStrided) {
  AMOR_REQUIRE_GPU();
  using F = Tensor (*)(const Tensor&, const Tensor&);
  struct Case { const char* name; F f; };
  const Case cases[] = {{"add", add}, {"sub", sub}, {"mul", mul}, {"div", div},
                        {"minimum", minimum}, {"maximum", maximum}};
  for (DType dt : kFloatTypes) {
    for (const Case& c : cases) {
      // [4, 1, 3] with a transposed [5, 3] -> [4, 5, 3]
      compare_op(c.name, dt, {{rnd({4, 1, 3}, 6)}, {rnd({3, 5}, 7, 0.5, 2)}},
                 [f = c.f](const V& v) { return f(v[0], v[1].t()); });
      // a 0-d operand and a sliced one
      compare_op(std::string(c.name) + " scalar", dt, {{rnd({}, 8, 0.5, 2)}, {rnd({6, 8}, 9, 0.5, 2)}},
                 [f = c.f](const V& v) { return f(v[0], v[1].slice(1, 1, 8, 3)); });
    }
    compare_op("pow", dt, {{rnd({3, 4}, 10, 0.2, 2)}, {rnd({4}, 11, -1.5, 1.5)}},
               [](const V& v) { return pow(v[0], v[1]); });
    compare_op("pow scalar exponent", dt, {{rnd({3, 4}, 12, 0.2, 2)}}, [](const V& v) { return pow(v[0], 3.0); });
    compare_op("scalar arithmetic", dt, {{rnd({5, 2}, 13, 0.5, 2)}},
               [](const V& v) { return (2.0 - v[0] * 3.0) / (v[0] + 1.0) - 1.0 / v[0]; });
    // ties of minimum / maximum split the gradient
    const Tensor t = rnd({8}, 14);
    compare_op("maximum ties", dt, {{t}, {t}}, [](const V& v) { return maximum(v[0], v[1]); });
    const Tensor m = gt(rnd({4, 5}, 15), scalar(0.0, DType::F64));
    compare_op("where", dt, {{m, false}, {rnd({4, 5}, 16)}, {rnd({5}, 17)}},
               [](const V& v) { return where(v[0], v[1], v[2]); });
    compare_op("where scalar", dt, {{m, false}, {rnd({5, 4}, 18)}},
               [](const V& v) { return where(v[0], v[1].t(), 0.5); });
    compare_op("masked_fill", dt, {{rnd({4, 5}, 19)}, {m, false}},
               [](const V& v) { return masked_fill(v[0], v[1], -1.0); });
  }
}

TEST(CudaOps, ComparisonsAndLogic) {
  AMOR_REQUIRE_GPU();
  for (DType dt : kFloatTypes) {
    Tensor a = rnd({3, 4}, 20), b = rnd({4}, 21);
    b = concat({a.select(0, 1).slice(0, 0, 2), b.slice(0, 2, 4)}, 0);  // some equal elements
    for (auto [name, f] : std::vector<std::pair<const char*, Tensor (*)(const Tensor&, const Tensor&)>>{
             {"eq", eq}, {"ne", ne}, {"lt", lt}, {"le", le}, {"gt", gt}, {"ge", ge}})
      compare_op(name, dt, {{a, false}, {b, false}}, [f = f](const V& v) { return f(v[0], v[1]); });
    compare_op("logic", dt, {{a, false}, {b, false}}, [](const V& v) {
      return logical_or(logical_and(gt(v[0], 0.0), lt(v[1], 0.5)), logical_not(gt(v[0], v[1])));
    });
    const Tensor special = from_vector<double>({1.0, INFINITY, -INFINITY, NAN, -0.0, 3.0});
    compare_op("isfinite", dt, {{special, false}}, [](const V& v) { return isfinite(v[0]); });
    EXPECT_FALSE(all_finite(special.to(dt).to(kCuda)));
    EXPECT_TRUE(all_finite(a.to(dt).to(kCuda)));
    EXPECT_TRUE(any(gt(a.to(kCuda), 1.0)) == any(gt(a, 1.0)));
  }
}

TEST(CudaOps, Reductions) {
  AMOR_REQUIRE_GPU();
  for (DType dt : kFloatTypes) {
    const Tensor x = rnd({4, 5, 6}, 30);
    compare_op("sum all", dt, {{x}}, [](const V& v) { return sum(v[0]); });
    compare_op("sum axes", dt, {{x}}, [](const V& v) { return sum(v[0].permute({2, 0, 1}), {0, 2}, true); });
    compare_op("mean", dt, {{x}}, [](const V& v) { return mean(v[0], {1}); });
    compare_op("var", dt, {{x}}, [](const V& v) { return var(v[0], {0, 2}, 1, false); });
    compare_op("max axis", dt, {{x}}, [](const V& v) { return max(v[0], 1, true); });
    compare_op("min axis", dt, {{x}}, [](const V& v) { return min(v[0].transpose(0, 2), 0); });
    compare_op("max all", dt, {{x}}, [](const V& v) { return max(v[0]); });
    compare_op("argmax", dt, {{x, false}}, [](const V& v) { return argmax(v[0], 2); });
    compare_op("logsumexp", dt, {{x}}, [](const V& v) { return logsumexp(v[0], 1); });
    compare_op("softmax", dt, {{x}}, [](const V& v) { return softmax(v[0].transpose(1, 2), -1); });
    compare_op("log_softmax", dt, {{x}}, [](const V& v) { return log_softmax(v[0], 0); });
    compare_op("cumsum", dt, {{x}}, [](const V& v) { return cumsum(v[0], 1); });
    compare_op("sum_to", dt, {{x}}, [](const V& v) { return sum_to(v[0], Shape{5, 1}); });
    compare_op("long rows", dt, {{rnd({3, 3000}, 31)}}, [](const V& v) { return logsumexp(v[0], 1) + sum(v[0], {1}); });
  }
}

TEST(CudaOps, ViewsAndJoins) {
  AMOR_REQUIRE_GPU();
  for (DType dt : kFloatTypes) {
    const Tensor x = rnd({4, 6}, 40);
    compare_op("views", dt, {{x}}, [](const V& v) {
      Tensor y = v[0].reshape({2, 12}).permute({1, 0}).slice(0, 1, 12, 2).unsqueeze(0);
      return y.expand({3, 6, 2}).squeeze().flatten() * 1.0;
    });
    compare_op("select narrow", dt, {{x}}, [](const V& v) { return v[0].select(1, 2) + v[0].narrow(1, 3, 1).squeeze(1); });
    compare_op("contiguous clone", dt, {{x}}, [](const V& v) { return v[0].t().contiguous().clone(); });
    compare_op("cast", dt, {{x}}, [dt](const V& v) {
      return v[0].to(dt == DType::F32 ? DType::F64 : DType::F32).to(dt);
    });
    compare_op("concat", dt, {{x}, {rnd({4, 2}, 41)}}, [](const V& v) { return concat({v[0], v[1], v[0].slice(1, 0, 6, 3)}, 1); });
    compare_op("stack", dt, {{x}, {rnd({6, 4}, 42)}}, [](const V& v) { return stack({v[0], v[1].t()}, 1); });
    compare_op("split chunk", dt, {{x}}, [](const V& v) {
      auto parts = split(v[0], {1, 3}, 0);
      auto cs = chunk(v[0], 3, 1);
      return parts[1].sum() * cs[2] + parts[0].mean();
    });
    compare_op("to(int64) and back", dt, {{x, false}}, [dt](const V& v) { return (v[0] * 10.0).to(DType::I64).to(dt); });
  }
}

TEST(CudaOps, Indexing) {
  AMOR_REQUIRE_GPU();
  for (DType dt : kFloatTypes) {
    const Tensor x = rnd({5, 4, 3}, 50);
    const Tensor idx = from_vector<int64_t>({4, 0, 0, 2, 4, 1});
    compare_op("index_select", dt, {{x}, {idx, false}}, [](const V& v) { return index_select(v[0], 0, v[1]); });
    compare_op("index_select middle", dt, {{x}, {from_vector<int64_t>({3, 3, 1}), false}},
               [](const V& v) { return index_select(v[0].transpose(0, 1), 1, v[1]); });
    Generator gen(3);
    const Tensor gidx = randint(0, 4, Shape{5, 7, 3}, gen);
    compare_op("gather", dt, {{x}, {gidx, false}}, [](const V& v) { return gather(v[0], 1, v[1]); });
    compare_op("scatter_add", dt, {{x}, {gidx, false}, {rnd({5, 7, 3}, 51)}},
               [](const V& v) { return scatter_add(v[0], 1, v[1], v[2]); });
    Tensor sorted = rnd({3, 8}, 52);
    {
      std::vector<double> s = sorted.to_vector<double>();
      for (int r = 0; r < 3; ++r) std::sort(s.begin() + r * 8, s.begin() + (r + 1) * 8);
      sorted = from_vector(s, Shape{3, 8});
    }
    compare_op("searchsorted", dt, {{sorted, false}, {rnd({3, 10}, 53), false}},
               [](const V& v) { return concat({searchsorted(v[0], v[1], false), searchsorted(v[0], v[1], true)}, 1); });
  }
}

TEST(CudaOps, MatmulAndLinearOnCublas) {
  AMOR_REQUIRE_GPU();
  for (DType dt : kFloatTypes) {
    compare_op("matmul 2-D", dt, {{rnd({5, 7}, 60)}, {rnd({7, 3}, 61)}}, [](const V& v) { return matmul(v[0], v[1]); });
    compare_op("matmul transposed", dt, {{rnd({7, 5}, 62)}, {rnd({3, 7}, 63)}},
               [](const V& v) { return matmul(v[0].t(), v[1].t()); });
    compare_op("matmul batched broadcast", dt, {{rnd({2, 1, 4, 5}, 64)}, {rnd({3, 5, 6}, 65)}},
               [](const V& v) { return matmul(v[0], v[1]); });
    compare_op("matmul one matrix for every batch", dt, {{rnd({4, 3, 5}, 66)}, {rnd({5, 2}, 67)}},
               [](const V& v) { return matmul(v[0], v[1]); });
    compare_op("matmul vectors", dt, {{rnd({5}, 68)}, {rnd({5, 4}, 69)}, {rnd({4}, 70)}},
               [](const V& v) { return matmul(matmul(v[0], v[1]), v[2]) + matmul(v[1], v[2]).sum(); });
    compare_op("linear", dt, {{rnd({2, 6, 5}, 71)}, {rnd({3, 5}, 72)}, {rnd({3}, 73)}},
               [](const V& v) { return linear(v[0], v[1], v[2]); });
    compare_op("linear no bias, strided input", dt, {{rnd({5, 6}, 74)}, {rnd({4, 6}, 75)}},
               [](const V& v) { return linear(v[0].slice(0, 0, 5, 2), v[1]); });
    compare_op("conv1d", dt, {{rnd({2, 9, 3}, 76)}, {rnd({4, 3, 3}, 77)}, {rnd({4}, 78)}},
               [](const V& v) { return conv1d(v[0], v[1], v[2], 2, 1, 1, 1); });
  }
}

TEST(CudaOps, FusedKernels) {
  AMOR_REQUIRE_GPU();
  for (DType dt : kFloatTypes) {
    compare_op("layer_norm", dt, {{rnd({3, 4, 10}, 80)}, {rnd({10}, 81)}, {rnd({10}, 82)}},
               [](const V& v) { return layer_norm(v[0], v[1], v[2]); });
    compare_op("layer_norm no affine", dt, {{rnd({10, 3}, 83)}},
               [](const V& v) { return layer_norm(v[0].t(), Tensor(), Tensor()); });
    const int64_t B = 2, T = 5, H = 2, D = 4;
    const Tensor mask2 = gt(rnd({T, T}, 84), scalar(-1.0, DType::F64));
    Tensor mask3 = gt(rnd({B, T, T}, 85), scalar(-0.5, DType::F64));
    compare_op("attention [T,T] mask", dt, {{rnd({B, T, H, D}, 86)}, {rnd({B, T, H, D}, 87)}, {rnd({B, T, H, D}, 88)}, {mask2, false}},
               [](const V& v) { return attention(v[0], v[1], v[2], v[3]); });
    compare_op("attention [B,T,T] mask, strided", dt,
               {{rnd({B, H, T, D}, 89)}, {rnd({B, T, H, D}, 90)}, {rnd({B, T, H, D}, 91)}, {mask3, false}},
               [](const V& v) { return attention(v[0].transpose(1, 2), v[1], v[2], v[3]); });
    compare_op("attention_qkv", dt, {{rnd({B, T, 3, H, D}, 92)}},
               [](const V& v) { return attention_qkv(v[0]); });
    RQSplineOptions o;
    o.num_bins = 5;
    const int64_t P = 3 * o.num_bins - 1;
    for (bool inverse : {false, true}) {
      o.inverse = inverse;
      compare_op(inverse ? "rq_spline inverse" : "rq_spline", dt, {{rnd({6, 3}, 93, -3.5, 3.5)}, {rnd({6, 3, P}, 94)}},
                 [o](const V& v) {
                   RQSplineOutputs r = rational_quadratic_spline(v[0], v[1], o);
                   return r.outputs * 2.0 + r.logabsdet;
                 });
      compare_op(inverse ? "affine_coupling inverse" : "affine_coupling", dt,
                 {{rnd({5, 4}, 95)}, {rnd({5, 4}, 96)}, {rnd({4, 5}, 97)}}, [inverse](const V& v) {
                   auto [y, logdet] = affine_coupling(v[0], v[1], v[2].t(), inverse);
                   return sum(y, {1}) * 0.5 + logdet;
                 });
    }
  }
}

TEST(CudaOps, RandomFillsFollowTheCpuStreams) {
  AMOR_REQUIRE_GPU();
  for (DType dt : kFloatTypes) {
    Generator a(7), b(7);
    const Tensor u = uniform({1000}, -1, 2, a, {.dtype = dt});
    const Tensor ud = uniform({1000}, -1, 2, b, {.dtype = dt, .device = kCuda});
    EXPECT_EQ(ud.to_vector<double>(), u.to_vector<double>()) << "uniform: the same bits";
    expect_same_values("normal", normal({500}, 1, 2, b, {.dtype = dt, .device = kCuda}),
                       normal({500}, 1, 2, a, {.dtype = dt}), testing::op_tol(dt));
    EXPECT_EQ(a.offset(), b.offset());
    const Tensor p = rnd({300}, 5, 0, 1).to(dt);
    EXPECT_EQ(bernoulli(p.to(kCuda), b).to_vector<uint8_t>(), bernoulli(p, a).to_vector<uint8_t>());
    const Tensor k = gamma(Shape{200}, 2.5, b, {.dtype = dt, .device = kCuda});
    EXPECT_EQ(k.device(), kCuda);
    EXPECT_TRUE(all(gt(k, 0.0)));
    EXPECT_THROW(bernoulli((p + 1.5).to(kCuda), b), ValueError);
  }
}

TEST(CudaTensor, CopiesRoundTrip) {
  AMOR_REQUIRE_GPU();
  for (DType dt : {DType::F32, DType::F64, DType::I64, DType::Bool}) {
    const Tensor x = (rnd({7, 5}, 100) * 10.0).to(dt);
    const Tensor d = x.to(kCuda);
    EXPECT_EQ(d.device(), kCuda);
    EXPECT_EQ(d.to(Device::cpu()).to_vector<double>(), x.to_vector<double>()) << dtype_name(dt);
    EXPECT_EQ(d.t().to(Device::cpu()).to_vector<double>(), x.t().to_vector<double>()) << "strided";
    EXPECT_EQ(d.t().contiguous().to_vector<double>(), x.t().contiguous().to_vector<double>());
    EXPECT_EQ(d.slice(0, 1, 7, 3).to_vector<double>(), x.slice(0, 1, 7, 3).to_vector<double>());
    EXPECT_EQ(d.select(0, 3).select(0, 2).item<double>(), x.select(0, 3).select(0, 2).item<double>());
    EXPECT_EQ(d.to(kCuda).impl(), d.impl()) << "same device: no copy";
  }
  // Empty and 0-d tensors.
  EXPECT_EQ(zeros({0, 3}, {.device = kCuda}).to(Device::cpu()).numel(), 0);
  EXPECT_EQ(scalar(2.5).to(kCuda).item<float>(), 2.5f);
  // Gradients flow back across the copy.
  Tensor x = rnd({3}, 101).requires_grad_();
  Tensor y = (x.to(kCuda) * 2.0).sum();
  y.backward();
  EXPECT_EQ(x.grad().device(), Device::cpu());
  EXPECT_EQ(x.grad().to_vector<double>(), std::vector<double>(3, 2.0));
}

TEST(CudaTensor, InPlaceAndFactories) {
  AMOR_REQUIRE_GPU();
  Tensor d = zeros({3, 4}, {.device = kCuda});
  d.fill_(1.5);
  d.add_(arange(0.0, 4.0, 1.0, {.device = kCuda}), 2.0);
  d.mul_(3.0);
  d.mul_(full({3, 1}, -1.0, {.device = kCuda}));
  Tensor c = full({3, 4}, 1.5);
  c.add_(arange(0.0, 4.0), 2.0);
  c.mul_(3.0);
  c.mul_(full({3, 1}, -1.0));
  EXPECT_EQ(d.to_vector<float>(), c.to_vector<float>());
  // copy_ broadcasts, casts and crosses devices.
  Tensor e = zeros({2, 3}, {.dtype = DType::F64, .device = kCuda});
  e.copy_(from_vector<int64_t>({4, 5, 6}).to(kCuda));
  EXPECT_EQ(e.to_vector<double>(), (std::vector<double>{4, 5, 6, 4, 5, 6}));
  e.t().copy_(from_vector<float>({1, 2, 3, 4, 5, 6}, Shape{3, 2}));  // from the host, strided
  EXPECT_EQ(e.to_vector<double>(), (std::vector<double>{1, 3, 5, 2, 4, 6}));
  EXPECT_EQ(ones({2, 2}, {.dtype = DType::I64, .device = kCuda}).sum().item<double>(), 4.0);
  EXPECT_EQ(eye(3, {.device = kCuda}).to_vector<float>(), eye(3).to_vector<float>());
  EXPECT_EQ(linspace(0, 1, 5, {.device = kCuda}).to_vector<float>(), linspace(0, 1, 5).to_vector<float>());
  EXPECT_EQ(zeros_like(e).device(), kCuda);
}

TEST(CudaTensor, AllocatorReusesBlocks) {
  AMOR_REQUIRE_GPU();
  kernels::cuda::device_empty_cache(0);
  const auto before = kernels::cuda::device_allocator_stats(0);
  EXPECT_EQ(before.cached_bytes, 0u);
  const void* first = nullptr;
  for (int step = 0; step < 5; ++step) {  // the same shapes every step: no new device memory
    Tensor a = Tensor::empty({256, 64}, DType::F32, kCuda);
    if (step == 0) first = a.raw_data();
    else EXPECT_EQ(a.raw_data(), first) << "step " << step << " reuses the freed block";
  }
  const auto after = kernels::cuda::device_allocator_stats(0);
  EXPECT_EQ(after.allocations - before.allocations, 5u);
  EXPECT_EQ(after.cache_hits - before.cache_hits, 4u);
  EXPECT_EQ(after.device_allocs - before.device_allocs, 1u);
  EXPECT_EQ(after.cached_bytes, kernels::cuda::BlockCache::size_class(256 * 64 * 4));
  kernels::cuda::device_empty_cache(0);
  EXPECT_EQ(kernels::cuda::device_allocator_stats(0).cached_bytes, 0u);
}

TEST(CudaTensor, MixedDevicesAndBadIndicesAreErrors) {
  AMOR_REQUIRE_GPU();
  const Tensor c = ones({3}), d = ones({3}, {.device = kCuda});
  EXPECT_THROW(add(c, d), DeviceError);
  EXPECT_THROW(matmul(c, d), DeviceError);
  EXPECT_THROW(linear(ones({2, 3}, {.device = kCuda}), ones({4, 3})), DeviceError);
  EXPECT_THROW(where(gt(c, 0.0), d, d), DeviceError);
  EXPECT_THROW(index_select(d, 0, from_vector<int64_t>({0})), DeviceError);
  EXPECT_THROW(layer_norm(ones({2, 3}, {.device = kCuda}), ones({3}), Tensor()), DeviceError);
  try {
    (void)index_select(d, 0, from_vector<int64_t>({0, 3}).to(kCuda));
    FAIL() << "an out-of-range index on the device must throw";
  } catch (const IndexError& e) {
    EXPECT_NE(std::string(e.what()).find("index 3 at position 1"), std::string::npos) << e.what();
  }
  EXPECT_THROW(gather(ones({2, 2}, {.device = kCuda}), 1, from_vector<int64_t>({0, 1, -1, 0}, Shape{2, 2}).to(kCuda)),
               IndexError);
  EXPECT_THROW(Tensor::empty({1}, DType::F32, Device::cuda(63)), DeviceError);
}

}  // namespace
}  // namespace amor
