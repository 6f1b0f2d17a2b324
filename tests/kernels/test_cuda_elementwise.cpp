// kernels/cuda/elementwise_device.cuh through the CPU execution harness:
//   - the strided-loop kernels against kernels/cpu/elementwise.h's map_* with the same functor, on
//     random shapes (1 to 5 axes) with contiguous, transposed, broadcast (stride 0) and sliced
//     (stride 2) operands, coalesced or not, under every schedule: bit-identical (one thread per
//     element, the same functor on the same host compiler);
//   - the per-element math (kernels/cuda/elementwise_math.cuh) against core's CPU ops
//     (core/ops/unary.cpp, binary.cpp) on the same inputs, within tolerances (the CPU's float path
//     uses fast_math polynomials, the device functors libm).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "tests/kernels/cuda_harness_util.h"
// The device code after the harness.
#include "core/core.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cuda/elementwise_device.cuh"
#include "kernels/cuda/elementwise_math.cuh"

namespace amor::kernels::cuda {
namespace {

using namespace testing;  // NOLINT: the harness test helpers

// One operand of a random layout over a shared shape: its buffer and strides (0 = broadcast).
template <class T>
struct Operand {
  std::vector<T> buffer;
  int64_t stride[kElementwiseMaxDims] = {};
};

enum class Layout { kContiguous, kTransposed, kBroadcast, kSliced };

template <class T>
Operand<T> make_operand(const std::vector<int64_t>& shape, Layout layout, std::mt19937& rng,
                        double lo, double hi) {
  const int nd = int(shape.size());
  Operand<T> op;
  std::vector<int64_t> sizes = shape;
  if (layout == Layout::kBroadcast)  // a random subset of axes broadcast
    for (int d = 0; d < nd; ++d)
      if (rng() % 2) sizes[size_t(d)] = 1;
  std::vector<int> order(static_cast<size_t>(nd));
  for (int d = 0; d < nd; ++d) order[size_t(d)] = d;
  if (layout == Layout::kTransposed) std::reverse(order.begin(), order.end());
  const int64_t step = layout == Layout::kSliced ? 2 : 1;
  int64_t acc = step;
  for (int k = nd - 1; k >= 0; --k) {  // innermost axis of the memory order first
    const int d = order[size_t(k)];
    op.stride[d] = sizes[size_t(d)] == 1 ? 0 : acc;
    acc *= sizes[size_t(d)];
  }
  op.buffer = random_values<T>(size_t(acc), rng, lo, hi);
  return op;
}

std::vector<int64_t> random_shape(std::mt19937& rng) {
  std::vector<int64_t> s(size_t(1 + rng() % 5));
  for (auto& d : s) d = 1 + int64_t(rng() % 6);
  return s;
}

// Geometry of out (contiguous) and the inputs, for both sides; optionally coalesced.
template <class T>
void make_geometry(const std::vector<int64_t>& shape, const std::vector<const Operand<T>*>& ins,
                   bool coalesce, StridedGeometry& g, cpu::LoopGeometry& cg) {
  cg.ndim = int(shape.size());
  cg.noperands = 1 + int(ins.size());
  int64_t acc = 1;
  for (int d = cg.ndim - 1; d >= 0; --d) {
    cg.shape[d] = shape[size_t(d)];
    cg.stride[0][d] = acc;
    acc *= shape[size_t(d)];
    for (size_t o = 0; o < ins.size(); ++o) cg.stride[o + 1][d] = ins[o]->stride[d];
  }
  if (coalesce) cg.coalesce();
  g.ndim = cg.ndim;
  g.noperands = cg.noperands;
  for (int d = 0; d < cg.ndim; ++d) {
    g.shape[d] = cg.shape[d];
    for (int o = 0; o < cg.noperands; ++o) g.stride[o][d] = cg.stride[o][d];
  }
}

int64_t numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

template <class T>
class CudaElementwiseHarness : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(CudaElementwiseHarness, FloatTypes);

constexpr Layout kLayouts[] = {Layout::kContiguous, Layout::kTransposed, Layout::kBroadcast,
                               Layout::kSliced};

TYPED_TEST(CudaElementwiseHarness, StridedLoopsMatchTheCpuLoops) {
  using T = TypeParam;
  std::mt19937 rng(11);
  for (int trial = 0; trial < 24; ++trial) {
    const std::vector<int64_t> shape = random_shape(rng);
    const int64_t n = numel(shape);
    const Layout la = kLayouts[trial % 4], lb = kLayouts[(trial / 4) % 4];
    const bool coalesce = trial % 3 != 0;
    SCOPED_TRACE(::testing::Message() << "trial " << trial << " ndim " << shape.size() << " n " << n
                                      << " layouts " << int(la) << "," << int(lb)
                                      << " coalesce " << coalesce);
    Operand<T> a = make_operand<T>(shape, la, rng, 0.1, 3.0);
    Operand<T> b = make_operand<T>(shape, lb, rng, -2.0, 2.0);
    Operand<T> c = make_operand<T>(shape, kLayouts[(trial + 1) % 4], rng, -2.0, 2.0);
    std::vector<uint8_t> mask(static_cast<size_t>(n));
    for (auto& m : mask) m = uint8_t(rng() % 2);
    Operand<uint8_t> m;
    m.buffer = mask;
    for (int d = int(shape.size()) - 1, acc = 1; d >= 0; acc *= int(shape[size_t(d)]), --d)
      m.stride[d] = acc;

    StridedGeometry g1, g2, g3;
    cpu::LoopGeometry c1, c2, c3;
    make_geometry<T>(shape, {&a}, coalesce, g1, c1);
    make_geometry<T>(shape, {&a, &b}, coalesce, g2, c2);
    make_geometry<T>(shape, {&b, &a, &c}, coalesce, g3, c3);

    for (const HarnessLaunch& launch : all_schedules(uint64_t(trial))) {
      SCOPED_TRACE(schedule_name(launch.schedule));
      std::vector<T> want(static_cast<size_t>(n), T(-7)), got(size_t(n), T(-9));
      const math::UnaryForward<UnaryOp::kGeluTanh> gelu;
      cpu::map_unary(c1, want.data(), a.buffer.data(), gelu);
      run_map1(g1, got.data(), a.buffer.data(), gelu, launch);
      expect_identical("map1 (gelu_tanh)", got, want);

      const math::Binary<BinaryOp::kPow, T> pw{T(1)};
      cpu::map_binary(c2, want.data(), a.buffer.data(), b.buffer.data(), pw);
      run_map2(g2, got.data(), a.buffer.data(), b.buffer.data(), pw, launch);
      expect_identical("map2 (pow)", got, want);

      const math::UnaryBackward<UnaryOp::kSilu> dsilu;
      cpu::map_ternary(c3, want.data(), b.buffer.data(), a.buffer.data(), c.buffer.data(), dsilu);
      run_map3(g3, got.data(), b.buffer.data(), a.buffer.data(), c.buffer.data(), dsilu, launch);
      expect_identical("map3 (silu backward)", got, want);

      std::vector<uint8_t> wb(static_cast<size_t>(n), 7), gb(size_t(n), 9);
      const math::Compare<CompareOp::kLe> le;
      cpu::map_binary(c2, wb.data(), a.buffer.data(), b.buffer.data(), le);
      run_map2(g2, gb.data(), a.buffer.data(), b.buffer.data(), le, launch);
      expect_identical("compare (le)", gb, wb);

      // where(mask, a, b) with the mask contiguous (operand 1 of a 4-operand geometry).
      StridedGeometry gw;
      cpu::LoopGeometry cw;
      make_geometry<T>(shape, {&a, &a, &b}, false, gw, cw);
      for (int d = 0; d < gw.ndim; ++d) gw.stride[1][d] = cw.stride[1][d] = m.stride[d];
      cpu::map_ternary(cw, want.data(), m.buffer.data(), a.buffer.data(), b.buffer.data(), math::Where{});
      run_map3(gw, got.data(), m.buffer.data(), a.buffer.data(), b.buffer.data(), math::Where{}, launch);
      expect_identical("where", got, want);

      // Strided writes: fill and cast into a transposed output leave the gaps untouched.
      Operand<T> out = make_operand<T>(shape, Layout::kSliced, rng, 0, 0);
      for (auto& v : out.buffer) v = T(-5);
      StridedGeometry gf;
      cpu::LoopGeometry cf;
      make_geometry<T>(shape, {&a}, coalesce, gf, cf);
      for (int d = 0; d < gf.ndim && !coalesce; ++d) gf.stride[0][d] = out.stride[d];
      if (!coalesce) {
        std::vector<T> wf = out.buffer, gfv = out.buffer;
        for (int d = 0; d < cf.ndim; ++d) cf.stride[0][d] = out.stride[d];
        cpu::map_unary(cf, wf.data(), a.buffer.data(), [](T x) { return static_cast<T>(static_cast<int64_t>(x * 10)); });
        std::vector<int64_t> ai(a.buffer.size());
        for (size_t i = 0; i < ai.size(); ++i) ai[i] = static_cast<int64_t>(a.buffer[i] * 10);
        run_map1(gf, gfv.data(), ai.data(), math::Cast<T>{}, launch);
        expect_identical("cast int64 -> T into a sliced output", gfv, wf);
        std::vector<T> wc = out.buffer, gc = out.buffer;
        cpu::map_unary(cf, wc.data(), a.buffer.data(), [](T) { return T(2.5); });
        run_map0(gf, gc.data(), Constant<T>{T(2.5)}, launch);
        expect_identical("fill into a sliced output", gc, wc);
      }
    }
  }
}

// The device math of every unary op (forward and backward) and binary op against core's CPU ops.
TYPED_TEST(CudaElementwiseHarness, MathMatchesCoreCpuOps) {
  using T = TypeParam;
  const double atol = std::is_same_v<T, float> ? 2e-6 : 1e-13;
  const double rtol = std::is_same_v<T, float> ? 2e-6 : 1e-13;
  std::mt19937 rng(5);
  const int64_t n = 300;
  std::vector<T> x = random_values<T>(size_t(n), rng, -6, 6), pos = random_values<T>(size_t(n), rng, 0.05, 4);
  std::vector<T> gr = random_values<T>(size_t(n), rng, -1, 1), y = random_values<T>(size_t(n), rng, -3, 3);
  x[0] = T(0), x[1] = T(-0.0), pos[0] = T(1);
  StridedGeometry g;
  g.ndim = 1, g.noperands = 4, g.shape[0] = n;
  for (int o = 0; o < 4; ++o) g.stride[o][0] = 1;
  const HarnessLaunch launch;

  struct Case { UnaryOp op; Tensor (*f)(const Tensor&); bool positive; };
  const Case cases[] = {
      {UnaryOp::kNeg, amor::neg, false},         {UnaryOp::kExp, amor::exp, false},
      {UnaryOp::kLog, amor::log, true},          {UnaryOp::kLog1p, amor::log1p, true},
      {UnaryOp::kExpm1, amor::expm1, false},     {UnaryOp::kSqrt, amor::sqrt, true},
      {UnaryOp::kRsqrt, amor::rsqrt, true},      {UnaryOp::kAbs, amor::abs, false},
      {UnaryOp::kSquare, amor::square, false},   {UnaryOp::kTanh, amor::tanh, false},
      {UnaryOp::kSigmoid, amor::sigmoid, false}, {UnaryOp::kLogSigmoid, amor::logsigmoid, false},
      {UnaryOp::kSoftplus, amor::softplus, false}, {UnaryOp::kRelu, amor::relu, false},
      {UnaryOp::kSilu, amor::silu, false},       {UnaryOp::kSin, amor::sin, false},
      {UnaryOp::kCos, amor::cos, false},
  };
  auto check_unary = [&](UnaryOp op, auto f, bool positive, const char* name) {
    SCOPED_TRACE(name);
    const std::vector<T>& in = positive ? pos : x;
    Tensor xt = from_vector(in).requires_grad_();
    Tensor yt = f(xt);
    const std::vector<T> want = yt.template to_vector<T>();
    const std::vector<T> want_dx = amor::grad({yt}, {xt}, {from_vector(gr)})[0].template to_vector<T>();
    std::vector<T> got(static_cast<size_t>(n)), got_dx(static_cast<size_t>(n));
    math::visit_unary_op(op, [&](auto tag) {
      run_map1(g, got.data(), in.data(), math::UnaryForward<decltype(tag)::value>{}, launch);
      run_map3(g, got_dx.data(), gr.data(), in.data(), want.data(),
               math::UnaryBackward<decltype(tag)::value>{}, launch);
    });
    expect_close("forward", got, want, 1.0, atol, rtol);
    expect_close("backward", got_dx, want_dx, 1.0, atol, rtol);
  };
  for (const Case& c : cases) check_unary(c.op, c.f, c.positive, "unary");
  check_unary(UnaryOp::kGelu, [](const Tensor& t) { return amor::gelu(t, false); }, false, "gelu");
  check_unary(UnaryOp::kGeluTanh, [](const Tensor& t) { return amor::gelu(t, true); }, false, "gelu tanh");

  struct BCase { BinaryOp op; Tensor (*f)(const Tensor&, const Tensor&); };
  const BCase bcases[] = {{BinaryOp::kAdd, amor::add}, {BinaryOp::kSub, amor::sub},
                          {BinaryOp::kMul, amor::mul}, {BinaryOp::kDiv, amor::div},
                          {BinaryOp::kPow, amor::pow}, {BinaryOp::kMinimum, amor::minimum},
                          {BinaryOp::kMaximum, amor::maximum}};
  for (const BCase& c : bcases) {
    const std::vector<T> want = c.f(from_vector(pos), from_vector(y)).template to_vector<T>();
    std::vector<T> got(static_cast<size_t>(n));
    math::visit_binary_op(c.op, [&](auto tag) {
      run_map2(g, got.data(), pos.data(), y.data(), math::Binary<decltype(tag)::value, T>{T(1)}, launch);
    });
    expect_close("binary", got, want, 1.0, atol, rtol);
  }
  // The binary gradients (div, pow, minimum/maximum with ties) through core's autograd.
  std::vector<T> yt = y;
  for (size_t i = 0; i < yt.size(); i += 7) yt[i] = pos[i];  // ties for minimum/maximum
  for (BinaryOp op : {BinaryOp::kDiv, BinaryOp::kPow, BinaryOp::kMinimum, BinaryOp::kMaximum}) {
    SCOPED_TRACE(int(op));
    Tensor a = from_vector(pos).requires_grad_(), b = from_vector(yt).requires_grad_();
    Tensor out = op == BinaryOp::kDiv ? amor::div(a, b)
                 : op == BinaryOp::kPow ? amor::pow(a, b)
                 : op == BinaryOp::kMinimum ? amor::minimum(a, b) : amor::maximum(a, b);
    auto grads = amor::grad({out}, {a, b}, {from_vector(gr)});
    const std::vector<T> ov = out.template to_vector<T>();
    std::vector<T> ga(static_cast<size_t>(n)), gb(static_cast<size_t>(n));
    if (op == BinaryOp::kDiv) {
      for (int64_t i = 0; i < n; ++i) ga[size_t(i)] = gr[size_t(i)] / yt[size_t(i)];
      run_map3(g, gb.data(), gr.data(), pos.data(), yt.data(), math::Ternary<TernaryOp::kDivGradB>{}, launch);
    } else if (op == BinaryOp::kPow) {
      run_map3(g, ga.data(), gr.data(), pos.data(), yt.data(), math::Ternary<TernaryOp::kPowGradA>{}, launch);
      run_map3(g, gb.data(), gr.data(), pos.data(), ov.data(), math::Ternary<TernaryOp::kPowGradB>{}, launch);
    } else {
      const bool mx = op == BinaryOp::kMaximum;
      auto share = [&](std::vector<T>& dst, const std::vector<T>& self, const std::vector<T>& other) {
        if (mx) run_map3(g, dst.data(), gr.data(), self.data(), other.data(), math::Ternary<TernaryOp::kMinMaxShareMax>{}, launch);
        else run_map3(g, dst.data(), gr.data(), self.data(), other.data(), math::Ternary<TernaryOp::kMinMaxShareMin>{}, launch);
      };
      share(ga, pos, yt);
      share(gb, yt, pos);
    }
    expect_close("grad a", ga, grads[0].template to_vector<T>(), 1.0, atol, rtol);
    expect_close("grad b", gb, grads[1].template to_vector<T>(), 1.0, atol, rtol);
  }
  // isfinite on NaN, ±inf and numbers.
  std::vector<T> special = {T(1), std::numeric_limits<T>::infinity(), -std::numeric_limits<T>::infinity(),
                            std::numeric_limits<T>::quiet_NaN(), T(-0.0), std::numeric_limits<T>::max()};
  std::vector<uint8_t> fin(special.size());
  StridedGeometry gs = g;
  gs.shape[0] = int64_t(special.size());
  run_map1(gs, fin.data(), special.data(), math::IsFinite{}, launch);
  expect_identical("isfinite", fin, std::vector<uint8_t>{1, 0, 0, 0, 1, 1});
}

}  // namespace
}  // namespace amor::kernels::cuda
