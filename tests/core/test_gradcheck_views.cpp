// Gradient checks of the differentiable views and layout changes of core/tensor.h (reshape view
// flatten permute transpose t slice narrow select expand squeeze unsqueeze contiguous clone to),
// alone and chained, on contiguous and non-contiguous inputs. A view's output aliases its input;
// the checker reads outputs out before each perturbation, so that is safe here.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "core/ops.h"
#include "tests/support/gradcheck.h"

namespace amor {
namespace {

using testing::gradcheck;
using testing::make_noncontiguous;

struct ViewCase {
  const char* name;
  Shape in;
  std::function<Tensor(const Tensor&)> f;
  bool needs_contiguous = false;  // view() refuses non-contiguous inputs
};

std::vector<ViewCase> cases() {
  return {
      {"reshape_2d", {2, 3, 4}, [](const Tensor& x) { return x.reshape(Shape{6, 4}); }},
      {"reshape_infer", {2, 3, 4}, [](const Tensor& x) { return x.reshape(Shape{4, -1}); }},
      {"reshape_to_scalar", {1, 1}, [](const Tensor& x) { return x.reshape(Shape{}); }},
      {"reshape_from_scalar", {}, [](const Tensor& x) { return x.reshape(Shape{1, 1, 1}); }},
      {"view", {2, 3, 4}, [](const Tensor& x) { return x.view(Shape{3, 8}); }, true},
      {"view_infer", {2, 3, 4}, [](const Tensor& x) { return x.view(Shape{-1}); }, true},
      {"flatten_all", {2, 3, 4}, [](const Tensor& x) { return x.flatten(); }},
      {"flatten_1_2", {2, 3, 4, 2}, [](const Tensor& x) { return x.flatten(1, 2); }},
      {"flatten_neg", {2, 3, 4}, [](const Tensor& x) { return x.flatten(-2, -1); }},
      {"flatten_scalar", {}, [](const Tensor& x) { return x.flatten(); }},
      {"permute", {2, 3, 4}, [](const Tensor& x) { return x.permute(Shape{2, 0, 1}); }},
      {"permute_neg", {2, 3, 4, 2}, [](const Tensor& x) { return x.permute(Shape{-1, 1, 0, 2}); }},
      {"transpose", {2, 3, 4}, [](const Tensor& x) { return x.transpose(0, 2); }},
      {"transpose_neg", {2, 3, 4}, [](const Tensor& x) { return x.transpose(-1, -2); }},
      {"t", {3, 5}, [](const Tensor& x) { return x.t(); }},
      {"slice", {6, 4}, [](const Tensor& x) { return x.slice(0, 1, 5); }},
      {"slice_step2", {7, 4}, [](const Tensor& x) { return x.slice(0, 1, 7, 2); }},
      {"slice_step3_last", {3, 8}, [](const Tensor& x) { return x.slice(-1, 0, 8, 3); }},
      {"slice_negative_bounds", {3, 8}, [](const Tensor& x) { return x.slice(1, -5, -1, 2); }},
      {"slice_clamped", {3, 8}, [](const Tensor& x) { return x.slice(1, 2, 100); }},
      {"slice_empty", {3, 8}, [](const Tensor& x) { return x.slice(1, 4, 4); }},
      {"narrow", {5, 6}, [](const Tensor& x) { return x.narrow(1, 2, 3); }},
      {"select", {4, 3, 2}, [](const Tensor& x) { return x.select(1, 2); }},
      {"select_neg", {4, 3, 2}, [](const Tensor& x) { return x.select(-3, -1); }},
      {"select_to_scalar", {5}, [](const Tensor& x) { return x.select(0, 3); }},
      {"expand", {3, 1}, [](const Tensor& x) { return x.expand(Shape{3, 4}); }},
      {"expand_new_axes", {1, 4}, [](const Tensor& x) { return x.expand(Shape{2, 3, 4}); }},
      {"expand_keep", {3, 1, 2}, [](const Tensor& x) { return x.expand(Shape{-1, 5, -1}); }},
      {"expand_scalar", {}, [](const Tensor& x) { return x.expand(Shape{2, 3}); }},
      {"squeeze_axis", {3, 1, 4}, [](const Tensor& x) { return x.squeeze(1); }},
      {"squeeze_axis_noop", {3, 2}, [](const Tensor& x) { return x.squeeze(1); }},
      {"squeeze_all", {1, 3, 1, 4, 1}, [](const Tensor& x) { return x.squeeze(); }},
      {"unsqueeze_front", {3, 4}, [](const Tensor& x) { return x.unsqueeze(0); }},
      {"unsqueeze_middle", {3, 4}, [](const Tensor& x) { return x.unsqueeze(1); }},
      {"unsqueeze_end", {3, 4}, [](const Tensor& x) { return x.unsqueeze(2); }},
      {"unsqueeze_neg", {3, 4}, [](const Tensor& x) { return x.unsqueeze(-1); }},
      {"contiguous", {3, 4}, [](const Tensor& x) { return x.contiguous(); }},
      {"clone", {3, 4}, [](const Tensor& x) { return x.clone(); }},
      {"to_same_dtype", {3, 4}, [](const Tensor& x) { return x.to(DType::F64); }},
      // Chains: views of views, and math on views.
      {"chain_t_reshape", {4, 6}, [](const Tensor& x) { return x.t().reshape(Shape{3, 8}); }},
      {"chain_slice_permute_sum", {4, 5, 3},
       [](const Tensor& x) { return sum(x.slice(1, 0, 5, 2).permute(Shape{2, 1, 0}) * x.select(1, 1).t().unsqueeze(1), {0}); }},
      {"chain_expand_mul", {3, 1},
       [](const Tensor& x) { return x.expand(Shape{2, 3, 4}) * x.squeeze().unsqueeze(0).unsqueeze(-1); }},
      {"chain_unsqueeze_squeeze", {3, 4}, [](const Tensor& x) { return exp(x.unsqueeze(1).squeeze(1).transpose(0, 1)); }},
      {"chain_split_views", {6, 2},
       [](const Tensor& x) { return x.narrow(0, 0, 3) * neg(x.narrow(0, 3, 3)); }},
  };
}

class GradcheckViews : public ::testing::TestWithParam<ViewCase> {};

TEST_P(GradcheckViews, Contiguous) {
  const ViewCase& c = GetParam();
  auto fn = [f = c.f](const std::vector<Tensor>& v) { return f(v[0]); };
  EXPECT_TRUE(gradcheck(fn, {testing::randn_f64(c.in, 1)}));
}

TEST_P(GradcheckViews, NonContiguous) {
  const ViewCase& c = GetParam();
  if (c.needs_contiguous) GTEST_SKIP() << "view() needs a contiguous input";
  auto fn = [f = c.f](const std::vector<Tensor>& v) { return f(v[0]); };
  EXPECT_TRUE(gradcheck(fn, {make_noncontiguous(testing::randn_f64(c.in, 2))}));
}

INSTANTIATE_TEST_SUITE_P(Ops, GradcheckViews, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<ViewCase>& p) { return std::string(p.param.name); });

// ---- values and aliasing ----------------------------------------------------------------------

TEST(GradcheckViewsValues, SliceWithStep) {
  Tensor x = arange(0.0, 10.0, 1.0, {.dtype = DType::F64});
  testing::expect_close(x.slice(0, 1, 10, 3), from_vector<double>({1, 4, 7}));
  testing::expect_close(x.slice(0, -4, -1, 2), from_vector<double>({6, 8}));
  testing::expect_close(x.narrow(0, 2, 3), from_vector<double>({2, 3, 4}));
  Tensor m = x.reshape(Shape{2, 5});
  testing::expect_close(m.select(1, -1), from_vector<double>({4, 9}));
  testing::expect_close(m.t().select(0, 2), from_vector<double>({2, 7}));
  // Gradient of a strided slice scatters into zeros.
  Tensor xl = x.clone().requires_grad_();
  xl.slice(0, 1, 10, 3).backward(from_vector<double>({1, 2, 3}));
  testing::expect_close(xl.grad(), from_vector<double>({0, 1, 0, 0, 2, 0, 0, 3, 0, 0}));
}

TEST(GradcheckViewsValues, ExpandGradientSums) {
  Tensor x = from_vector<double>({1, 2}, Shape{2, 1}).requires_grad_();
  x.expand(Shape{3, 2, 4}).backward(ones(Shape{3, 2, 4}, {.dtype = DType::F64}));
  testing::expect_close(x.grad(), from_vector<double>({12, 12}, Shape{2, 1}));
}

}  // namespace
}  // namespace amor
