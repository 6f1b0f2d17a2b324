#include "core/tensor.h"

#include <cmath>
#include <cstring>
#include <iomanip>
#include <sstream>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/ops/op_utils.h"
#include "kernels/cuda/elementwise.h"

namespace amor {

TensorImpl::~TensorImpl() = default;

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  for (int i = 0; i < shape.size(); ++i)
    AMOR_CHECK(shape[i] >= 0, ShapeError, "empty: negative size in shape ", shape);
  auto impl = make_ptr<TensorImpl>();
  impl->storage = make_ptr<Storage>(size_t(shape.numel()) * dtype_size(dtype), device);
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

int64_t Tensor::size(int64_t axis) const { return shape()[wrap_dim(axis, dim(), "size")]; }
int64_t Tensor::stride(int64_t axis) const { return strides()[wrap_dim(axis, dim(), "stride")]; }

void TensorImpl::refresh_contiguity() {
  int64_t expected = 1;
  contiguous = true;
  for (int i = shape.size() - 1; i >= 0; --i) {
    if (shape[i] == 1) continue;
    if (shape[i] == 0) {  // no elements: any strides describe the (empty) layout
      contiguous = true;
      return;
    }
    if (strides[i] != expected) contiguous = false;
    expected *= shape[i];
  }
}

std::string Tensor::str() const {
  if (!defined()) return "Tensor(undefined)";
  std::ostringstream os;
  os << "Tensor(" << dtype() << ", " << shape() << ", " << device();
  if (requires_grad()) os << ", requires_grad";
  os << ")";
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  os << t.str();
  if (!t.defined() || !t.device().is_cpu()) return os;
  const int64_t n = t.numel(), shown = std::min<int64_t>(n, 64);
  Tensor flat = t.contiguous();
  os << " {";
  dispatch_all(t.dtype(), [&]<class T>() {
    const T* p = flat.data<T>();
    for (int64_t i = 0; i < shown; ++i) {
      if (i) os << ", ";
      if constexpr (std::is_same_v<T, uint8_t>) os << (p[i] ? "true" : "false");
      else os << p[i];
    }
  });
  if (shown < n) os << ", ...";
  return os << "}";
}

// ---- data access --------------------------------------------------------------------------------

void Tensor::throw_dtype_mismatch(DType want) const {
  throw DTypeError(detail::concat("data<", dtype_name(want), ">: tensor has dtype ", dtype(), " ", shape()));
}

template <class T>
std::vector<T> Tensor::to_vector() const {
  // detach(): a read-out is not part of any graph, so it records no autograd node.
  if (!device().is_cpu()) return detach().to(Device::cpu()).to_vector<T>();  // waits for the device
  Tensor c = contiguous();
  std::vector<T> out(size_t(c.numel()));
  dispatch_all(c.dtype(), [&]<class S>() {
    const S* p = c.data<S>();
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<T>(p[i]);
  });
  return out;
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<int64_t> Tensor::to_vector<int64_t>() const;
template std::vector<uint8_t> Tensor::to_vector<uint8_t>() const;

template <class T>
T Tensor::item() const {
  AMOR_CHECK(numel() == 1, ShapeError, "item: expected a one-element tensor, got shape ", shape());
  if (!device().is_cpu()) return detach().to(Device::cpu()).item<T>();  // waits for the device
  return dispatch_all(dtype(), [&]<class S>() { return static_cast<T>(*static_cast<S*>(raw_data())); });
}
template float Tensor::item<float>() const;
template double Tensor::item<double>() const;
template int64_t Tensor::item<int64_t>() const;
template bool Tensor::item<bool>() const;

// ---- autodiff accessors -------------------------------------------------------------------------

Tensor& Tensor::requires_grad_(bool on) {
  TensorImpl& t = checked();
  AMOR_CHECK(!t.grad_fn, AutogradError,
             "requires_grad_: only leaf tensors can be marked (this one was produced by ",
             t.grad_fn->name(), "); use detach() first");
  AMOR_CHECK(!on || is_floating(t.dtype), AutogradError,
             "requires_grad_: only floating tensors can require grad, got ", t.dtype);
  t.requires_grad = on;
  return *this;
}

Tensor Tensor::grad() const {
  const TensorImpl& t = checked();
  AMOR_CHECK(t.requires_grad, AutogradError, "grad: tensor ", t.shape,
             " does not require grad, so it has no gradient");
  AMOR_CHECK(!t.grad_fn, AutogradError, "grad: tensor ", t.shape,
             " is not a leaf; use amor::grad(outputs, inputs) for intermediate gradients");
  return Tensor(t.grad);
}

void Tensor::set_grad(const Tensor& g) {
  TensorImpl& t = checked();
  if (g.defined())
    AMOR_CHECK(g.shape() == t.shape && g.dtype() == t.dtype, ShapeError, "set_grad: gradient ",
               g.dtype(), " ", g.shape(), " does not match tensor ", t.dtype, " ", t.shape);
  t.grad = g.impl_ptr();
}

void Tensor::zero_grad() { checked().grad = nullptr; }

void Tensor::backward(const Tensor& grad, bool retain_graph) const {
  amor::backward({*this}, {grad}, retain_graph);
}

Tensor Tensor::detach() const {
  const TensorImpl& t = checked();
  auto impl = make_ptr<TensorImpl>();
  impl->storage = t.storage;
  impl->shape = t.shape;
  impl->strides = t.strides;
  impl->contiguous = t.contiguous;
  impl->offset = t.offset;
  impl->dtype = t.dtype;
  return Tensor(std::move(impl));
}

// ---- in-place writes ----------------------------------------------------------------------------

namespace ops {
void check_inplace_allowed(const char* op, const Tensor& t) {
  AMOR_CHECK(!(GradMode::enabled() && t.requires_grad()), AutogradError, op,
             ": in-place write into a tensor that requires grad (", t.shape(),
             "); wrap parameter updates in NoGradGuard or write into a detached tensor");
}
}  // namespace ops

Tensor& Tensor::fill_(double value) {
  ops::check_inplace_allowed("fill_", *this);
  if (ops::use_device_of(*this)) {
    AMOR_CUDA_ONLY("fill_", dispatch_all(dtype(), [&]<class T>() {
      kernels::cuda::fill<T>(ops::strided_geometry(*this, {}), data<T>(), static_cast<T>(value));
    }));
    bump_version();
    return *this;
  }
  auto g = ops::loop_geometry(*this, {});
  dispatch_all(dtype(), [&]<class T>() {
    T v = static_cast<T>(value);
    T* p = data<T>();
    kernels::cpu::detail::parallel_rows(g, [&](const int64_t* off, int64_t n) {
      const int64_t s = g.stride[0][g.ndim - 1];
      for (int64_t i = 0; i < n; ++i) p[off[0] + i * s] = v;
    });
  });
  bump_version();
  return *this;
}

Tensor& Tensor::zero_() { return fill_(0.0); }

Tensor& Tensor::copy_(const Tensor& src) {
  ops::check_inplace_allowed("copy_", *this);
  if (src.device() != device()) {  // across devices: bring src over first (then broadcast here)
    NoGradGuard no_grad;
    return copy_(src.to(device()));
  }
  broadcast_shapes(src.shape(), shape(), "copy_");
  AMOR_CHECK(src.dim() <= dim(), ShapeError, "copy_: source ", src.shape(),
             " does not broadcast to ", shape());
  for (int i = 0; i < src.dim(); ++i) {
    int64_t sd = src.shape()[i], dd = shape()[dim() - src.dim() + i];
    AMOR_CHECK(sd == dd || sd == 1, ShapeError, "copy_: source ", src.shape(),
               " does not broadcast to ", shape());
  }
  if (ops::use_device_of(*this)) {
    AMOR_CUDA_ONLY("copy_", dispatch_all(dtype(), [&]<class T>() {
      dispatch_all(src.dtype(), [&]<class S>() {
        kernels::cuda::cast<T, S>(ops::strided_geometry(*this, {&src}), data<T>(), src.data<S>());
      });
    }));
    bump_version();
    return *this;
  }
  auto g = ops::loop_geometry(*this, {&src});
  dispatch_all(dtype(), [&]<class T>() {
    dispatch_all(src.dtype(), [&]<class S>() {
      kernels::cpu::map_unary(g, data<T>(), src.data<S>(), [](S x) { return static_cast<T>(x); });
    });
  });
  bump_version();
  return *this;
}

Tensor& Tensor::add_(const Tensor& other, double alpha) {
  ops::check_inplace_allowed("add_", *this);
  ops::check_same_dtype("add_", *this, other);
  ops::check_same_device("add_", *this, other);
  AMOR_CHECK(broadcast_shapes(shape(), other.shape(), "add_") == shape(), ShapeError,
             "add_: ", other.shape(), " does not broadcast to ", shape());
  if (ops::use_device_of(*this)) {
    AMOR_CUDA_ONLY("add_", dispatch_float(dtype(), "add_", [&]<class T>() {
      kernels::cuda::binary<T>(kernels::cuda::BinaryOp::kAxpy,
                               ops::strided_geometry(*this, {this, &other}), data<T>(), data<T>(),
                               other.data<T>(), static_cast<T>(alpha));
    }));
    bump_version();
    return *this;
  }
  auto g = ops::loop_geometry(*this, {this, &other});
  dispatch_float(dtype(), "add_", [&]<class T>() {
    T a = static_cast<T>(alpha);
    kernels::cpu::map_binary(g, data<T>(), data<T>(), other.data<T>(),
                             [a](T x, T y) { return x + a * y; });
  });
  bump_version();
  return *this;
}

Tensor& Tensor::mul_(double factor) {
  ops::check_inplace_allowed("mul_", *this);
  if (device().is_cuda()) return mul_(full(Shape{}, factor, {.dtype = dtype(), .device = device()}));
  auto g = ops::loop_geometry(*this, {this});
  dispatch_float(dtype(), "mul_", [&]<class T>() {
    T f = static_cast<T>(factor);
    kernels::cpu::map_unary(g, data<T>(), data<T>(), [f](T x) { return x * f; });
  });
  bump_version();
  return *this;
}

Tensor& Tensor::mul_(const Tensor& other) {
  ops::check_inplace_allowed("mul_", *this);
  ops::check_same_dtype("mul_", *this, other);
  ops::check_same_device("mul_", *this, other);
  AMOR_CHECK(broadcast_shapes(shape(), other.shape(), "mul_") == shape(), ShapeError,
             "mul_: ", other.shape(), " does not broadcast to ", shape());
  if (ops::use_device_of(*this)) {
    AMOR_CUDA_ONLY("mul_", dispatch_float(dtype(), "mul_", [&]<class T>() {
      kernels::cuda::binary<T>(kernels::cuda::BinaryOp::kMul,
                               ops::strided_geometry(*this, {this, &other}), data<T>(), data<T>(),
                               other.data<T>(), T(1));
    }));
    bump_version();
    return *this;
  }
  auto g = ops::loop_geometry(*this, {this, &other});
  dispatch_float(dtype(), "mul_", [&]<class T>() {
    kernels::cpu::map_binary(g, data<T>(), data<T>(), other.data<T>(), [](T x, T y) { return x * y; });
  });
  bump_version();
  return *this;
}

Tensor Tensor::sum() const { return amor::sum(*this); }
Tensor Tensor::mean() const { return amor::mean(*this); }

// ---- factories ----------------------------------------------------------------------------------

Tensor full(const Shape& shape, double value, TensorOptions o) {
  ops::check_device_usable("full", o.device);  // zeros, ones, full, *_like
  Tensor t = Tensor::empty(shape, o.dtype, o.device);
  {
    NoGradGuard g;
    t.fill_(value);
  }
  if (o.requires_grad) t.requires_grad_();
  return t;
}
Tensor zeros(const Shape& shape, TensorOptions o) { return full(shape, 0.0, o); }
Tensor ones(const Shape& shape, TensorOptions o) { return full(shape, 1.0, o); }
Tensor scalar(double value, DType dtype) { return full(Shape{}, value, {.dtype = dtype}); }
Tensor zeros_like(const Tensor& t) { return full(t.shape(), 0.0, {.dtype = t.dtype(), .device = t.device()}); }
Tensor ones_like(const Tensor& t) { return full(t.shape(), 1.0, {.dtype = t.dtype(), .device = t.device()}); }
Tensor full_like(const Tensor& t, double value) {
  return full(t.shape(), value, {.dtype = t.dtype(), .device = t.device()});
}

Tensor arange(double start, double end, double step, TensorOptions o) {
  AMOR_CHECK(step != 0 && std::isfinite(start) && std::isfinite(end) && std::isfinite(step),
             ValueError, "arange: invalid range start=", start, " end=", end, " step=", step);
  int64_t n = std::max<int64_t>(0, int64_t(std::ceil((end - start) / step)));
  if (!o.device.is_cpu()) {  // built on the host, copied over once
    Tensor t = arange(start, end, step, {.dtype = o.dtype}).to(o.device);
    if (o.requires_grad) t.requires_grad_();
    return t;
  }
  Tensor t = Tensor::empty(Shape{n}, o.dtype, o.device);
  dispatch_all(o.dtype, [&]<class T>() {
    T* p = t.data<T>();
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(start + double(i) * step);
  });
  if (o.requires_grad) t.requires_grad_();
  return t;
}

Tensor arange(int64_t end, TensorOptions o) { return arange(0.0, double(end), 1.0, o); }

Tensor linspace(double start, double end, int64_t steps, TensorOptions o) {
  AMOR_CHECK(steps >= 0, ValueError, "linspace: steps must be >= 0, got ", steps);
  if (!o.device.is_cpu()) {
    Tensor t = linspace(start, end, steps, {.dtype = o.dtype}).to(o.device);
    if (o.requires_grad) t.requires_grad_();
    return t;
  }
  Tensor t = Tensor::empty(Shape{steps}, o.dtype, o.device);
  dispatch_float(o.dtype, "linspace", [&]<class T>() {
    T* p = t.data<T>();
    double h = steps > 1 ? (end - start) / double(steps - 1) : 0.0;
    for (int64_t i = 0; i < steps; ++i) p[i] = static_cast<T>(i > 0 && i == steps - 1 ? end : start + h * double(i));
  });
  if (o.requires_grad) t.requires_grad_();
  return t;
}

Tensor eye(int64_t n, TensorOptions o) {
  AMOR_CHECK(n >= 0, ValueError, "eye: n must be >= 0, got ", n);
  if (!o.device.is_cpu()) {
    Tensor t = eye(n, {.dtype = o.dtype}).to(o.device);
    if (o.requires_grad) t.requires_grad_();
    return t;
  }
  Tensor t = zeros(Shape{n, n}, {.dtype = o.dtype, .device = o.device});
  dispatch_all(o.dtype, [&]<class T>() {
    T* p = t.data<T>();
    for (int64_t i = 0; i < n; ++i) p[i * n + i] = T(1);
  });
  if (o.requires_grad) t.requires_grad_();
  return t;
}

template <class T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape) {
  AMOR_CHECK(int64_t(values.size()) == shape.numel(), ShapeError, "from_vector: ", values.size(),
             " values do not fill shape ", shape);
  return from_blob_copy(values.data(), shape, dtype_of_v<T>);
}
template Tensor from_vector<float>(const std::vector<float>&, const Shape&);
template Tensor from_vector<double>(const std::vector<double>&, const Shape&);
template Tensor from_vector<int64_t>(const std::vector<int64_t>&, const Shape&);
template Tensor from_vector<uint8_t>(const std::vector<uint8_t>&, const Shape&);

template <>
Tensor from_vector<bool>(const std::vector<bool>& values, const Shape& shape) {
  std::vector<uint8_t> bytes(values.begin(), values.end());
  return from_vector(bytes, shape);
}

Tensor from_blob_copy(const void* data, const Shape& shape, DType dtype) {
  Tensor t = Tensor::empty(shape, dtype);
  size_t n = size_t(shape.numel()) * dtype_size(dtype);
  AMOR_CHECK(data != nullptr || n == 0, ValueError, "from_blob_copy: null data for shape ", shape);
  if (n) std::memcpy(t.raw_data(), data, n);
  return t;
}

Tensor from_blob(void* data, const Shape& shape, DType dtype) {
  size_t n = size_t(shape.numel()) * dtype_size(dtype);
  AMOR_CHECK(data != nullptr || n == 0, ValueError, "from_blob: null data for shape ", shape);
  auto impl = make_ptr<TensorImpl>();
  impl->storage = Storage::borrow(data, n, Device::cpu());
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

}  // namespace amor
