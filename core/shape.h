// Shape: sizes (or strides) held inline — no heap allocation per tensor. Up to kMaxDims axes.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"

namespace amor {

inline constexpr int kMaxDims = 8;

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims) { assign(dims.begin(), dims.size()); }
  explicit Shape(std::span<const int64_t> dims) { assign(dims.data(), dims.size()); }
  Shape(const std::vector<int64_t>& dims) { assign(dims.data(), dims.size()); }  // NOLINT implicit

  static Shape filled(int ndim, int64_t value) {
    Shape s;
    s.resize(ndim, value);
    return s;
  }

  int size() const { return n_; }  // number of axes
  bool empty() const { return n_ == 0; }
  int64_t operator[](int i) const { return d_[i]; }
  int64_t& operator[](int i) { return d_[i]; }
  const int64_t* begin() const { return d_; }
  const int64_t* end() const { return d_ + n_; }
  int64_t* begin() { return d_; }
  int64_t* end() { return d_ + n_; }
  const int64_t* data() const { return d_; }
  int64_t back() const { return d_[n_ - 1]; }

  void push_back(int64_t v) {
    AMOR_CHECK(n_ < kMaxDims, ShapeError, "tensors have at most ", kMaxDims, " axes");
    d_[n_++] = v;
  }
  void insert(int pos, int64_t v) {
    AMOR_CHECK(n_ < kMaxDims, ShapeError, "tensors have at most ", kMaxDims, " axes");
    for (int i = n_; i > pos; --i) d_[i] = d_[i - 1];
    d_[pos] = v;
    ++n_;
  }
  void erase(int pos) {
    for (int i = pos; i + 1 < n_; ++i) d_[i] = d_[i + 1];
    --n_;
  }
  void resize(int n, int64_t fill = 0) {
    AMOR_CHECK(n >= 0 && n <= kMaxDims, ShapeError, "tensors have at most ", kMaxDims, " axes, got ", n);
    for (int i = n_; i < n; ++i) d_[i] = fill;
    n_ = n;
  }

  int64_t numel() const {
    int64_t p = 1;
    for (int i = 0; i < n_; ++i) p *= d_[i];
    return p;
  }
  std::vector<int64_t> vec() const { return {d_, d_ + n_}; }
  std::string str() const {
    std::string s = "[";
    for (int i = 0; i < n_; ++i) s += (i ? ", " : "") + std::to_string(d_[i]);
    return s + "]";
  }

  friend bool operator==(const Shape& a, const Shape& b) {
    return a.n_ == b.n_ && std::equal(a.d_, a.d_ + a.n_, b.d_);
  }

 private:
  void assign(const int64_t* p, size_t n) {
    AMOR_CHECK(n <= static_cast<size_t>(kMaxDims), ShapeError, "tensors have at most ", kMaxDims,
               " axes, got ", n);
    n_ = static_cast<int>(n);
    std::copy(p, p + n, d_);
  }
  int64_t d_[kMaxDims] = {};
  int n_ = 0;
};

inline std::ostream& operator<<(std::ostream& os, const Shape& s) { return os << s.str(); }

// Strides are counted in elements, not bytes.
using Strides = Shape;

inline Strides contiguous_strides(const Shape& shape) {
  Strides st = Shape::filled(shape.size(), 1);
  int64_t acc = 1;
  for (int i = shape.size() - 1; i >= 0; --i) {
    st[i] = acc;
    acc *= std::max<int64_t>(shape[i], 1);
  }
  return st;
}

// Wraps a possibly negative axis into [0, ndim). `op` names the caller for the error message.
inline int wrap_dim(int64_t dim, int ndim, const char* op) {
  int64_t lo = -std::max(ndim, 1), hi = std::max(ndim, 1) - 1;
  AMOR_CHECK(dim >= lo && dim <= hi, IndexError, op, ": axis ", dim, " out of range for a tensor with ",
             ndim, " axes");
  return static_cast<int>(dim < 0 ? dim + std::max(ndim, 1) : dim);
}

// NumPy broadcasting of two shapes; throws ShapeError naming `op` when they do not broadcast.
inline Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  int n = std::max(a.size(), b.size());
  Shape out = Shape::filled(n, 1);
  for (int i = 0; i < n; ++i) {
    int ia = a.size() - n + i, ib = b.size() - n + i;
    int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
    AMOR_CHECK(da == db || da == 1 || db == 1, ShapeError, op, ": shapes ", a, " and ", b,
               " do not broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

}  // namespace amor
