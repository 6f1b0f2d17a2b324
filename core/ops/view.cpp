// Views and layout changes: reshape, permute, slice, expand, squeeze, contiguous, clone, casts.
// A view shares storage with its input; its backward maps the gradient back to the input's
// shape (reshape back, inverse permutation, scatter into zeros, sum over broadcast axes).
#include <algorithm>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/ops/op_utils.h"

#ifdef AMOR_HAS_CUDA
#include <stdexcept>

#include "kernels/cuda/copy.h"
#endif

namespace amor {
namespace {

Tensor make_view(const Tensor& base, const Shape& shape, const Strides& strides, int64_t offset) {
  auto impl = make_ptr<TensorImpl>();
  impl->storage = base.storage();
  impl->shape = shape;
  impl->strides = strides;
  impl->refresh_contiguity();
  impl->offset = offset;
  impl->dtype = base.dtype();
  return Tensor(std::move(impl));
}

struct ReshapeBackward final : Node {
  Shape in_shape;
  explicit ReshapeBackward(Shape s) : in_shape(s) {}
  void backward(const Tensor* g, Tensor* gi) override { gi[0] = g[0].reshape(in_shape); }
  const char* name() const override { return "ReshapeBackward"; }
};

struct PermuteBackward final : Node {
  Shape inverse;
  explicit PermuteBackward(Shape inv) : inverse(inv) {}
  void backward(const Tensor* g, Tensor* gi) override { gi[0] = g[0].permute(inverse); }
  const char* name() const override { return "PermuteBackward"; }
};

struct SliceBackward final : Node {
  Shape in_shape;
  int axis;
  int64_t start, end, step;
  DType dtype;
  SliceBackward(Shape s, int a, int64_t b, int64_t e, int64_t st, DType dt)
      : in_shape(s), axis(a), start(b), end(e), step(st), dtype(dt) {}
  void backward(const Tensor* g, Tensor* gi) override {
    Tensor z = zeros(in_shape, {.dtype = dtype, .device = g[0].device()});
    z.slice(axis, start, end, step).copy_(g[0]);
    gi[0] = z;
  }
  const char* name() const override { return "SliceBackward"; }
};

struct ExpandBackward final : Node {
  Shape in_shape;
  explicit ExpandBackward(Shape s) : in_shape(s) {}
  void backward(const Tensor* g, Tensor* gi) override { gi[0] = sum_to(g[0], in_shape); }
  const char* name() const override { return "ExpandBackward"; }
};

struct CloneBackward final : Node {
  void backward(const Tensor* g, Tensor* gi) override { gi[0] = g[0]; }
  const char* name() const override { return "CloneBackward"; }
};

struct ToDeviceBackward final : Node {
  Device in_device;
  explicit ToDeviceBackward(Device d) : in_device(d) {}
  void backward(const Tensor* g, Tensor* gi) override { gi[0] = g[0].to(in_device); }
  const char* name() const override { return "ToDeviceBackward"; }
};

struct CastBackward final : Node {
  DType in_dtype;
  explicit CastBackward(DType d) : in_dtype(d) {}
  void backward(const Tensor* g, Tensor* gi) override { gi[0] = g[0].to(in_dtype); }
  const char* name() const override { return "CastBackward"; }
};

Shape infer_shape(const Shape& requested, int64_t numel, const char* op, const Shape& from) {
  Shape s = requested;
  int infer = -1;
  int64_t known = 1;
  for (int i = 0; i < s.size(); ++i) {
    if (s[i] == -1) {
      AMOR_CHECK(infer < 0, ShapeError, op, ": only one size may be -1 in ", requested);
      infer = i;
    } else {
      AMOR_CHECK(s[i] >= 0, ShapeError, op, ": invalid size in ", requested);
      known *= s[i];
    }
  }
  if (infer >= 0) {
    AMOR_CHECK(known != 0 && numel % known == 0, ShapeError, op, ": cannot reshape ", from,
               " into ", requested);
    s[infer] = numel / known;
  }
  AMOR_CHECK(s.numel() == numel, ShapeError, op, ": cannot reshape ", from, " (", numel,
             " elements) into ", requested);
  return s;
}

}  // namespace

Tensor Tensor::view(const Shape& shape_req) const {
  Shape s = infer_shape(shape_req, numel(), "view", shape());
  AMOR_CHECK(is_contiguous(), ShapeError, "view: tensor ", shape(),
             " is not contiguous; use reshape (which copies) or contiguous() first");
  Tensor out = make_view(*this, s, contiguous_strides(s), offset());
  if (any_requires_grad({this})) record<ReshapeBackward>(out, {this}, shape());
  return out;
}

Tensor Tensor::reshape(const Shape& shape_req) const {
  Shape s = infer_shape(shape_req, numel(), "reshape", shape());
  if (is_contiguous()) return view(s);
  return contiguous().view(s);
}

Tensor Tensor::flatten(int64_t start, int64_t end) const {
  if (dim() == 0) return reshape(Shape{1});
  int a = wrap_dim(start, dim(), "flatten"), b = wrap_dim(end, dim(), "flatten");
  AMOR_CHECK(a <= b, IndexError, "flatten: start axis ", start, " after end axis ", end);
  Shape s;
  for (int i = 0; i < a; ++i) s.push_back(shape()[i]);
  int64_t p = 1;
  for (int i = a; i <= b; ++i) p *= shape()[i];
  s.push_back(p);
  for (int i = b + 1; i < dim(); ++i) s.push_back(shape()[i]);
  return reshape(s);
}

Tensor Tensor::permute(const Shape& order) const {
  const int n = dim();
  AMOR_CHECK(order.size() == n, ShapeError, "permute: order ", order, " for a tensor with ", n, " axes");
  Shape s, st, inverse = Shape::filled(n, 0);
  bool seen[kMaxDims] = {};
  for (int i = 0; i < n; ++i) {
    int d = wrap_dim(order[i], n, "permute");
    AMOR_CHECK(!seen[d], ShapeError, "permute: repeated axis in ", order);
    seen[d] = true;
    s.push_back(shape()[d]);
    st.push_back(strides()[d]);
    inverse[d] = i;
  }
  Tensor out = make_view(*this, s, st, offset());
  if (any_requires_grad({this})) record<PermuteBackward>(out, {this}, inverse);
  return out;
}

Tensor Tensor::transpose(int64_t a, int64_t b) const {
  int n = dim();
  int x = wrap_dim(a, n, "transpose"), y = wrap_dim(b, n, "transpose");
  Shape order = Shape::filled(n, 0);
  for (int i = 0; i < n; ++i) order[i] = i;
  std::swap(order[x], order[y]);
  return permute(order);
}

Tensor Tensor::t() const {
  AMOR_CHECK(dim() == 2, ShapeError, "t: expected a 2-D tensor, got ", shape());
  return transpose(0, 1);
}

Tensor Tensor::slice(int64_t axis_in, int64_t start, int64_t end, int64_t step) const {
  int axis = wrap_dim(axis_in, dim(), "slice");
  AMOR_CHECK(step > 0, ValueError, "slice: step must be positive, got ", step);
  const int64_t n = shape()[axis];
  if (start < 0) start += n;
  if (end < 0) end += n;
  start = std::clamp<int64_t>(start, 0, n);
  end = std::clamp<int64_t>(end, start, n);
  Shape s = shape();
  Strides st = strides();
  s[axis] = (end - start + step - 1) / step;
  st[axis] *= step;
  Tensor out = make_view(*this, s, st, offset() + start * strides()[axis]);
  if (any_requires_grad({this}))
    record<SliceBackward>(out, {this}, shape(), axis, start, end, step, dtype());
  return out;
}

Tensor Tensor::narrow(int64_t axis, int64_t start, int64_t length) const {
  int a = wrap_dim(axis, dim(), "narrow");
  AMOR_CHECK(start >= 0 && length >= 0 && start + length <= shape()[a], IndexError,
             "narrow: range [", start, ", ", start + length, ") out of bounds for axis ", axis,
             " of size ", shape()[a]);
  return slice(a, start, start + length);
}

Tensor Tensor::select(int64_t axis, int64_t index) const {
  int a = wrap_dim(axis, dim(), "select");
  const int64_t n = shape()[a];
  AMOR_CHECK(index >= -n && index < n, IndexError, "select: index ", index,
             " out of range for axis ", axis, " of size ", n, " in ", shape());
  if (index < 0) index += n;
  return slice(a, index, index + 1).squeeze(a);
}

Tensor Tensor::expand(const Shape& target) const {
  const int n = target.size(), lead = n - dim();
  AMOR_CHECK(lead >= 0, ShapeError, "expand: cannot expand ", shape(), " to fewer axes ", target);
  Shape s = target, st = Shape::filled(n, 0);
  for (int i = 0; i < n; ++i) {
    int j = i - lead;
    int64_t have = j >= 0 ? shape()[j] : 1;
    if (s[i] == -1) {
      AMOR_CHECK(j >= 0, ShapeError, "expand: -1 not allowed for new leading axis in ", target);
      s[i] = have;
    }
    AMOR_CHECK(have == s[i] || have == 1, ShapeError, "expand: cannot expand ", shape(), " to ", target);
    st[i] = (j >= 0 && have == s[i]) ? strides()[j] : 0;
  }
  Tensor out = make_view(*this, s, st, offset());
  if (any_requires_grad({this})) record<ExpandBackward>(out, {this}, shape());
  return out;
}

Tensor Tensor::squeeze(int64_t axis) const {
  if (dim() == 0) return *this;
  int a = wrap_dim(axis, dim(), "squeeze");
  if (shape()[a] != 1) return *this;
  Shape s = shape(), st = strides();
  s.erase(a);
  st.erase(a);
  Tensor out = make_view(*this, s, st, offset());
  if (any_requires_grad({this})) record<ReshapeBackward>(out, {this}, shape());
  return out;
}

Tensor Tensor::squeeze() const {
  Shape s, st;
  for (int i = 0; i < dim(); ++i)
    if (shape()[i] != 1) {
      s.push_back(shape()[i]);
      st.push_back(strides()[i]);
    }
  Tensor out = make_view(*this, s, st, offset());
  if (any_requires_grad({this})) record<ReshapeBackward>(out, {this}, shape());
  return out;
}

Tensor Tensor::unsqueeze(int64_t axis) const {
  int a = wrap_dim(axis, dim() + 1, "unsqueeze");
  Shape s = shape(), st = strides();
  int64_t stride = a < dim() ? strides()[a] * shape()[a] : 1;
  s.insert(a, 1);
  st.insert(a, stride);
  Tensor out = make_view(*this, s, st, offset());
  if (any_requires_grad({this})) record<ReshapeBackward>(out, {this}, shape());
  return out;
}

// Copies into a fresh contiguous tensor of `dtype` (no autodiff here; callers record).
static Tensor copy_contiguous(const Tensor& src, DType dtype) {
  Tensor out = Tensor::empty(src.shape(), dtype, src.device());
  NoGradGuard g;
  out.copy_(src);
  return out;
}

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  return clone();
}

Tensor Tensor::clone() const {
  Tensor out = copy_contiguous(*this, dtype());
  if (any_requires_grad({this})) record<CloneBackward>(out, {this});
  return out;
}

Tensor Tensor::to(DType dt) const {
  if (dt == dtype()) return *this;
  Tensor out = copy_contiguous(*this, dt);
  if (is_floating(dt) && is_floating(dtype()) && any_requires_grad({this}))
    record<CastBackward>(out, {this}, dtype());
  return out;
}

// A contiguous copy of src on `device` (another device than src's; no autodiff).
static Tensor copy_across_devices(const Tensor& src, Device device) {
#ifdef AMOR_HAS_CUDA
  ops::check_device_usable("to", device);
  const Device from = src.device();
  Tensor c;
  {
    NoGradGuard no_grad;
    c = src.contiguous();  // on src's device
  }
  Tensor out = Tensor::empty(src.shape(), src.dtype(), device);
  const size_t bytes = size_t(src.numel()) * dtype_size(src.dtype());
  try {
    if (from.is_cpu())
      kernels::cuda::copy_host_to_device(out.raw_data(), c.raw_data(), bytes, device.index);
    else if (device.is_cpu())
      kernels::cuda::copy_device_to_host(out.raw_data(), c.raw_data(), bytes, from.index);
    else
      kernels::cuda::copy_device_to_device(out.raw_data(), device.index, c.raw_data(), from.index,
                                           bytes);
  } catch (const std::runtime_error& e) {
    throw DeviceError(detail::concat("to: copying ", src.str(), " to ", device.str(), " failed: ",
                                     e.what()));
  }
  return out;
#else
  throw DeviceError(detail::concat("to: copying ", src.str(), " to ", device.str(),
                                   " needs the CUDA backend, which this build of amor does not have "
                                   "(configure with -DAMOR_CUDA=ON and nvcc)"));
#endif
}

Tensor Tensor::to(Device device) const {
  if (device == this->device()) return *this;
  Tensor out;
  try {
    out = copy_across_devices(*this, device);
  } catch (const DeviceError& e) {
    const std::string what = e.what();
    if (what.rfind("to: ", 0) == 0) throw;
    throw DeviceError(detail::concat("to: copying ", str(), " to ", device.str(), ": ", what));
  }
  if (any_requires_grad({this})) record<ToDeviceBackward>(out, {this}, this->device());
  return out;
}

}  // namespace amor
