// CPU execution harness for CUDA kernels (test-only code; docs/cuda_harness.md).
//
// Runs the body of a `__global__` function on the CPU with the CUDA execution model: the grid's
// blocks one after another, and inside a block every thread as a fiber (Boost.Context) on one OS
// thread. A fiber runs until it reaches a block barrier (`__syncthreads`) or a warp collective
// (`__shfl_*_sync`, `__syncwarp`, `__ballot_sync`), then the next fiber runs; a barrier releases
// once every thread of the block waits at it, a warp collective once every lane named in its mask
// does. So the kernel's own code, compiled by a C++ compiler, computes what it computes on a GPU,
// and the harness reports the synchronisation errors a GPU would hide or hang on:
//   - barrier divergence: a thread exits, or waits at a different `__syncthreads`, while others
//     wait at one;
//   - a warp collective whose mask names a lane that exited, waits elsewhere, or disagrees on the
//     collective or the mask; a shuffle reading a lane outside the mask; a mask without the
//     calling lane;
//   - deadlock.
// Dynamic shared memory (AMOR_DYNAMIC_SHARED in kernels/cuda/kernel_support.cuh) is a fresh heap
// buffer of exactly the launch's size for every block, filled with 0xFF bytes (NaN as float or
// double) so that reading shared memory nobody wrote shows up in the results, and overruns show up
// under AddressSanitizer. The order in which the fibers of a block (and the blocks of the grid)
// run is a parameter (Schedule): a kernel whose result changes with the order has a data race
// between barriers, which running it under several orders and comparing catches.
//
// Usage: include this header before any kernels/cuda/*.cuh device code, then
//   amor::cuda_harness::launch({grid, block, shared_bytes}, my_kernel<float>, args...);
// It defines the CUDA keywords and built-ins (__global__, __device__, threadIdx, ...) as macros,
// so include it only in test translation units that run device code.
#pragma once

#define AMOR_CUDA_HARNESS 1

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <source_location>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#if defined(__CUDACC__)
#error "tests/cuda_harness/harness.h emulates CUDA on the CPU; do not compile it with nvcc"
#endif

struct uint3 {
  unsigned int x, y, z;
};

struct dim3 {
  unsigned int x, y, z;
  constexpr dim3(unsigned int vx = 1, unsigned int vy = 1, unsigned int vz = 1) : x(vx), y(vy), z(vz) {}
  constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}  // NOLINT: implicit, as in CUDA
};

namespace amor::cuda_harness {

// A synchronisation error, a bad launch configuration, or device code run outside a launch.
class HarnessError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The order in which a block's threads are resumed each round, how far its warps may drift apart
// between block barriers, and the order of the grid's blocks. A kernel without races between
// barriers gives the same result under every schedule.
enum class Schedule {
  kInOrder,   // every ready thread each round, in thread order; every complete warp collective
              // released at once (warps in lockstep); blocks in order
  kReverse,   // only the last warp with ready threads runs each round, and only the last warp's
              // collectives are released: the warps run one after another, last first, between
              // barriers; blocks in reverse order
  kShuffled,  // a random subset of the warps runs each round, in a random thread order (seeded),
              // and each complete collective is released at random; blocks in a random order
};

struct LaunchConfig {
  dim3 grid;
  dim3 block;
  std::size_t dynamic_shared_bytes = 0;
  Schedule schedule = Schedule::kInOrder;
  std::uint64_t seed = 0;  // for Schedule::kShuffled
};

// The most dynamic shared memory one block may use on the oldest target (sm_80: 163 KiB with
// cudaFuncAttributeMaxDynamicSharedMemorySize; 48 KiB without it).
inline constexpr std::size_t kMaxDynamicSharedBytes = 163 * 1024;
inline constexpr unsigned kMaxThreadsPerBlock = 1024;
inline constexpr int kWarpSize = 32;

// Statistics of the last launch on this OS thread (for tests of the harness itself).
struct LaunchStats {
  std::uint64_t blocks = 0;
  std::uint64_t block_barriers = 0;   // releases of __syncthreads
  std::uint64_t warp_collectives = 0; // releases of warp collectives
};
LaunchStats last_launch_stats();

namespace detail {

enum class WarpOp { kSyncWarp, kShflIdx, kShflUp, kShflDown, kShflXor, kBallot };

void run(const LaunchConfig& config, const std::function<void()>& body);

uint3 thread_idx();
uint3 block_idx();
dim3 block_dim();
dim3 grid_dim();
unsigned char* dynamic_shared();
void sync_threads(std::source_location site);
// The collective `op` over the lanes of `mask`: contributes `value` (the bits of the operand)
// and returns the bits of the lane the op reads (or the ballot, or 0 for __syncwarp).
std::uint64_t warp_collective(WarpOp op, unsigned mask, int arg, int width, std::uint64_t value,
                              std::source_location site);

template <class T>
T shuffle(WarpOp op, unsigned mask, T var, int arg, int width, std::source_location site) {
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= 8,
                "warp shuffles move values of at most 8 bytes");
  std::uint64_t bits = 0;
  std::memcpy(&bits, &var, sizeof(T));
  const std::uint64_t got = warp_collective(op, mask, arg, width, bits, site);
  T out;
  std::memcpy(&out, &got, sizeof(T));
  return out;
}

}  // namespace detail

// Runs kernel(args...) over config.grid × config.block. The arguments are converted to the
// kernel's parameter types once, as a launch copies them to the device, and every thread calls
// the kernel with its own copies. Throws HarnessError on a synchronisation error; an exception
// thrown by the kernel body is rethrown.
template <class... Params, class... Args>
void launch(const LaunchConfig& config, void (*kernel)(Params...), Args&&... args) {
  static_assert(sizeof...(Params) == sizeof...(Args), "wrong number of kernel arguments");
  const std::tuple<std::decay_t<Params>...> params(std::forward<Args>(args)...);
  detail::run(config, [&] { std::apply(kernel, params); });
}

}  // namespace amor::cuda_harness

// ---- CUDA keywords and built-ins ----------------------------------------------------------------
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__
#define __launch_bounds__(...)
// Static shared memory: one object for the whole launch, which the threads of a block share
// (blocks run one after another). Unlike dynamic shared memory it is not poisoned between blocks.
#define __shared__ static

#define threadIdx (::amor::cuda_harness::detail::thread_idx())
#define blockIdx (::amor::cuda_harness::detail::block_idx())
#define blockDim (::amor::cuda_harness::detail::block_dim())
#define gridDim (::amor::cuda_harness::detail::grid_dim())

inline constexpr int warpSize = ::amor::cuda_harness::kWarpSize;

inline void __syncthreads(std::source_location site = std::source_location::current()) {
  ::amor::cuda_harness::detail::sync_threads(site);
}

inline void __syncwarp(unsigned mask = 0xffffffffu,
                       std::source_location site = std::source_location::current()) {
  using ::amor::cuda_harness::detail::WarpOp;
  (void)::amor::cuda_harness::detail::warp_collective(WarpOp::kSyncWarp, mask, 0, warpSize, 0, site);
}

inline unsigned __ballot_sync(unsigned mask, int predicate,
                              std::source_location site = std::source_location::current()) {
  using ::amor::cuda_harness::detail::WarpOp;
  return static_cast<unsigned>(::amor::cuda_harness::detail::warp_collective(
      WarpOp::kBallot, mask, 0, warpSize, predicate != 0 ? 1 : 0, site));
}

template <class T>
T __shfl_sync(unsigned mask, T var, int src_lane, int width = warpSize,
              std::source_location site = std::source_location::current()) {
  using ::amor::cuda_harness::detail::WarpOp;
  return ::amor::cuda_harness::detail::shuffle(WarpOp::kShflIdx, mask, var, src_lane, width, site);
}

template <class T>
T __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = warpSize,
                 std::source_location site = std::source_location::current()) {
  using ::amor::cuda_harness::detail::WarpOp;
  return ::amor::cuda_harness::detail::shuffle(WarpOp::kShflUp, mask, var, static_cast<int>(delta),
                                               width, site);
}

template <class T>
T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = warpSize,
                   std::source_location site = std::source_location::current()) {
  using ::amor::cuda_harness::detail::WarpOp;
  return ::amor::cuda_harness::detail::shuffle(WarpOp::kShflDown, mask, var,
                                               static_cast<int>(delta), width, site);
}

template <class T>
T __shfl_xor_sync(unsigned mask, T var, int lane_mask, int width = warpSize,
                  std::source_location site = std::source_location::current()) {
  using ::amor::cuda_harness::detail::WarpOp;
  return ::amor::cuda_harness::detail::shuffle(WarpOp::kShflXor, mask, var, lane_mask, width, site);
}
