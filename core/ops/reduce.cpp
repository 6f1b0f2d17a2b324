// Reductions, softmax, cumsum. A contiguous tensor reduced over one run of adjacent axes is seen
// as [outer, n, inner] and handed to kernels/cpu; several separate axes reduce one run at a time.
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/ops/op_utils.h"
#include "kernels/cpu/reduce.h"
#include "kernels/cpu/scan.h"
#include "kernels/cpu/softmax.h"
#include "kernels/cuda/index.h"
#include "kernels/cuda/reduce.h"
#include "kernels/cuda/softmax.h"

namespace amor {
namespace {

namespace kc = kernels::cpu;
namespace kcu = kernels::cuda;

struct AxisSplit {
  int64_t outer = 1, n = 1, inner = 1;
};

// [outer, n, inner] for axes [first, last] of `shape`.
AxisSplit split_at(const Shape& shape, int first, int last) {
  AxisSplit s;
  for (int i = 0; i < shape.size(); ++i) {
    if (i < first) s.outer *= shape[i];
    else if (i <= last) s.n *= shape[i];
    else s.inner *= shape[i];
  }
  return s;
}

// Sorted unique wrapped axes; empty input means every axis.
std::vector<int> normalize_axes(const std::vector<int64_t>& axes, int ndim, const char* op) {
  std::vector<int> out;
  if (axes.empty()) {
    for (int i = 0; i < ndim; ++i) out.push_back(i);
    return out;
  }
  for (int64_t a : axes) out.push_back(wrap_dim(a, ndim, op));
  std::sort(out.begin(), out.end());
  AMOR_CHECK(std::adjacent_find(out.begin(), out.end()) == out.end(), IndexError, op,
             ": repeated axis in the reduction axes");
  return out;
}

Shape reduced_shape(const Shape& in, const std::vector<int>& axes, bool keepdim) {
  Shape s;
  for (int i = 0; i < in.size(); ++i) {
    bool reduced = std::find(axes.begin(), axes.end(), i) != axes.end();
    if (!reduced) s.push_back(in[i]);
    else if (keepdim) s.push_back(1);
  }
  return s;
}

// Raw sum over `axes` with keepdim shape (no autodiff).
Tensor sum_raw(const Tensor& a, const std::vector<int>& axes) {
  Tensor cur = a.contiguous();
  // Reduce runs of adjacent axes, last run first, so earlier axis numbers stay valid.
  for (int k = int(axes.size()) - 1; k >= 0;) {
    int last = axes[k], first = last;
    while (k > 0 && axes[k - 1] == first - 1) first = axes[--k];
    --k;
    AxisSplit s = split_at(cur.shape(), first, last);
    Shape os = cur.shape();
    for (int i = first; i <= last; ++i) os[i] = 1;
    Tensor out = Tensor::empty(os, cur.dtype(), cur.device());
    if (ops::use_device_of(cur)) {
      AMOR_CUDA_ONLY("sum", dispatch_float(cur.dtype(), "sum", [&]<class T>() {
        kcu::sum_axis<T>(cur.data<T>(), out.data<T>(), s.outer, s.n, s.inner);
      }));
    } else {
      dispatch_float(cur.dtype(), "sum", [&]<class T>() {
        kc::sum_axis<T>(cur.data<T>(), out.data<T>(), s.outer, s.n, s.inner);
      });
    }
    cur = out;
  }
  return cur;
}

struct SumBackward final : Node {
  Shape in_shape, keep_shape;
  SumBackward(Shape in, Shape keep) : in_shape(in), keep_shape(keep) {}
  void backward(const Tensor* g, Tensor* gi) override {
    gi[0] = g[0].reshape(keep_shape).expand(in_shape);
  }
  const char* name() const override { return "SumBackward"; }
};

struct MaxBackward final : Node {
  SavedTensor index;  // int64, keepdim shape
  Shape in_shape;
  int axis;
  bool keepdim;
  MaxBackward(Shape s, int a, bool k) : in_shape(s), axis(a), keepdim(k) {}
  void backward(const Tensor* g, Tensor* gi) override {
    Tensor idx = index.unpack(*this);
    Tensor gk = keepdim ? g[0] : g[0].unsqueeze(axis);
    gi[0] = scatter_add(zeros(in_shape, {.dtype = g[0].dtype(), .device = g[0].device()}), axis, idx,
                        gk.contiguous());
  }
  void release() override { index.reset(); }
  const char* name() const override { return "MaxBackward"; }
};

struct SoftmaxBackward final : Node {
  SavedTensor y;
  AxisSplit split;
  bool log;
  SoftmaxBackward(AxisSplit s, bool l) : split(s), log(l) {}
  void backward(const Tensor* g, Tensor* gi) override {
    Tensor Y = y.unpack(*this), G = g[0].contiguous();
    Tensor dx = Tensor::empty(Y.shape(), Y.dtype(), Y.device());
    if (ops::use_device_of(Y)) {
      AMOR_CUDA_ONLY(name(), dispatch_float(Y.dtype(), name(), [&]<class T>() {
        if (log)
          kcu::log_softmax_bwd<T>(Y.data<T>(), G.data<T>(), dx.data<T>(), split.outer, split.n, split.inner);
        else
          kcu::softmax_bwd<T>(Y.data<T>(), G.data<T>(), dx.data<T>(), split.outer, split.n, split.inner);
      }));
      gi[0] = dx;
      return;
    }
    dispatch_float(Y.dtype(), name(), [&]<class T>() {
      if (log)
        kc::log_softmax_bwd<T>(Y.data<T>(), G.data<T>(), dx.data<T>(), split.outer, split.n, split.inner);
      else
        kc::softmax_bwd<T>(Y.data<T>(), G.data<T>(), dx.data<T>(), split.outer, split.n, split.inner);
    });
    gi[0] = dx;
  }
  void release() override { y.reset(); }
  const char* name() const override { return log ? "LogSoftmaxBackward" : "SoftmaxBackward"; }
};

struct LogsumexpBackward final : Node {
  SavedTensor x;
  int axis;
  bool keepdim;
  LogsumexpBackward(int a, bool k) : axis(a), keepdim(k) {}
  void backward(const Tensor* g, Tensor* gi) override {
    // d lse / dx = softmax(x): fully -inf rows give zero weights instead of NaN.
    Tensor X = x.unpack(*this);
    Tensor gk = (keepdim || X.dim() == 0) ? g[0] : g[0].unsqueeze(axis);  // 0-d: nothing was reduced
    gi[0] = mul(softmax(X, axis), gk);
  }
  void release() override { x.reset(); }
  const char* name() const override { return "LogsumexpBackward"; }
};

struct CumsumBackward final : Node {
  int axis;
  explicit CumsumBackward(int a) : axis(a) {}
  void backward(const Tensor* g, Tensor* gi) override {
    // gi[i] = Σ_{j ≥ i} g[j]: a cumsum of the reversed gradient, reversed back.
    const int64_t n = g[0].shape()[axis];
    Tensor rev = arange(double(n - 1), -1.0, -1.0, {.dtype = DType::I64, .device = g[0].device()});
    gi[0] = index_select(cumsum(index_select(g[0], axis, rev), axis), axis, rev);
  }
  const char* name() const override { return "CumsumBackward"; }
};

Tensor max_min(const Tensor& a, int64_t axis_in, bool keepdim, bool is_max, Tensor* argidx_out) {
  const char* op = is_max ? "max" : "min";
  ops::check_floating(op, a);
  int axis = wrap_dim(axis_in, a.dim(), op);
  if (a.dim() == 0) {  // the single element is the extremum (index 0); its gradient passes through
    if (argidx_out) *argidx_out = zeros(Shape{}, {.dtype = DType::I64, .device = a.device()});
    return a.clone();
  }
  AMOR_CHECK(a.shape()[axis] > 0, ShapeError, op, ": empty axis ", axis_in, " in ", a.shape());
  Tensor c = a.contiguous();
  AxisSplit s = a.dim() == 0 ? AxisSplit{} : split_at(a.shape(), axis, axis);
  Shape keep = a.dim() == 0 ? Shape{} : reduced_shape(a.shape(), {axis}, true);
  Tensor out = Tensor::empty(keep, a.dtype(), a.device());
  Tensor idx = Tensor::empty(keep, DType::I64, a.device());
  if (ops::use_device_of(a)) {
    AMOR_CUDA_ONLY(op, dispatch_float(a.dtype(), op, [&]<class T>() {
      if (is_max) kcu::max_axis<T>(c.data<T>(), out.data<T>(), idx.data<int64_t>(), s.outer, s.n, s.inner);
      else kcu::min_axis<T>(c.data<T>(), out.data<T>(), idx.data<int64_t>(), s.outer, s.n, s.inner);
    }));
  } else {
    dispatch_float(a.dtype(), op, [&]<class T>() {
      if (is_max) kc::max_axis<T>(c.data<T>(), out.data<T>(), idx.data<int64_t>(), s.outer, s.n, s.inner);
      else kc::min_axis<T>(c.data<T>(), out.data<T>(), idx.data<int64_t>(), s.outer, s.n, s.inner);
    });
  }
  if (a.dim() > 0 && !keepdim) {
    out = out.squeeze(axis);
    if (argidx_out) *argidx_out = idx.squeeze(axis);
  } else if (argidx_out) {
    *argidx_out = idx;
  }
  if (any_requires_grad({&a}) && a.dim() > 0) {
    auto* n = record<MaxBackward>(out, {&a}, a.shape(), axis, keepdim);
    n->index = SavedTensor(idx);
  }
  return out;
}

}  // namespace

Tensor sum(const Tensor& a, const std::vector<int64_t>& axes_in, bool keepdim) {
  ops::check_floating("sum", a);
  std::vector<int> axes = normalize_axes(axes_in, a.dim(), "sum");
  if (a.dim() == 0) axes.clear();
  Shape keep = reduced_shape(a.shape(), axes, true);
  Tensor out = axes.empty() ? a.clone().detach() : sum_raw(a, axes);
  if (!keepdim) out = out.reshape(reduced_shape(a.shape(), axes, false));
  if (any_requires_grad({&a})) record<SumBackward>(out, {&a}, a.shape(), keep);
  return out;
}

Tensor mean(const Tensor& a, const std::vector<int64_t>& axes_in, bool keepdim) {
  std::vector<int> axes = normalize_axes(axes_in, a.dim(), "mean");
  int64_t count = 1;
  for (int ax : axes) count *= a.dim() ? a.shape()[ax] : 1;
  AMOR_CHECK(count > 0, ShapeError, "mean: reducing over an empty axis of ", a.shape());
  return sum(a, axes_in, keepdim) / double(count);
}

Tensor var(const Tensor& a, const std::vector<int64_t>& axes_in, int64_t correction, bool keepdim) {
  std::vector<int> axes = normalize_axes(axes_in, a.dim(), "var");
  int64_t count = 1;
  for (int ax : axes) count *= a.dim() ? a.shape()[ax] : 1;
  AMOR_CHECK(count - correction > 0, ShapeError, "var: ", count, " elements with correction ",
             correction, " leave no degrees of freedom");
  Tensor centered = a - mean(a, axes_in, true);
  return sum(square(centered), axes_in, keepdim) / double(count - correction);
}

Tensor max(const Tensor& a, int64_t axis, bool keepdim) { return max_min(a, axis, keepdim, true, nullptr); }
Tensor min(const Tensor& a, int64_t axis, bool keepdim) { return max_min(a, axis, keepdim, false, nullptr); }
Tensor max(const Tensor& a) { return max_min(a.reshape(Shape{-1}), 0, false, true, nullptr); }
Tensor min(const Tensor& a) { return max_min(a.reshape(Shape{-1}), 0, false, false, nullptr); }

Tensor argmax(const Tensor& a, int64_t axis, bool keepdim) {
  NoGradGuard g;
  Tensor idx;
  max_min(a, axis, keepdim, true, &idx);
  return idx;
}

Tensor logsumexp(const Tensor& a, int64_t axis_in, bool keepdim) {
  ops::check_floating("logsumexp", a);
  int axis = wrap_dim(axis_in, a.dim(), "logsumexp");
  Tensor c = a.contiguous();
  AxisSplit s = a.dim() == 0 ? AxisSplit{} : split_at(a.shape(), axis, axis);
  Shape keep = a.dim() == 0 ? Shape{} : reduced_shape(a.shape(), {axis}, true);
  Tensor out = Tensor::empty(keep, a.dtype(), a.device());
  if (ops::use_device_of(a)) {
    AMOR_CUDA_ONLY("logsumexp", dispatch_float(a.dtype(), "logsumexp", [&]<class T>() {
      kcu::logsumexp_axis<T>(c.data<T>(), out.data<T>(), s.outer, s.n, s.inner);
    }));
  } else {
    dispatch_float(a.dtype(), "logsumexp", [&]<class T>() {
      kc::logsumexp_axis<T>(c.data<T>(), out.data<T>(), s.outer, s.n, s.inner);
    });
  }
  if (a.dim() > 0 && !keepdim) out = out.squeeze(axis);
  if (any_requires_grad({&a})) record<LogsumexpBackward>(out, {&a}, axis, keepdim)->x = SavedTensor(a);
  return out;
}

static Tensor softmax_impl(const Tensor& a, int64_t axis_in, bool log) {
  const char* op = log ? "log_softmax" : "softmax";
  ops::check_floating(op, a);
  int axis = wrap_dim(axis_in, a.dim(), op);
  Tensor c = a.contiguous();
  AxisSplit s = a.dim() == 0 ? AxisSplit{} : split_at(a.shape(), axis, axis);
  Tensor out = Tensor::empty(a.shape(), a.dtype(), a.device());
  if (ops::use_device_of(a)) {
    AMOR_CUDA_ONLY(op, dispatch_float(a.dtype(), op, [&]<class T>() {
      if (log) kcu::log_softmax_fwd<T>(c.data<T>(), out.data<T>(), s.outer, s.n, s.inner);
      else kcu::softmax_fwd<T>(c.data<T>(), out.data<T>(), s.outer, s.n, s.inner);
    }));
  } else {
    dispatch_float(a.dtype(), op, [&]<class T>() {
      if (log) kc::log_softmax_fwd<T>(c.data<T>(), out.data<T>(), s.outer, s.n, s.inner);
      else kc::softmax_fwd<T>(c.data<T>(), out.data<T>(), s.outer, s.n, s.inner);
    });
  }
  if (any_requires_grad({&a})) record<SoftmaxBackward>(out, {&a}, s, log)->y = SavedTensor(out);
  return out;
}

Tensor softmax(const Tensor& a, int64_t axis) { return softmax_impl(a, axis, false); }
Tensor log_softmax(const Tensor& a, int64_t axis) { return softmax_impl(a, axis, true); }

Tensor cumsum(const Tensor& a, int64_t axis_in) {
  ops::check_floating("cumsum", a);
  if (a.dim() == 0) return a.clone();
  int axis = wrap_dim(axis_in, a.dim(), "cumsum");
  Tensor c = a.contiguous();
  AxisSplit s = split_at(a.shape(), axis, axis);
  Tensor out = Tensor::empty(a.shape(), a.dtype(), a.device());
  if (ops::use_device_of(a)) {
    AMOR_CUDA_ONLY("cumsum", dispatch_float(a.dtype(), "cumsum", [&]<class T>() {
      kcu::cumsum<T>(c.data<T>(), out.data<T>(), s.outer, s.n, s.inner);
    }));
  } else {
    dispatch_float(a.dtype(), "cumsum", [&]<class T>() {
      kc::cumsum<T>(c.data<T>(), out.data<T>(), s.outer, s.n, s.inner);
    });
  }
  if (any_requires_grad({&a})) record<CumsumBackward>(out, {&a}, axis);
  return out;
}

Tensor sum_to(const Tensor& a, const Shape& shape) {
  if (a.shape() == shape) return a;
  const int lead = a.dim() - shape.size();
  AMOR_CHECK(lead >= 0, ShapeError, "sum_to: cannot reduce ", a.shape(), " to ", shape);
  std::vector<int64_t> axes;
  for (int i = 0; i < a.dim(); ++i) {
    if (i < lead) axes.push_back(i);
    else if (shape[i - lead] == 1 && a.shape()[i] != 1) axes.push_back(i);
    else
      AMOR_CHECK(shape[i - lead] == a.shape()[i], ShapeError, "sum_to: cannot reduce ", a.shape(),
                 " to ", shape);
  }
  if (axes.empty()) return a.reshape(shape);
  return sum(a, axes, true).reshape(shape);
}

}  // namespace amor
