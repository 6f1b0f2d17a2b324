// Joining (concat, stack, split) and indexing (index_select, gather, scatter_add, masked_fill,
// searchsorted). Indexed tensors are seen as [outer, n, inner] around the indexed axis.
#include "core/autograd.h"
#include "core/ops.h"
#include "core/ops/op_utils.h"
#include "kernels/cpu/index.h"
#include "kernels/cpu/searchsorted.h"
#include "kernels/cuda/index.h"

namespace amor {
namespace {

namespace kc = kernels::cpu;
namespace kcu = kernels::cuda;

struct Split3 {
  int64_t outer = 1, n = 1, inner = 1;
};
Split3 split_around(const Shape& s, int axis) {
  Split3 r;
  for (int i = 0; i < s.size(); ++i) {
    if (i < axis) r.outer *= s[i];
    else if (i == axis) r.n = s[i];
    else r.inner *= s[i];
  }
  return r;
}

void check_index_tensor(const char* op, const Tensor& index, const Tensor& a) {
  AMOR_CHECK(index.dtype() == DType::I64, DTypeError, op, ": index must be int64, got ", index.dtype());
  ops::check_same_device(op, a, index);
}

void throw_bad_index(const char* op, const Tensor& index, int64_t pos, int64_t n, int axis) {
  const std::vector<int64_t> idx = index.reshape(Shape{-1}).to_vector<int64_t>();  // host copy
  throw IndexError(detail::concat(op, ": index ", idx[size_t(pos)], " at position ", pos,
                                  " out of range for axis ", axis, " of size ", n));
}

struct ConcatBackward final : Node {
  int axis;
  std::vector<int64_t> sizes;
  ConcatBackward(int a, std::vector<int64_t> s) : axis(a), sizes(std::move(s)) {}
  void backward(const Tensor* g, Tensor* gi) override {
    int64_t off = 0;
    for (size_t i = 0; i < sizes.size(); ++i) {
      if (edges[i].valid()) gi[i] = g[0].slice(axis, off, off + sizes[i]);
      off += sizes[i];
    }
  }
  const char* name() const override { return "ConcatBackward"; }
};

struct IndexSelectBackward final : Node {
  SavedTensor index;
  Shape in_shape;
  int axis;
  IndexSelectBackward(Shape s, int a) : in_shape(s), axis(a) {}
  void backward(const Tensor* g, Tensor* gi) override {
    Tensor idx = index.unpack(*this), G = g[0].contiguous();
    Tensor out = zeros(in_shape, {.dtype = G.dtype(), .device = G.device()});
    Split3 s = split_around(in_shape, axis);
    dispatch_float(G.dtype(), "index_select_backward", [&]<class T>() {
      if (ops::use_device_of(G))
        AMOR_CUDA_ONLY("index_select_backward",
                       kcu::index_add<T>(out.data<T>(), idx.data<int64_t>(), G.data<T>(), s.outer, s.n,
                                         s.inner, idx.numel()));
      else
        kc::index_add<T>(out.data<T>(), idx.data<int64_t>(), G.data<T>(), s.outer, s.n, s.inner, idx.numel());
    });
    gi[0] = out;
  }
  void release() override { index.reset(); }
  const char* name() const override { return "IndexSelectBackward"; }
};

struct GatherBackward final : Node {
  SavedTensor index;
  Shape in_shape;
  int axis;
  GatherBackward(Shape s, int a) : in_shape(s), axis(a) {}
  void backward(const Tensor* g, Tensor* gi) override {
    gi[0] = scatter_add(zeros(in_shape, {.dtype = g[0].dtype(), .device = g[0].device()}), axis,
                        index.unpack(*this), g[0]);
  }
  void release() override { index.reset(); }
  const char* name() const override { return "GatherBackward"; }
};

struct ScatterAddBackward final : Node {
  SavedTensor index;
  int axis;
  explicit ScatterAddBackward(int a) : axis(a) {}
  void backward(const Tensor* g, Tensor* gi) override {
    if (edges[0].valid()) gi[0] = g[0];
    if (edges[1].valid()) gi[1] = gather(g[0], axis, index.unpack(*this));
  }
  void release() override { index.reset(); }
  const char* name() const override { return "ScatterAddBackward"; }
};

// index must match `a` on every axis but `axis`.
void check_gather_shapes(const char* op, const Tensor& a, const Tensor& index, int axis) {
  AMOR_CHECK(index.dim() == a.dim(), ShapeError, op, ": index ", index.shape(), " and input ",
             a.shape(), " must have the same number of axes");
  for (int i = 0; i < a.dim(); ++i)
    AMOR_CHECK(i == axis || index.shape()[i] == a.shape()[i], ShapeError, op, ": index ",
               index.shape(), " must match input ", a.shape(), " on every axis but ", axis);
}

}  // namespace

Tensor concat(const std::vector<Tensor>& tensors, int64_t axis_in) {
  const char* op = "concat";
  AMOR_CHECK(!tensors.empty(), ValueError, op, ": no tensors given");
  const Tensor& first = tensors[0];
  AMOR_CHECK(first.dim() > 0, ShapeError, op, ": cannot concatenate 0-d tensors; use stack");
  int axis = wrap_dim(axis_in, first.dim(), op);
  Shape out_shape = first.shape();
  out_shape[axis] = 0;
  std::vector<int64_t> sizes;
  for (const Tensor& t : tensors) {
    ops::check_same_dtype(op, first, t);
    ops::check_same_device(op, first, t);
    AMOR_CHECK(t.dim() == first.dim(), ShapeError, op, ": ", t.shape(), " and ", first.shape(),
               " have different numbers of axes");
    for (int i = 0; i < t.dim(); ++i)
      AMOR_CHECK(i == axis || t.shape()[i] == first.shape()[i], ShapeError, op, ": ", t.shape(),
                 " and ", first.shape(), " differ outside axis ", axis);
    sizes.push_back(t.shape()[axis]);
    out_shape[axis] += t.shape()[axis];
  }
  Tensor out = Tensor::empty(out_shape, first.dtype(), first.device());
  {
    NoGradGuard g;
    int64_t off = 0;
    for (const Tensor& t : tensors) {
      out.slice(axis, off, off + t.shape()[axis]).copy_(t);
      off += t.shape()[axis];
    }
  }
  if (is_floating(first.dtype()) && any_requires_grad(tensors)) {
    auto* n = new ConcatBackward(axis, sizes);
    Ptr<Node> p(n);
    collect_edges(*n, tensors);
    set_history(out, p);
  }
  return out;
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t axis) {
  AMOR_CHECK(!tensors.empty(), ValueError, "stack: no tensors given");
  int a = wrap_dim(axis, tensors[0].dim() + 1, "stack");
  std::vector<Tensor> parts;
  parts.reserve(tensors.size());
  for (const Tensor& t : tensors) {
    AMOR_CHECK(t.shape() == tensors[0].shape(), ShapeError, "stack: shapes differ: ", t.shape(),
               " and ", tensors[0].shape());
    parts.push_back(t.unsqueeze(a));
  }
  return concat(parts, a);
}

std::vector<Tensor> split(const Tensor& a, const std::vector<int64_t>& sizes, int64_t axis_in) {
  int axis = wrap_dim(axis_in, a.dim(), "split");
  int64_t total = 0;
  for (int64_t s : sizes) {
    AMOR_CHECK(s >= 0, ValueError, "split: negative size ", s);
    total += s;
  }
  AMOR_CHECK(total == a.shape()[axis], ShapeError, "split: sizes add up to ", total, " but axis ",
             axis_in, " of ", a.shape(), " has ", a.shape()[axis]);
  std::vector<Tensor> out;
  int64_t off = 0;
  for (int64_t s : sizes) {
    out.push_back(a.slice(axis, off, off + s));
    off += s;
  }
  return out;
}

std::vector<Tensor> chunk(const Tensor& a, int64_t chunks, int64_t axis_in) {
  AMOR_CHECK(chunks > 0, ValueError, "chunk: chunks must be positive, got ", chunks);
  int axis = wrap_dim(axis_in, a.dim(), "chunk");
  const int64_t n = a.shape()[axis], step = (n + chunks - 1) / chunks;
  std::vector<int64_t> sizes;
  for (int64_t off = 0; off < n; off += step) sizes.push_back(std::min(step, n - off));
  if (sizes.empty()) sizes.push_back(0);
  return split(a, sizes, axis);
}

Tensor index_select(const Tensor& a, int64_t axis_in, const Tensor& index) {
  const char* op = "index_select";
  check_index_tensor(op, index, a);
  AMOR_CHECK(index.dim() <= 1, ShapeError, op, ": index must be 1-D, got ", index.shape());
  int axis = wrap_dim(axis_in, a.dim(), op);
  Tensor c = a.contiguous(), idx = index.contiguous().reshape(Shape{-1});
  Split3 s = split_around(a.shape(), axis);
  Shape out_shape = a.shape();
  out_shape[axis] = idx.numel();
  Tensor out = Tensor::empty(out_shape, a.dtype(), a.device());
  int64_t bad = dispatch_all(a.dtype(), [&]<class T>() -> int64_t {
    if (ops::use_device_of(a)) {
      int64_t r = -1;
      AMOR_CUDA_ONLY(op, r = kcu::index_select<T>(c.data<T>(), idx.data<int64_t>(), out.data<T>(), s.outer,
                                                   s.n, s.inner, idx.numel()));
      return r;
    }
    return kc::index_select<T>(c.data<T>(), idx.data<int64_t>(), out.data<T>(), s.outer, s.n, s.inner,
                               idx.numel());
  });
  if (bad >= 0) throw_bad_index(op, idx, bad, s.n, axis);
  if (is_floating(a.dtype()) && any_requires_grad({&a}))
    record<IndexSelectBackward>(out, {&a}, a.shape(), axis)->index = SavedTensor(idx);
  return out;
}

Tensor gather(const Tensor& a, int64_t axis_in, const Tensor& index) {
  const char* op = "gather";
  check_index_tensor(op, index, a);
  int axis = wrap_dim(axis_in, a.dim(), op);
  check_gather_shapes(op, a, index, axis);
  Tensor c = a.contiguous(), idx = index.contiguous();
  Split3 s = split_around(a.shape(), axis);
  Tensor out = Tensor::empty(idx.shape(), a.dtype(), a.device());
  const int64_t n_idx = idx.dim() ? idx.shape()[axis] : 1;
  int64_t bad = dispatch_all(a.dtype(), [&]<class T>() -> int64_t {
    if (ops::use_device_of(a)) {
      int64_t r = -1;
      AMOR_CUDA_ONLY(op, r = kcu::gather<T>(c.data<T>(), idx.data<int64_t>(), out.data<T>(), s.outer, s.n,
                                             s.inner, n_idx));
      return r;
    }
    return kc::gather<T>(c.data<T>(), idx.data<int64_t>(), out.data<T>(), s.outer, s.n, s.inner, n_idx);
  });
  if (bad >= 0) throw_bad_index(op, idx, bad, s.n, axis);
  if (is_floating(a.dtype()) && any_requires_grad({&a}))
    record<GatherBackward>(out, {&a}, a.shape(), axis)->index = SavedTensor(idx);
  return out;
}

Tensor scatter_add(const Tensor& a, int64_t axis_in, const Tensor& index, const Tensor& src) {
  const char* op = "scatter_add";
  check_index_tensor(op, index, a);
  ops::check_floating(op, a);
  ops::check_same_dtype(op, a, src);
  ops::check_same_device(op, a, src);
  int axis = wrap_dim(axis_in, a.dim(), op);
  check_gather_shapes(op, a, index, axis);
  AMOR_CHECK(src.shape() == index.shape(), ShapeError, op, ": src ", src.shape(),
             " must have the index's shape ", index.shape());
  Tensor out;
  {
    NoGradGuard no_grad;
    out = a.clone();
  }
  Tensor idx = index.contiguous(), sc = src.contiguous();
  Split3 s = split_around(a.shape(), axis);
  const int64_t n_idx = idx.dim() ? idx.shape()[axis] : 1;
  int64_t bad = dispatch_float(a.dtype(), op, [&]<class T>() -> int64_t {
    if (ops::use_device_of(a)) {
      int64_t r = -1;
      AMOR_CUDA_ONLY(op, r = kcu::scatter_add<T>(out.data<T>(), idx.data<int64_t>(), sc.data<T>(), s.outer,
                                                  s.n, s.inner, n_idx));
      return r;
    }
    return kc::scatter_add<T>(out.data<T>(), idx.data<int64_t>(), sc.data<T>(), s.outer, s.n, s.inner, n_idx);
  });
  if (bad >= 0) throw_bad_index(op, idx, bad, s.n, axis);
  if (any_requires_grad({&a, &src}))
    record<ScatterAddBackward>(out, {&a, &src}, axis)->index = SavedTensor(idx);
  return out;
}

Tensor masked_fill(const Tensor& a, const Tensor& mask, double value) {
  AMOR_CHECK(broadcast_shapes(a.shape(), mask.shape(), "masked_fill") == a.shape(), ShapeError,
             "masked_fill: mask ", mask.shape(), " does not broadcast to ", a.shape());
  return where(mask, full(Shape{}, value, {.dtype = a.dtype(), .device = a.device()}), a);
}

Tensor searchsorted(const Tensor& sorted, const Tensor& values, bool right) {
  const char* op = "searchsorted";
  ops::check_same_dtype(op, sorted, values);
  ops::check_same_device(op, sorted, values);
  ops::check_floating(op, sorted);
  AMOR_CHECK(sorted.dim() >= 1 && values.dim() >= 1, ShapeError, op, ": sorted ", sorted.shape(),
             " and values ", values.shape(), " need at least one axis");
  const int64_t K = sorted.shape().back(), M = values.shape().back();
  const int64_t rows = values.numel() / std::max<int64_t>(M, 1);
  int64_t row_stride = K;
  if (sorted.dim() == 1) {
    row_stride = 0;
  } else {
    Shape lead_s(std::span<const int64_t>(sorted.shape().data(), size_t(sorted.dim() - 1)));
    Shape lead_v(std::span<const int64_t>(values.shape().data(), size_t(values.dim() - 1)));
    AMOR_CHECK(lead_s == lead_v, ShapeError, op, ": sorted ", sorted.shape(), " and values ",
               values.shape(), " must agree on all but the last axis (or sorted must be 1-D)");
  }
  Tensor s = sorted.contiguous(), v = values.contiguous();
  Tensor out = Tensor::empty(values.shape(), DType::I64, values.device());
  dispatch_float(sorted.dtype(), op, [&]<class T>() {
    if (ops::use_device_of(s)) {
      AMOR_CUDA_ONLY(op, kcu::searchsorted<T>(s.data<T>(), row_stride, K, v.data<T>(), rows, M,
                                              out.data<int64_t>(), right));
      return;
    }
    kc::searchsorted<T>(s.data<T>(), row_stride, K, v.data<T>(), rows, M, out.data<int64_t>(), right);
  });
  return out;
}

}  // namespace amor
