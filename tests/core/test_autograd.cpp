// The autodiff engine (core/autograd.h): accumulation, grad mode, detach, graph release and
// retain_graph, the saved-tensor version check, amor::grad on leaves and intermediates, and
// the errors of misuse.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "tests/support/gradcheck.h"

namespace amor {
namespace {

using testing::expect_close;

Tensor vec(std::vector<double> v) { return from_vector(v); }
Tensor leaf(std::vector<double> v) { return from_vector(v).requires_grad_(); }

TEST(Autograd, LeafAndNonLeaf) {
  Tensor x = leaf({1, 2});
  EXPECT_TRUE(x.is_leaf());
  EXPECT_TRUE(x.requires_grad());
  EXPECT_FALSE(x.grad().defined());  // before any backward
  Tensor y = x * 2.0;
  EXPECT_FALSE(y.is_leaf());
  EXPECT_TRUE(y.requires_grad());
  ASSERT_TRUE(y.grad_fn());
  EXPECT_STREQ(y.grad_fn()->name(), "MulBackward");
  Tensor c = vec({1, 2}) * 2.0;  // no input requires grad: nothing recorded
  EXPECT_TRUE(c.is_leaf());
  EXPECT_FALSE(c.requires_grad());
}

TEST(Autograd, FanOutAccumulates) {
  // y = x·x + 3x + sin(x): x reaches the output along four paths.
  Tensor x = leaf({0.5, -1.0, 2.0});
  Tensor y = x * x + x * 3.0 + sin(x);
  y.backward(ones_like(y));
  std::vector<double> xv = {0.5, -1.0, 2.0}, expected;
  for (double v : xv) expected.push_back(2 * v + 3 + std::cos(v));
  expect_close(x.grad(), vec(expected), 1e-14, 1e-14);
}

TEST(Autograd, SharedGradientsAreNotAccumulatedInPlace) {
  // u + v hands the same gradient tensor to u and v (it runs first: created last); u·v then adds
  // to both. A gradient slot may be accumulated into in place only when nothing else holds it:
  // here neither may be, or v's gradient would change with u's.
  // y = u·v + (u + v), u = 2x, v = 3x: dy/dx = 2(1 + v) + 3(1 + u) = 5 + 12x.
  // The upstream gradient G is the caller's (contiguous, reaches u and v as the same tensor) and
  // must come back unchanged.
  Tensor x = leaf({0.5, -1.0, 2.0});
  Tensor u = x * 2.0, v = x * 3.0;
  Tensor uv = u * v;
  Tensor sum_uv = u + v;  // created after uv, so its backward runs first
  Tensor y = uv + sum_uv;
  Tensor G = vec({1.0, 1.0, 1.0});
  y.backward(G);
  expect_close(x.grad(), vec({5 + 12 * 0.5, 5 - 12.0, 5 + 24.0}), 1e-14, 1e-14);
  expect_close(G, vec({1.0, 1.0, 1.0}), 0, 0);
  // Several fan-ins into one intermediate, the later ones into a gradient it owns alone.
  Tensor z = leaf({0.25, 1.5});
  Tensor h = exp(z);
  Tensor w = sum(h * h + h * 3.0 + sin(h) + h);
  w.backward();
  std::vector<double> expected;
  for (double v0 : {0.25, 1.5}) {
    const double hv = std::exp(v0);
    expected.push_back((2 * hv + 3 + std::cos(hv) + 1) * hv);
  }
  expect_close(z.grad(), vec(expected), 1e-12, 1e-14);
}

TEST(Autograd, DiamondGraph) {
  // h is used by two branches that meet again: its node must run once, after both.
  Tensor x = leaf({1.0, 2.0});
  Tensor h = exp(x);
  Tensor y = sum(h * h) + sum(h);  // dy/dx = (2h + 1)·h
  y.backward();
  std::vector<double> expected;
  for (double v : {1.0, 2.0}) expected.push_back((2 * std::exp(v) + 1) * std::exp(v));
  expect_close(x.grad(), vec(expected), 1e-12, 1e-14);
}

TEST(Autograd, GradAccumulatesAcrossBackwardCalls) {
  Tensor x = leaf({1, 2, 3});
  sum(x * x).backward();
  expect_close(x.grad(), vec({2, 4, 6}));
  sum(x * x).backward();  // a new graph; .grad accumulates
  expect_close(x.grad(), vec({4, 8, 12}));
  x.zero_grad();
  EXPECT_FALSE(x.grad().defined());
  sum(x * 5.0).backward();
  expect_close(x.grad(), vec({5, 5, 5}));
}

TEST(Autograd, LeafGradDoesNotAliasTheUpstreamGradient) {
  Tensor x = leaf({1, 2});
  Tensor g = vec({3, 4});
  x.contiguous().backward(g);  // contiguous() of a contiguous leaf is the leaf itself
  {
    NoGradGuard ng;
    g.fill_(0.0);
  }
  expect_close(x.grad(), vec({3, 4}));
  // Accumulating into .grad must not write into a gradient that another tensor holds either.
  Tensor held = x.grad();
  (x + x).backward(vec({1, 1}));
  expect_close(x.grad(), vec({5, 6}));
}

TEST(Autograd, BroadcastGradientIsReducedToTheLeafShape) {
  Tensor b = leaf({1, 2});
  Tensor a = from_vector<double>({1, 2, 3, 4, 5, 6}, Shape{3, 2});
  (a * b).backward(ones(Shape{3, 2}, {.dtype = DType::F64}));
  expect_close(b.grad(), vec({9, 12}));
  EXPECT_EQ(b.grad().shape(), (Shape{2}));
}

TEST(Autograd, ZeroGradAndSetGrad) {
  Tensor x = leaf({1, 2});
  x.set_grad(vec({7, 8}));
  sum(x).backward();
  expect_close(x.grad(), vec({8, 9}));
  x.zero_grad();
  EXPECT_FALSE(x.grad().defined());
  x.set_grad(Tensor());
  EXPECT_FALSE(x.grad().defined());
}

TEST(Autograd, NoGradGuard) {
  Tensor x = leaf({1, 2});
  EXPECT_TRUE(GradMode::enabled());
  {
    NoGradGuard g;
    EXPECT_FALSE(GradMode::enabled());
    Tensor y = x * 2.0;
    EXPECT_FALSE(y.requires_grad());
    EXPECT_FALSE(y.grad_fn());
    {
      NoGradGuard nested;
      EXPECT_FALSE(GradMode::enabled());
    }
    EXPECT_FALSE(GradMode::enabled());
    {
      EnableGradGuard on;
      EXPECT_TRUE(GradMode::enabled());
      EXPECT_TRUE((x * 2.0).requires_grad());
    }
    EXPECT_FALSE(GradMode::enabled());
    // Views under no-grad are not recorded either.
    EXPECT_FALSE(x.reshape(Shape{2, 1}).requires_grad());
    EXPECT_FALSE(x.slice(0, 0, 1).requires_grad());
  }
  EXPECT_TRUE(GradMode::enabled());
}

TEST(Autograd, GradModeIsPerThread) {
  NoGradGuard g;
  bool other_thread_enabled = false;
  std::thread t([&] { other_thread_enabled = GradMode::enabled(); });
  t.join();
  EXPECT_TRUE(other_thread_enabled);
}

TEST(Autograd, Detach) {
  Tensor x = leaf({1, 2, 3});
  Tensor d = x.detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_TRUE(d.is_leaf());
  EXPECT_EQ(d.storage().get(), x.storage().get());  // shares the data
  // y = x · stop_gradient(x): dy/dx = x, not 2x.
  sum(x * x.detach()).backward();
  expect_close(x.grad(), vec({1, 2, 3}));
  // Detaching an intermediate cuts the graph there.
  Tensor w = leaf({2.0});
  Tensor h = (w * 3.0).detach();
  EXPECT_FALSE((h * 2.0).requires_grad());
}

TEST(Autograd, BackwardTwiceNeedsRetainGraph) {
  Tensor x = leaf({1, 2});
  Tensor y = sum(exp(x) * x);
  y.backward();
  try {
    y.backward();
    ADD_FAILURE() << "second backward did not throw";
  } catch (const AutogradError& e) {
    EXPECT_NE(std::string(e.what()).find("retain_graph"), std::string::npos) << e.what();
  }
}

TEST(Autograd, RetainGraphAllowsASecondBackward) {
  Tensor x = leaf({1, 2});
  Tensor y = sum(exp(x) * x);
  y.backward(Tensor(), /*retain_graph=*/true);
  Tensor first = x.grad().clone();
  y.backward();
  expect_close(x.grad(), first * 2.0, 1e-14, 1e-14);
  EXPECT_THROW(y.backward(), AutogradError);  // the second call did not retain
}

TEST(Autograd, ModifiedSavedTensorIsDetected) {
  Tensor x = leaf({1, 2, 3});
  Tensor w = leaf({4, 5, 6});
  Tensor y = sum(mul(x, w));  // MulBackward saves x and w
  {
    NoGradGuard g;
    x.mul_(2.0);  // in place: bumps the storage's version
  }
  try {
    y.backward();
    ADD_FAILURE() << "backward after an in-place change of a saved tensor did not throw";
  } catch (const AutogradError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("MulBackward"), std::string::npos) << msg;
    EXPECT_NE(msg.find("modified in place"), std::string::npos) << msg;
  }
}

TEST(Autograd, ModifyingAViewOfASavedTensorIsDetected) {
  Tensor base = from_vector<double>({1, 2, 3, 4});
  Tensor x = leaf({1, 1, 1, 1});
  Tensor y = sum(exp(base) * x);  // MulBackward saves exp(base), a new tensor, and x
  Tensor z = sum(mul(x, base));   // MulBackward saves base itself
  {
    NoGradGuard g;
    base.slice(0, 1, 3).fill_(0.0);  // a view shares the version counter
  }
  EXPECT_THROW(z.backward(), AutogradError);
  y.backward();  // y never saved base itself: unaffected
  expect_close(x.grad(), exp(from_vector<double>({1, 2, 3, 4})), 1e-14, 1e-14);
}

TEST(Autograd, SavedOutputModifiedIsDetected) {
  Tensor x = leaf({0.5, 1.0});
  Tensor y = exp(x);  // ExpBackward saves its output y
  {
    NoGradGuard g;
    y.add_(vec({1.0, 1.0}));
  }
  EXPECT_THROW(sum(y).backward(), AutogradError);
}

TEST(Autograd, InPlaceOnTensorsThatRequireGradIsRefused) {
  Tensor x = leaf({1, 2});
  EXPECT_THROW(x.mul_(2.0), AutogradError);
  EXPECT_THROW(x.fill_(0.0), AutogradError);
  EXPECT_THROW(x.add_(vec({1, 1})), AutogradError);
  Tensor y = x * 2.0;
  EXPECT_THROW(y.zero_(), AutogradError);
  NoGradGuard g;
  x.mul_(2.0);  // allowed under NoGradGuard (e.g. an optimizer step)
  expect_close(x.detach(), vec({2, 4}));
}

TEST(Autograd, GradWithRespectToLeavesLeavesDotGradAlone) {
  Tensor x = leaf({1, 2}), w = leaf({3, 4});
  Tensor y = sum(x * w * x);
  std::vector<Tensor> g = grad({y}, {x, w});
  ASSERT_EQ(g.size(), 2u);
  expect_close(g[0], vec({6, 16}));  // 2 x w
  expect_close(g[1], vec({1, 4}));   // x²
  EXPECT_FALSE(x.grad().defined());
  EXPECT_FALSE(w.grad().defined());
}

TEST(Autograd, GradWithRespectToIntermediates) {
  Tensor x = leaf({1, 2});
  Tensor h = x * 3.0;      // intermediate
  Tensor y = sum(h * h);   // dy/dh = 2h = 6x; dy/dx = 18x
  std::vector<Tensor> g = grad({y}, {h, x});
  expect_close(g[0], vec({6, 12}));
  expect_close(g[1], vec({18, 36}));
  EXPECT_FALSE(x.grad().defined());
  // A view as the intermediate, with an explicit upstream gradient.
  Tensor x2 = leaf({1, 2, 3, 4});
  Tensor v = x2.reshape(Shape{2, 2});
  Tensor out = exp(v);
  std::vector<Tensor> gv = grad({out}, {v}, {from_vector<double>({1, 0, 0, 2}, Shape{2, 2})});
  expect_close(gv[0], from_vector<double>({std::exp(1.0), 0, 0, 2 * std::exp(4.0)}, Shape{2, 2}), 1e-12, 1e-14);
}

TEST(Autograd, GradRetainGraph) {
  Tensor x = leaf({1, 2});
  Tensor y = sum(exp(x));
  std::vector<Tensor> a = grad({y}, {x}, {}, /*retain_graph=*/true);
  std::vector<Tensor> b = grad({y}, {x});
  expect_close(a[0], b[0]);
  EXPECT_THROW(grad({y}, {x}), AutogradError);
}

TEST(Autograd, GradAllowUnused) {
  Tensor x = leaf({1, 2}), unused = leaf({3});
  Tensor y = sum(x * x);
  EXPECT_THROW(grad({y}, {x, unused}, {}, true, /*allow_unused=*/false), AutogradError);
  std::vector<Tensor> g = grad({y}, {x, unused}, {}, false, /*allow_unused=*/true);
  expect_close(g[0], vec({2, 4}));
  EXPECT_FALSE(g[1].defined());
}

TEST(Autograd, GradOfSeveralOutputs) {
  Tensor x = leaf({1, 2});
  Tensor a = sum(x * x), b = x * 3.0;
  std::vector<Tensor> g = grad({a, b}, {x}, {Tensor(), vec({1, -1})});
  expect_close(g[0], vec({2 + 3, 4 - 3}));
  // backward() with several roots does the same into .grad.
  Tensor a2 = sum(x * x), b2 = x * 3.0;
  backward({a2, b2}, {Tensor(), vec({1, -1})});
  expect_close(x.grad(), vec({5, 1}));
}

TEST(Autograd, MultiOutputNodeWithUnusedOutputs) {
  // split makes several views; only one is used: the others count as zero gradient.
  Tensor x = leaf({1, 2, 3, 4});
  std::vector<Tensor> parts = split(x, {1, 3}, 0);
  sum(parts[1] * parts[1]).backward();
  expect_close(x.grad(), vec({0, 4, 6, 8}));
}

TEST(Autograd, GradOfNonLeafThrows) {
  Tensor x = leaf({1, 2});
  Tensor y = x * 2.0;
  try {
    (void)y.grad();
    ADD_FAILURE() << "grad() of a non-leaf did not throw";
  } catch (const AutogradError& e) {
    EXPECT_NE(std::string(e.what()).find("not a leaf"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)vec({1}).grad(), AutogradError);  // does not require grad
}

TEST(Autograd, RequiresGradOnlyOnFloatingLeaves) {
  Tensor x = leaf({1});
  Tensor y = x * 2.0;
  EXPECT_THROW(y.requires_grad_(), AutogradError);
  EXPECT_THROW(from_vector<int64_t>({1, 2}).requires_grad_(), AutogradError);
  EXPECT_THROW(from_vector<bool>({true}).requires_grad_(), AutogradError);
  Tensor f = ones(Shape{2});
  f.requires_grad_();
  EXPECT_TRUE(f.requires_grad());
  f.requires_grad_(false);
  EXPECT_FALSE(f.requires_grad());
  EXPECT_TRUE(ones(Shape{2}, {.requires_grad = true}).requires_grad());
}

TEST(Autograd, BackwardArgumentErrors) {
  Tensor x = leaf({1, 2});
  Tensor y = x * 2.0;
  EXPECT_THROW(y.backward(), AutogradError);                   // non-scalar without a gradient
  EXPECT_THROW(y.backward(vec({1, 2, 3})), ShapeError);        // wrong shape
  EXPECT_THROW(y.backward(ones(Shape{2})), ShapeError);        // wrong dtype (float32)
  EXPECT_THROW(vec({1.0}).backward(), AutogradError);          // does not require grad
  {
    NoGradGuard g;
    Tensor z = x * 2.0;
    EXPECT_THROW(sum(z).backward(), AutogradError);
  }
  EXPECT_THROW(backward({y}, {vec({1, 1}), vec({1, 1})}), ValueError);  // count mismatch
}

TEST(Autograd, GradInputsMustRequireGrad) {
  Tensor x = leaf({1, 2});
  Tensor y = sum(x);
  EXPECT_THROW(grad({y}, {vec({1, 2})}), AutogradError);
}

TEST(Autograd, Float32Gradients) {
  Tensor x = from_vector<float>({1, 2, 3}).requires_grad_();
  sum(x * x).backward();
  EXPECT_EQ(x.grad().dtype(), DType::F32);
  expect_close(x.grad(), from_vector<float>({2, 4, 6}));
}

TEST(Autograd, CastBetweenFloatTypesIsDifferentiable) {
  Tensor x = from_vector<float>({1, 2}).requires_grad_();
  Tensor y = x.to(DType::F64);
  EXPECT_EQ(y.dtype(), DType::F64);
  sum(y * y).backward();
  EXPECT_EQ(x.grad().dtype(), DType::F32);
  expect_close(x.grad(), from_vector<float>({2, 4}));
}

TEST(Autograd, LongChainDoesNotOverflowTheStack) {
  // Backward is iterative; freeing a long graph must not recurse once per node either.
  Tensor x = leaf({1.0});
  Tensor y = x;
  for (int i = 0; i < 20000; ++i) y = y * 1.0;
  y.backward();
  expect_close(x.grad(), vec({1.0}));
  // 2·10^5 nodes freed recursively need ~10 MB of stack (more than the default 8 MB).
  Tensor z = x;
  for (int i = 0; i < 200000; ++i) z = z + 0.0;
  z = Tensor();  // the graph dies without a backward
  y = Tensor();
  SUCCEED();
}

TEST(Autograd, GraphIsReleasedWithItsOutput) {
  // The graph holds saved tensors alive exactly as long as the output lives.
  Tensor x = leaf({1, 2});
  Tensor big = testing::randn_f64(Shape{1000}, 1);
  const uint32_t before = big.storage()->use_count();
  {
    Tensor y = sum(x * big.narrow(0, 0, 2));
    EXPECT_GT(big.storage()->use_count(), before);
  }
  EXPECT_EQ(big.storage()->use_count(), before);
}

}  // namespace
}  // namespace amor
