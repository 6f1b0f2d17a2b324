// The CPU execution harness itself (tests/cuda_harness): CUDA's thread and block indices,
// __syncthreads as a barrier, dynamic shared memory per block (poisoned), the warp shuffles with
// their lane and width semantics, and the errors it must report (barrier and warp divergence,
// bad masks, deadlock, bad launches, device code outside a launch).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/kernels/cuda_harness_util.h"

namespace amor::cuda_harness {
namespace {

using kernels::cuda::testing::all_schedules;

LaunchConfig config(dim3 grid, dim3 block, size_t shared = 0, Schedule s = Schedule::kInOrder,
                    uint64_t seed = 0) {
  LaunchConfig c;
  c.grid = grid;
  c.block = block;
  c.dynamic_shared_bytes = shared;
  c.schedule = s;
  c.seed = seed;
  return c;
}

// Expects f() to throw HarnessError whose message contains `needle`.
template <class F>
void expect_harness_error(F&& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no HarnessError; expected one mentioning '" << needle << "'";
  } catch (const HarnessError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

// ---- indices ------------------------------------------------------------------------------------

__global__ void write_indices(int* out) {
  const unsigned bx = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
  const unsigned tx = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  const unsigned n = blockDim.x * blockDim.y * blockDim.z;
  out[bx * n + tx] += int(bx * 1000 + tx);
}

TEST(CudaHarness, EveryThreadOfEveryBlockRunsOnceWithItsIndices) {
  for (const auto& sched : all_schedules(3)) {
    const dim3 grid(3, 2, 2), block(5, 3, 2);
    std::vector<int> out(12 * 30, 0);
    launch(config(grid, block, 0, sched.schedule, sched.seed), write_indices, out.data());
    for (int b = 0; b < 12; ++b)
      for (int t = 0; t < 30; ++t) ASSERT_EQ(out[size_t(b * 30 + t)], b * 1000 + t);
    EXPECT_EQ(last_launch_stats().blocks, 12u);
  }
}

// ---- __syncthreads and shared memory --------------------------------------------------------------

// out[t] = in[n-1-t] through shared memory; `sync` false leaves out the barrier (a race).
__global__ void reverse_through_shared(const float* in, float* out, bool sync) {
  AMOR_DYNAMIC_SHARED(float, s);
  const int t = int(threadIdx.x), n = int(blockDim.x);
  const int base = int(blockIdx.x) * n;
  s[t] = in[base + t];
  if (sync) __syncthreads();
  out[base + t] = s[n - 1 - t];  // another thread's element
}

TEST(CudaHarness, SyncthreadsOrdersSharedMemory) {
  const int n = 64, blocks = 3;
  std::vector<float> in(size_t(n * blocks));
  for (size_t i = 0; i < in.size(); ++i) in[i] = float(i);
  for (const auto& sched : all_schedules(7)) {
    std::vector<float> out(in.size(), -1.0f);
    launch(config(blocks, n, n * sizeof(float), sched.schedule, sched.seed), reverse_through_shared,
           in.data(), out.data(), true);
    for (int b = 0; b < blocks; ++b)
      for (int t = 0; t < n; ++t) ASSERT_EQ(out[size_t(b * n + t)], in[size_t(b * n + n - 1 - t)]);
    EXPECT_EQ(last_launch_stats().block_barriers, 3u);
  }
}

TEST(CudaHarness, MissingBarrierShowsUpAsScheduleDependence) {
  const int n = 32;
  std::vector<float> in(n), in_order(n), reverse(n);
  for (int i = 0; i < n; ++i) in[size_t(i)] = float(i);
  launch(config(1, n, n * sizeof(float), Schedule::kInOrder), reverse_through_shared, in.data(),
         in_order.data(), false);
  launch(config(1, n, n * sizeof(float), Schedule::kReverse), reverse_through_shared, in.data(),
         reverse.data(), false);
  // In order, thread t reads s[n-1-t] before thread n-1-t wrote it (for t < n/2): the poison.
  EXPECT_TRUE(std::isnan(in_order[0]));
  EXPECT_EQ(in_order[size_t(n - 1)], 0.0f);
  EXPECT_NE(std::memcmp(in_order.data(), reverse.data(), n * sizeof(float)), 0);
}

__global__ void read_unwritten_shared(float* out) {
  AMOR_DYNAMIC_SHARED(float, s);
  out[threadIdx.x] = s[threadIdx.x];
}

TEST(CudaHarness, DynamicSharedMemoryIsPoisonedPerBlock) {
  std::vector<float> out(8, 0.0f);
  launch(config(2, 8, 8 * sizeof(float)), read_unwritten_shared, out.data());
  for (float v : out) EXPECT_TRUE(std::isnan(v));
  expect_harness_error([&] { launch(config(1, 8, 0), read_unwritten_shared, out.data()); },
                       "0 bytes");
}

__global__ void exit_before_barrier(int* out) {
  if (threadIdx.x == 3) return;
  __syncthreads();
  out[threadIdx.x] = 1;
}

__global__ void barrier_in_both_branches(int* out) {
  if (threadIdx.x < 16) {
    __syncthreads();
  } else {
    __syncthreads();
  }
  out[threadIdx.x] = 1;
}

TEST(CudaHarness, ReportsBarrierDivergence) {
  std::vector<int> out(64, 0);
  expect_harness_error([&] { launch(config(1, 64), exit_before_barrier, out.data()); },
                       "has exited while 63 threads wait at __syncthreads");
  expect_harness_error([&] { launch(config(1, 64), barrier_in_both_branches, out.data()); },
                       "barrier divergence");
  // The harness recovers: the next launch runs normally.
  launch(config(2, 64), write_indices, std::vector<int>(128, 0).data());
}

// ---- warp shuffles ----------------------------------------------------------------------------------

__global__ void butterfly_sum(const double* in, double* out) {
  const int t = int(threadIdx.x);
  double v = in[t];
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  out[t] = v;
}

TEST(CudaHarness, XorButterflyGivesEveryLaneTheSameSum) {
  std::vector<double> in(64), out(64);
  for (int i = 0; i < 64; ++i) in[size_t(i)] = 1.0 / (i + 1);
  launch(config(1, 64), butterfly_sum, in.data(), out.data());
  for (int w = 0; w < 2; ++w) {
    double want = 0;
    for (int l = 0; l < 32; ++l) want += in[size_t(w * 32 + l)];
    for (int l = 0; l < 32; ++l) {
      EXPECT_NEAR(out[size_t(w * 32 + l)], want, 1e-14);
      EXPECT_EQ(out[size_t(w * 32 + l)], out[size_t(w * 32)]);  // same bits on every lane
    }
  }
}

// out[4·t + k]: xor 16 at width 16, down 1 at width 8, up 2 at width 32, broadcast of lane 5 of
// each width-16 segment; ballot of odd lanes in out_ballot.
__global__ void shuffle_semantics(int* out, unsigned* out_ballot) {
  const int t = int(threadIdx.x);
  const unsigned full = 0xffffffffu;
  out[4 * t + 0] = __shfl_xor_sync(full, t, 16, 16);
  out[4 * t + 1] = __shfl_down_sync(full, t, 1u, 8);
  out[4 * t + 2] = __shfl_up_sync(full, t, 2u);
  out[4 * t + 3] = __shfl_sync(full, t, 5, 16);
  out_ballot[t] = __ballot_sync(full, t % 2);
}

TEST(CudaHarness, ShuffleLaneAndWidthSemantics) {
  std::vector<int> out(32 * 4, -1);
  std::vector<unsigned> ballot(32, 0);
  launch(config(1, 32), shuffle_semantics, out.data(), ballot.data());
  for (int t = 0; t < 32; ++t) {
    // width 16: lane ^ 16 is in a later segment for t < 16 (own value), an earlier one otherwise.
    EXPECT_EQ(out[size_t(4 * t + 0)], t < 16 ? t : t - 16) << t;
    EXPECT_EQ(out[size_t(4 * t + 1)], t % 8 == 7 ? t : t + 1) << t;
    EXPECT_EQ(out[size_t(4 * t + 2)], t < 2 ? t : t - 2) << t;
    EXPECT_EQ(out[size_t(4 * t + 3)], (t / 16) * 16 + 5) << t;
    EXPECT_EQ(ballot[size_t(t)], 0xaaaaaaaau);
  }
}

__global__ void lane_exits_before_shuffle(float* out) {
  if (threadIdx.x == 7) return;
  out[threadIdx.x] = __shfl_xor_sync(0xffffffffu, 1.0f, 1);
}

__global__ void shuffle_without_own_lane(float* out) {
  out[threadIdx.x] = __shfl_xor_sync(0xfffffffeu, 1.0f, 1);
}

__global__ void shuffle_reads_outside_mask(float* out) {
  if (threadIdx.x < 16) out[threadIdx.x] = __shfl_down_sync(0x0000ffffu, 1.0f, 8u);
}

__global__ void lanes_at_different_collectives(float* out) {
  if (threadIdx.x % 2 == 0) {
    out[threadIdx.x] = __shfl_xor_sync(0xffffffffu, 1.0f, 2);
  } else {
    __syncwarp();
  }
}

__global__ void warp_waits_for_barrier(float* out) {
  if (threadIdx.x < 16) {
    out[threadIdx.x] = __shfl_xor_sync(0xffffffffu, 1.0f, 1);
  } else {
    __syncthreads();
  }
}

// Warp 0 shuffles with a full mask, warp 1 (the rest of the block) with `mask`.
__global__ void partial_warp_shuffle(float* out, unsigned mask) {
  const unsigned m = threadIdx.x < 32 ? 0xffffffffu : mask;
  out[threadIdx.x] = __shfl_xor_sync(m, float(threadIdx.x), 1);
}

TEST(CudaHarness, ReportsWarpCollectiveErrors) {
  std::vector<float> out(64, 0.0f);
  expect_harness_error([&] { launch(config(1, 32), lane_exits_before_shuffle, out.data()); },
                       "which has exited");
  expect_harness_error([&] { launch(config(1, 32), shuffle_without_own_lane, out.data()); },
                       "does not include the calling lane 0");
  expect_harness_error([&] { launch(config(1, 32), shuffle_reads_outside_mask, out.data()); },
                       "not in the mask");
  expect_harness_error([&] { launch(config(1, 32), lanes_at_different_collectives, out.data()); },
                       "must run the same collective");
  expect_harness_error([&] { launch(config(1, 32), warp_waits_for_barrier, out.data()); },
                       "waits at __syncthreads at test_cuda_harness.cpp:");
  // A block of 40 threads: its second warp has 8 lanes, so a full mask names missing lanes.
  expect_harness_error(
      [&] { launch(config(1, 40), partial_warp_shuffle, out.data(), 0xffffffffu); },
      "does not exist");
  launch(config(1, 40), partial_warp_shuffle, out.data(), 0xffu);
  EXPECT_EQ(out[33], 32.0f);
  EXPECT_EQ(out[32], 33.0f);
}

// ---- exceptions, launch configuration, use outside a launch -------------------------------------

__global__ void throws_in_thread(int* out) {
  __syncthreads();
  if (threadIdx.x == 5) throw std::runtime_error("thrown by thread 5");
  __syncthreads();
  out[threadIdx.x] = 1;
}

TEST(CudaHarness, KernelExceptionsPropagateAndTheHarnessRecovers) {
  std::vector<int> out(64, 0);
  try {
    launch(config(2, 64), throws_in_thread, out.data());
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "thrown by thread 5");
  }
  std::vector<int> idx(128, 0);
  launch(config(2, 64), write_indices, idx.data());
  EXPECT_EQ(idx[127], 1063);
}

TEST(CudaHarness, RejectsBadLaunches) {
  std::vector<int> out(4096, 0);
  expect_harness_error([&] { launch(config(1, 2048), write_indices, out.data()); }, "threads per block");
  expect_harness_error([&] { launch(config(0, 32), write_indices, out.data()); }, "empty grid");
  expect_harness_error(
      [&] { launch(config(1, 32, kMaxDynamicSharedBytes + 1), write_indices, out.data()); },
      "dynamic shared memory");
  expect_harness_error([] { (void)threadIdx.x; }, "outside a kernel");
  expect_harness_error([] { __syncthreads(); }, "outside a kernel");
}

}  // namespace
}  // namespace amor::cuda_harness
