// The fibers under the CPU execution harness (harness.cpp): one per CUDA thread of a block, on
// the calling OS thread, created on demand and kept for the thread's lifetime. A fiber runs the
// pool's current Work for its index, then parks; resuming it again runs the Work again (the next
// block). Switches between the scheduler and the fibers are announced to AddressSanitizer.
// Boost.Context stays inside fibers.cpp.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>

namespace amor::cuda_harness::detail {

class FiberPool {
 public:
  struct Work {
    std::function<void(std::size_t fiber)> run;  // the body, on the fiber's own stack
    // After run returns or throws (the exception, or null), still on the fiber.
    std::function<void(std::size_t fiber, std::exception_ptr error)> finish;
  };

  // The pool of the calling OS thread.
  static FiberPool& this_thread();

  FiberPool();
  FiberPool(const FiberPool&) = delete;
  FiberPool& operator=(const FiberPool&) = delete;
  ~FiberPool();  // lets every fiber leave its loop and finish normally

  // At least n fibers (each with a 256 KiB stack and a guard page).
  void ensure(std::size_t n);
  // What fibers run when resumed from parked (must outlive the resumes).
  void set_work(const Work* work);
  // Scheduler side: runs fiber i until it parks.
  void resume(std::size_t i);
  // Fiber side: hands control back to the scheduler until resumed.
  void park(std::size_t i);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace amor::cuda_harness::detail
