// Tensor: a strided view of a Storage, plus the autodiff metadata that lets ops record a graph.
//
// Layout: row-major sizes and strides counted in elements; axis 0 is the outermost. A tensor
// is `contiguous` when its strides equal contiguous_strides(shape). Views (reshape where the
// layout allows, permute, transpose, slice, select, expand, squeeze, unsqueeze) share storage.
//
// Tensor is a cheap handle (one intrusive pointer); copying it shares the data, like PyTorch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/error.h"
#include "core/intrusive_ptr.h"
#include "core/node.h"
#include "core/shape.h"
#include "core/storage.h"

namespace amor {

struct TensorImpl final : RefCounted {
  TensorImpl() = default;
  ~TensorImpl() override;

  Ptr<Storage> storage;
  Shape shape;
  Strides strides;
  int64_t offset = 0;  // in elements, into storage
  DType dtype = DType::F32;
  bool contiguous = true;  // cached: strides == contiguous_strides(shape) (size-1 axes ignored)

  // Recomputes `contiguous`; call after changing shape or strides.
  void refresh_contiguity();

  // Autodiff. A leaf requires grad when the user said so; a non-leaf requires grad when it was
  // produced by a recorded op (grad_fn set). `grad` accumulates on leaves only.
  bool requires_grad = false;
  uint32_t output_nr = 0;
  Ptr<Node> grad_fn;
  Ptr<TensorImpl> grad;
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(Ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // Allocates an uninitialised tensor.
  static Tensor empty(const Shape& shape, DType dtype = DType::F32, Device device = Device::cpu());

  bool defined() const { return static_cast<bool>(impl_); }
  TensorImpl* impl() const { return impl_.get(); }
  const Ptr<TensorImpl>& impl_ptr() const { return impl_; }

  // ---- geometry -------------------------------------------------------------------------------
  const Shape& shape() const { return checked().shape; }
  const Strides& strides() const { return checked().strides; }
  int dim() const { return checked().shape.size(); }
  int64_t size(int64_t axis) const;  // negative axes count from the end
  int64_t stride(int64_t axis) const;
  int64_t numel() const { return checked().shape.numel(); }
  int64_t offset() const { return checked().offset; }
  DType dtype() const { return checked().dtype; }
  Device device() const { return checked().storage->device(); }
  bool is_contiguous() const { return checked().contiguous; }
  const Ptr<Storage>& storage() const { return checked().storage; }
  std::string str() const;  // "Tensor(float32, [2, 3], cpu)"

  // ---- data access (CPU) ----------------------------------------------------------------------
  // Pointer to the first element; checks that T matches the dtype.
  template <class T> T* data() const {
    constexpr DType want = dtype_of_v<T>;
    if (dtype() != want) [[unlikely]] throw_dtype_mismatch(want);
    return static_cast<T*>(raw_data());
  }
  void* raw_data() const {
    const TensorImpl& t = checked();
    return static_cast<char*>(t.storage->data()) + t.offset * int64_t(dtype_size(t.dtype));
  }
  // The single element of a one-element tensor, converted to T.
  template <class T> T item() const;
  // All elements in row-major order, converted to T.
  template <class T> std::vector<T> to_vector() const;

  // ---- autodiff -------------------------------------------------------------------------------
  bool requires_grad() const { return checked().requires_grad; }
  // Marks a leaf as requiring grad (throws on a non-leaf).
  Tensor& requires_grad_(bool on = true);
  bool is_leaf() const { return !checked().grad_fn; }
  const Ptr<Node>& grad_fn() const { return checked().grad_fn; }
  // The accumulated gradient of a leaf that requires grad (undefined before the first backward).
  // Throws AutogradError when the tensor does not require grad.
  Tensor grad() const;
  void set_grad(const Tensor& g);
  void zero_grad();  // drops the accumulated gradient
  // Backpropagates from this tensor. `grad` defaults to 1 for a one-element tensor and is
  // required otherwise; its shape must match.
  void backward(const Tensor& grad = Tensor(), bool retain_graph = false) const;
  // A tensor sharing the data but cut from the graph (requires_grad false).
  Tensor detach() const;

  // ---- views and layout -----------------------------------------------------------------------
  Tensor reshape(const Shape& shape) const;  // -1 allowed once; copies only when it must
  Tensor view(const Shape& shape) const;     // like reshape but throws instead of copying
  Tensor flatten(int64_t start = 0, int64_t end = -1) const;
  Tensor permute(const Shape& order) const;
  Tensor transpose(int64_t a, int64_t b) const;
  Tensor t() const;  // 2-D transpose
  Tensor slice(int64_t axis, int64_t start, int64_t end, int64_t step = 1) const;
  Tensor narrow(int64_t axis, int64_t start, int64_t length) const;
  Tensor select(int64_t axis, int64_t index) const;
  Tensor expand(const Shape& shape) const;  // -1 keeps a size
  Tensor squeeze(int64_t axis) const;
  Tensor squeeze() const;  // every axis of size 1
  Tensor unsqueeze(int64_t axis) const;
  Tensor contiguous() const;
  Tensor clone() const;
  Tensor to(DType dtype) const;
  Tensor to(Device device) const;

  // ---- in-place (never recorded; refused on tensors that take part in a graph) ----------------
  Tensor& fill_(double value);
  Tensor& zero_();
  Tensor& copy_(const Tensor& src);  // src broadcasts to this tensor's shape
  Tensor& add_(const Tensor& other, double alpha = 1.0);
  Tensor& mul_(double factor);
  Tensor& mul_(const Tensor& other);
  // Marks an in-place write: bumps the storage's version counter (see Note [Saved tensors]).
  void bump_version() const { checked().storage->bump_version(); }

  // ---- common reductions as methods (free functions in core/ops.h have the full set) ----------
  Tensor sum() const;
  Tensor mean() const;

 private:
  [[noreturn]] void throw_dtype_mismatch(DType want) const;
  TensorImpl& checked() const {
    AMOR_CHECK(impl_, ValueError, "operation on an undefined tensor");
    return *impl_;
  }
  Ptr<TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

// ---- factories ------------------------------------------------------------------------------
struct TensorOptions {
  DType dtype = DType::F32;
  Device device = Device::cpu();
  bool requires_grad = false;
};
Tensor zeros(const Shape& shape, TensorOptions o = {});
Tensor ones(const Shape& shape, TensorOptions o = {});
Tensor full(const Shape& shape, double value, TensorOptions o = {});
Tensor scalar(double value, DType dtype = DType::F32);  // a 0-d tensor
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor full_like(const Tensor& t, double value);
Tensor arange(double start, double end, double step = 1.0, TensorOptions o = {});
Tensor arange(int64_t end, TensorOptions o = {.dtype = DType::I64});
Tensor linspace(double start, double end, int64_t steps, TensorOptions o = {});
Tensor eye(int64_t n, TensorOptions o = {});
// Copies `values` into a new tensor of the given shape (checked against values.size()).
template <class T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape);
template <>
Tensor from_vector<bool>(const std::vector<bool>& values, const Shape& shape);
template <class T>
Tensor from_vector(const std::vector<T>& values) { return from_vector(values, Shape{int64_t(values.size())}); }
// Copies `shape.numel()` elements from `data`.
Tensor from_blob_copy(const void* data, const Shape& shape, DType dtype);
// Zero-copy: wraps the caller's contiguous buffer. The caller keeps it alive while any tensor
// viewing it lives; amor never frees it.
Tensor from_blob(void* data, const Shape& shape, DType dtype);

}  // namespace amor
