#include "tests/cuda_harness/fibers.h"

#include <sys/mman.h>
#include <unistd.h>

#include <boost/context/fiber.hpp>
#include <deque>
#include <new>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

namespace amor::cuda_harness::detail {
namespace {

namespace ctx = boost::context;

// ---- AddressSanitizer: every switch between stacks is announced (else ASan reports false
// stack errors and loses track of use-after-return frames). No-ops in other builds.
void asan_start_switch(void** fake_stack_save, const void* bottom, std::size_t size) {
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_start_switch_fiber(fake_stack_save, bottom, size);
#else
  (void)fake_stack_save, (void)bottom, (void)size;
#endif
}
void asan_finish_switch(void* fake_stack_save, const void** bottom_old, std::size_t* size_old) {
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_finish_switch_fiber(fake_stack_save, bottom_old, size_old);
#else
  (void)fake_stack_save, (void)bottom_old, (void)size_old;
#endif
}

// ---- Fiber stacks: mmap'd with a guard page below (a stack overflow faults instead of silently
// corrupting a neighbour), one per fiber, freed with the pool.
constexpr std::size_t kStackBytes = 256 * 1024;

class Stacks {
 public:
  Stacks() : page_(static_cast<std::size_t>(::sysconf(_SC_PAGESIZE))) {}
  Stacks(const Stacks&) = delete;
  Stacks& operator=(const Stacks&) = delete;
  ~Stacks() {
    for (void* base : all_) ::munmap(base, kStackBytes + page_);
  }
  // The low end of a new usable stack of kStackBytes.
  char* make() {
    void* base = ::mmap(nullptr, kStackBytes + page_, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) throw std::bad_alloc();
    if (::mprotect(base, page_, PROT_NONE) != 0) {
      ::munmap(base, kStackBytes + page_);
      throw std::bad_alloc();
    }
    all_.push_back(base);
    return static_cast<char*>(base) + page_;
  }

 private:
  std::size_t page_;
  std::vector<void*> all_;
};

// Boost.Context StackAllocator over a stack that Stacks owns.
struct OwnedStack {
  char* low;
  ctx::stack_context allocate() {
    ctx::stack_context sc;
    sc.size = kStackBytes;
    sc.sp = low + kStackBytes;  // stacks grow down from sp
    return sc;
  }
  void deallocate(ctx::stack_context&) noexcept {}
};

struct Fiber {
  ctx::fiber self;       // the fiber, while it is suspended
  ctx::fiber scheduler;  // the scheduler, while the fiber runs
  char* stack_low = nullptr;
  void* asan_fake_stack = nullptr;
};

}  // namespace

struct FiberPool::Impl {
  Stacks stacks;  // destroyed after the fibers have finished (member order)
  std::deque<Fiber> fibers;  // addresses stay valid as it grows
  const Work* work = nullptr;
  bool shutdown = false;
  const void* scheduler_stack_bottom = nullptr;  // for the ASan switch annotations
  std::size_t scheduler_stack_size = 0;
};

FiberPool& FiberPool::this_thread() {
  thread_local FiberPool pool;
  return pool;
}

FiberPool::FiberPool() : impl_(std::make_unique<Impl>()) {}

FiberPool::~FiberPool() {
  // Every fiber leaves its loop and returns (rather than being force-unwound by Boost, which
  // would switch stacks behind ASan's back).
  impl_->shutdown = true;
  for (std::size_t i = 0; i < impl_->fibers.size(); ++i)
    if (impl_->fibers[i].self) resume(i);
}

void FiberPool::set_work(const Work* work) { impl_->work = work; }

void FiberPool::resume(std::size_t i) {
  Fiber& f = impl_->fibers[i];
  void* fake = nullptr;
  asan_start_switch(&fake, f.stack_low, kStackBytes);
  f.self = std::move(f.self).resume();
  asan_finish_switch(fake, nullptr, nullptr);
}

void FiberPool::park(std::size_t i) {
  Impl& p = *impl_;
  Fiber& f = p.fibers[i];
  asan_start_switch(&f.asan_fake_stack, p.scheduler_stack_bottom, p.scheduler_stack_size);
  f.scheduler = std::move(f.scheduler).resume();
  asan_finish_switch(f.asan_fake_stack, &p.scheduler_stack_bottom, &p.scheduler_stack_size);
}

void FiberPool::ensure(std::size_t n) {
  Impl& p = *impl_;
  while (p.fibers.size() < n) {
    const std::size_t i = p.fibers.size();
    Fiber& f = p.fibers.emplace_back();
    f.stack_low = p.stacks.make();
    f.self = ctx::fiber(std::allocator_arg, OwnedStack{f.stack_low}, [this, i](ctx::fiber&& s) {
      Impl& q = *impl_;
      asan_finish_switch(nullptr, &q.scheduler_stack_bottom, &q.scheduler_stack_size);
      q.fibers[i].scheduler = std::move(s);
      while (!q.shutdown) {
        std::exception_ptr error;
        try {
          q.work->run(i);
        } catch (const ctx::detail::forced_unwind&) {
          throw;
        } catch (...) {
          error = std::current_exception();
        }
        q.work->finish(i, error);
        park(i);  // until the next block (or the pool's shutdown)
      }
      asan_start_switch(nullptr, q.scheduler_stack_bottom, q.scheduler_stack_size);  // ends
      return std::move(q.fibers[i].scheduler);
    });
  }
}

}  // namespace amor::cuda_harness::detail
