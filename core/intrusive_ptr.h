// A minimal intrusive reference-counted pointer. The count lives in the object (one allocation,
// no control block); increments are relaxed atomics so tensors may be shared across threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <utility>

#include "core/small_object_pool.h"

namespace amor {

class RefCounted {
 public:
  RefCounted() = default;
  RefCounted(const RefCounted&) = delete;
  RefCounted& operator=(const RefCounted&) = delete;
  virtual ~RefCounted() = default;

  // Every reference-counted object (tensors, storages, autodiff nodes) comes from the per-thread
  // small-object pool; the virtual destructor makes sized delete see the dynamic size.
  static void* operator new(size_t n) { return pool_alloc(n); }
  static void operator delete(void* p, size_t n) noexcept { pool_free(p, n); }

  void incref() const { refs_.fetch_add(1, std::memory_order_relaxed); }
  // Returns true when this was the last reference.
  bool decref() const { return refs_.fetch_sub(1, std::memory_order_acq_rel) == 1; }
  uint32_t use_count() const { return refs_.load(std::memory_order_relaxed); }

 private:
  mutable std::atomic<uint32_t> refs_{0};
};

template <class T>
class Ptr {
 public:
  Ptr() = default;
  Ptr(std::nullptr_t) {}  // NOLINT implicit
  explicit Ptr(T* p) : p_(p) { if (p_) p_->incref(); }
  Ptr(const Ptr& o) : p_(o.p_) { if (p_) p_->incref(); }
  Ptr(Ptr&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  template <class U>
  Ptr(const Ptr<U>& o) : p_(o.get()) { if (p_) p_->incref(); }  // NOLINT implicit upcast
  ~Ptr() { reset(); }

  Ptr& operator=(const Ptr& o) {
    Ptr(o).swap(*this);
    return *this;
  }
  Ptr& operator=(Ptr&& o) noexcept {
    Ptr(std::move(o)).swap(*this);
    return *this;
  }
  void reset() {
    if (p_ && p_->decref()) delete p_;
    p_ = nullptr;
  }
  void swap(Ptr& o) noexcept { std::swap(p_, o.p_); }

  T* get() const { return p_; }
  T* operator->() const { return p_; }
  T& operator*() const { return *p_; }
  explicit operator bool() const { return p_ != nullptr; }
  friend bool operator==(const Ptr& a, const Ptr& b) { return a.p_ == b.p_; }

 private:
  T* p_ = nullptr;
};

template <class T, class... Args>
Ptr<T> make_ptr(Args&&... args) {
  return Ptr<T>(new T(std::forward<Args>(args)...));
}

}  // namespace amor
