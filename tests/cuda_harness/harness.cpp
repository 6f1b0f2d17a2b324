// The CPU execution harness's scheduler: blocks in sequence, a block's threads as fibers
// (fibers.h), barriers and warp collectives as points where a fiber yields (harness.h).
#include "tests/cuda_harness/harness.h"

#include <algorithm>
#include <exception>
#include <memory>
#include <numeric>
#include <random>
#include <sstream>
#include <vector>

#include "tests/cuda_harness/fibers.h"

namespace amor::cuda_harness {
namespace {

using detail::FiberPool;

// Thrown inside a suspended thread to unwind it when its block is abandoned after an error.
struct BlockAborted {};

enum class State { kReady, kAtBarrier, kAtWarp, kDone };

struct Thread {
  uint3 idx{};
  int linear = 0;
  State state = State::kReady;
  std::source_location site{};  // where it waits
  // The warp collective it waits at.
  detail::WarpOp op = detail::WarpOp::kSyncWarp;
  unsigned mask = 0;
  int arg = 0, width = kWarpSize;
  std::uint64_t value = 0, result = 0;
  std::exception_ptr error;  // thrown by the kernel body
};

const char* op_name(detail::WarpOp op) {
  switch (op) {
    case detail::WarpOp::kSyncWarp: return "__syncwarp";
    case detail::WarpOp::kShflIdx: return "__shfl_sync";
    case detail::WarpOp::kShflUp: return "__shfl_up_sync";
    case detail::WarpOp::kShflDown: return "__shfl_down_sync";
    case detail::WarpOp::kShflXor: return "__shfl_xor_sync";
    case detail::WarpOp::kBallot: return "__ballot_sync";
  }
  return "?";
}

std::string where(const std::source_location& s) {
  std::ostringstream os;
  const std::string file = s.file_name();
  const auto slash = file.find_last_of('/');
  os << (slash == std::string::npos ? file : file.substr(slash + 1)) << ":" << s.line();
  return os.str();
}

bool same_site(const std::source_location& a, const std::source_location& b) {
  return a.line() == b.line() && a.column() == b.column() &&
         std::strcmp(a.file_name(), b.file_name()) == 0;
}

std::string hex(unsigned v) {
  std::ostringstream os;
  os << "0x" << std::hex << v;
  return os.str();
}

// One block being executed on this OS thread.
struct Block {
  LaunchConfig config;
  uint3 index{};
  std::vector<Thread> threads;  // thread i runs on fiber i of the OS thread's FiberPool
  unsigned char* shared = nullptr;
  Thread* current = nullptr;
  bool aborting = false;
  LaunchStats* stats = nullptr;

  std::string describe(const Thread& t) const {
    std::ostringstream os;
    os << "thread (" << t.idx.x << "," << t.idx.y << "," << t.idx.z << ") of block (" << index.x
       << "," << index.y << "," << index.z << ")";
    return os.str();
  }
};

thread_local Block* g_block = nullptr;
thread_local LaunchStats g_last_stats;

Block& active_block(const char* what) {
  if (g_block == nullptr || g_block->current == nullptr)
    throw HarnessError(std::string(what) + " used outside a kernel launched by the harness");
  return *g_block;
}

// Called on a thread's own fiber: hands control back to the scheduler until released.
void suspend(Block& block, Thread& t) {
  FiberPool::this_thread().park(static_cast<std::size_t>(t.linear));
  if (block.aborting) throw BlockAborted{};
}

// Runs thread t until it waits or finishes.
void resume(Block& block, Thread& t) {
  block.current = &t;
  FiberPool::this_thread().resume(static_cast<std::size_t>(t.linear));
  block.current = nullptr;
}

// The lane each lane of a released collective reads (its own for out-of-segment shuffles).
int source_lane(const Thread& t, int lane) {
  const int w = t.width;
  switch (t.op) {
    case detail::WarpOp::kShflIdx: return (lane / w) * w + (t.arg & (w - 1));
    case detail::WarpOp::kShflUp: return (lane % w) < t.arg ? lane : lane - t.arg;
    case detail::WarpOp::kShflDown: return (lane % w) + t.arg >= w ? lane : lane + t.arg;
    case detail::WarpOp::kShflXor: {
      const int src = lane ^ t.arg;
      return src / w > lane / w ? lane : src;  // later segments are out of reach
    }
    default: return lane;
  }
}

class Scheduler {
 public:
  explicit Scheduler(Block& b) : block_(b) {}

  // Releases warp collectives whose lanes have all arrived (throws on an inconsistent one):
  // kInOrder releases all of them (the warps of a block advance in lockstep), kReverse only the
  // last warp's (so one warp runs ahead to the next block barrier, then the one before it, ...),
  // kShuffled each with probability 1/2 (warps drift apart at random). The last two make a
  // missing __syncthreads between warps visible.
  bool release_warps(std::mt19937_64& rng) {
    struct Group {
      int base, lanes, leader;
    };
    std::vector<Group> ready;
    const int n = static_cast<int>(block_.threads.size());
    for (int base = 0; base < n; base += kWarpSize) {
      const int lanes = std::min(kWarpSize, n - base);
      unsigned grouped = 0;
      for (int l = 0; l < lanes; ++l) {
        const Thread& t = block_.threads[static_cast<std::size_t>(base + l)];
        if (t.state != State::kAtWarp || (grouped >> l & 1u)) continue;
        grouped |= t.mask;
        if (group_complete(base, lanes, l)) ready.push_back({base, lanes, l});
      }
    }
    if (ready.empty()) return false;
    switch (block_.config.schedule) {
      case Schedule::kInOrder:
        for (const Group& g : ready) release(g.base, g.lanes, g.leader);
        break;
      case Schedule::kReverse: {
        const int last = ready.back().base;
        for (const Group& g : ready)
          if (g.base == last) release(g.base, g.lanes, g.leader);
        break;
      }
      case Schedule::kShuffled: {
        const std::size_t keep = rng() % ready.size();  // at least one is released
        for (std::size_t i = 0; i < ready.size(); ++i)
          if (i == keep || (rng() & 1u)) release(ready[i].base, ready[i].lanes, ready[i].leader);
        break;
      }
    }
    return true;
  }

  // Completes the collective of the lanes in lane l's mask (checked by group_complete).
  void release(int base, int lanes, int l) {
    const Thread& t = block_.threads[static_cast<std::size_t>(base + l)];
    const unsigned mask = t.mask;
    std::uint64_t ballot = 0;
    for (int m = 0; m < lanes; ++m)
      if (mask >> m & 1u)
        ballot |= (block_.threads[static_cast<std::size_t>(base + m)].value != 0 ? 1ull : 0ull) << m;
    for (int m = 0; m < lanes; ++m) {
      if (!(mask >> m & 1u)) continue;
      Thread& u = block_.threads[static_cast<std::size_t>(base + m)];
      if (u.op == detail::WarpOp::kBallot) {
        u.result = ballot;
      } else if (u.op == detail::WarpOp::kSyncWarp) {
        u.result = 0;
      } else {
        const int src = source_lane(u, m);
        if (!(mask >> src & 1u))
          throw HarnessError(block_.describe(u) + ": " + op_name(u.op) + " at " + where(u.site) +
                             " reads lane " + std::to_string(src) + ", which is not in the mask " +
                             hex(u.mask) + " (undefined on a GPU)");
        u.result = block_.threads[static_cast<std::size_t>(base + src)].value;
      }
    }
    for (int m = 0; m < lanes; ++m)
      if (mask >> m & 1u) block_.threads[static_cast<std::size_t>(base + m)].state = State::kReady;
    ++block_.stats->warp_collectives;
  }

  // Whether every lane in lane l's mask waits at the same collective with the same mask (false
  // while some lane has yet to run to it); throws when one never can.
  bool group_complete(int base, int lanes, int l) const {
    const Thread& t = block_.threads[base + l];
    for (int m = 0; m < kWarpSize; ++m) {
      if (!(t.mask >> m & 1u)) continue;
      const auto what = [&] {  // only built for an error message
        return block_.describe(t) + ": " + op_name(t.op) + " at " + where(t.site) + " with mask " +
               hex(t.mask);
      };
      if (m >= lanes)
        throw HarnessError(what() + " names lane " + std::to_string(m) +
                           ", which does not exist (the warp has " + std::to_string(lanes) +
                           " threads)");
      const Thread& u = block_.threads[base + m];
      switch (u.state) {
        case State::kDone:
          throw HarnessError(what() + " waits for lane " + std::to_string(m) +
                             ", which has exited (warp divergence)");
        case State::kAtBarrier:
          throw HarnessError(what() + " waits for lane " + std::to_string(m) +
                             ", which waits at __syncthreads at " + where(u.site) + " (deadlock)");
        case State::kReady:
          return false;  // not there yet (its warp was not scheduled this round)
        case State::kAtWarp:
          if (u.op != t.op || u.mask != t.mask)
            throw HarnessError(what() + " waits for lane " + std::to_string(m) + ", which is at " +
                               op_name(u.op) + " at " + where(u.site) + " with mask " +
                               hex(u.mask) + " (the lanes of a mask must run the same collective)");
          break;
      }
    }
    return true;
  }

  // Releases __syncthreads once every thread waits at the same one; throws on divergence.
  bool release_barrier() {
    const Thread* first = nullptr;
    const Thread* exited = nullptr;
    std::size_t waiting = 0;
    for (const Thread& t : block_.threads) {
      if (t.state == State::kAtBarrier) {
        ++waiting;
        if (first == nullptr) first = &t;
        else if (!same_site(first->site, t.site))
          throw HarnessError("barrier divergence: " + block_.describe(*first) +
                             " waits at __syncthreads at " + where(first->site) + " but " +
                             block_.describe(t) + " at " + where(t.site));
      } else if (t.state == State::kDone && exited == nullptr) {
        exited = &t;
      } else if (t.state == State::kAtWarp) {
        throw HarnessError("deadlock: " + block_.describe(t) + " waits at " + op_name(t.op) +
                           " at " + where(t.site) + " while other threads wait at __syncthreads");
      }
    }
    if (first == nullptr) return false;
    if (exited != nullptr)
      throw HarnessError("barrier divergence: " + block_.describe(*exited) + " has exited while " +
                         std::to_string(waiting) + " threads wait at __syncthreads at " +
                         where(first->site));
    for (Thread& t : block_.threads) t.state = State::kReady;
    ++block_.stats->block_barriers;
    return true;
  }

  // Each round resumes the ready threads of some warps: kInOrder all of them (in thread order),
  // kReverse only the last warp that has ready threads (so after a barrier one warp runs ahead
  // through its collectives while the others have not even resumed), kShuffled a random subset
  // of warps in a random thread order. Then warp collectives are released (release_warps), and
  // once no thread is ready, a block barrier.
  void run_block(std::mt19937_64& rng) {
    const std::size_t n = block_.threads.size();
    const std::size_t warps = (n + kWarpSize - 1) / kWarpSize;
    std::vector<std::size_t> order(n);
    std::vector<char> warp_ready(warps), chosen(warps);
    for (;;) {
      std::fill(warp_ready.begin(), warp_ready.end(), 0);
      for (std::size_t i = 0; i < n; ++i)
        if (block_.threads[i].state == State::kReady) warp_ready[i / kWarpSize] = 1;
      std::vector<std::size_t> candidates;
      for (std::size_t w = 0; w < warps; ++w)
        if (warp_ready[w]) candidates.push_back(w);
      std::fill(chosen.begin(), chosen.end(), 0);
      switch (block_.config.schedule) {
        case Schedule::kInOrder:
          for (std::size_t w : candidates) chosen[w] = 1;
          break;
        case Schedule::kReverse:
          if (!candidates.empty()) chosen[candidates.back()] = 1;
          break;
        case Schedule::kShuffled:
          if (!candidates.empty()) {
            chosen[candidates[rng() % candidates.size()]] = 1;  // at least one
            for (std::size_t w : candidates) chosen[w] |= static_cast<char>(rng() & 1u);
          }
          break;
      }
      std::iota(order.begin(), order.end(), std::size_t{0});
      if (block_.config.schedule == Schedule::kReverse) std::reverse(order.begin(), order.end());
      if (block_.config.schedule == Schedule::kShuffled) std::shuffle(order.begin(), order.end(), rng);
      for (std::size_t i : order) {
        Thread& t = block_.threads[i];
        if (t.state != State::kReady || !chosen[i / kWarpSize]) continue;
        resume(block_, t);
        if (t.error) std::rethrow_exception(t.error);
      }
      bool all_done = true, any_ready = false;
      for (const Thread& t : block_.threads) {
        all_done = all_done && t.state == State::kDone;
        any_ready = any_ready || t.state == State::kReady;
      }
      if (all_done) return;
      if (release_warps(rng) || any_ready) continue;
      if (release_barrier()) continue;
      throw HarnessError("deadlock: no thread of the block can proceed");
    }
  }

 private:
  Block& block_;
};

// Unwinds every suspended thread of a block after an error (BlockAborted), so that each fiber
// parks again, ready for the next launch.
void abandon(Block& block) {
  block.aborting = true;
  for (Thread& t : block.threads)
    if (t.state != State::kDone) resume(block, t);
}

void run_block(Block& block, std::mt19937_64& rng) {
  const LaunchConfig& c = block.config;
  const std::size_t n = std::size_t{c.block.x} * c.block.y * c.block.z;
  FiberPool::this_thread().ensure(n);
  block.threads.resize(n);
  // Fresh, poisoned dynamic shared memory of exactly the requested size.
  std::unique_ptr<unsigned char[]> shared(new unsigned char[std::max<std::size_t>(c.dynamic_shared_bytes, 1)]);
  std::memset(shared.get(), 0xFF, c.dynamic_shared_bytes);
  block.shared = c.dynamic_shared_bytes > 0 ? shared.get() : nullptr;
  for (std::size_t i = 0; i < n; ++i) {
    Thread& t = block.threads[i];
    const unsigned u = static_cast<unsigned>(i);
    t.linear = static_cast<int>(i);
    t.idx = {u % c.block.x, u / c.block.x % c.block.y, u / (c.block.x * c.block.y)};
    t.state = State::kReady;
    t.error = nullptr;
  }
  try {
    Scheduler(block).run_block(rng);
  } catch (...) {
    abandon(block);
    throw;
  }
}

}  // namespace

LaunchStats last_launch_stats() { return g_last_stats; }

namespace detail {

void run(const LaunchConfig& config, const std::function<void()>& body) {
  const dim3 g = config.grid, b = config.block;
  const std::uint64_t threads = std::uint64_t{b.x} * b.y * b.z;
  if (g.x == 0 || g.y == 0 || g.z == 0 || threads == 0)
    throw HarnessError("launch: empty grid or block (cudaErrorInvalidConfiguration)");
  if (threads > kMaxThreadsPerBlock || b.z > 64)
    throw HarnessError("launch: " + std::to_string(threads) +
                       " threads per block (at most 1024, block.z at most 64)");
  if (g.y > 65535 || g.z > 65535)
    throw HarnessError("launch: grid.y and grid.z are at most 65535");
  if (config.dynamic_shared_bytes > kMaxDynamicSharedBytes)
    throw HarnessError("launch: " + std::to_string(config.dynamic_shared_bytes) +
                       " bytes of dynamic shared memory (at most " +
                       std::to_string(kMaxDynamicSharedBytes) + " on sm_80)");
  if (g_block != nullptr) throw HarnessError("launch: nested launches are not supported");

  std::vector<uint3> blocks;
  blocks.reserve(std::size_t{g.x} * g.y * g.z);
  for (unsigned z = 0; z < g.z; ++z)
    for (unsigned y = 0; y < g.y; ++y)
      for (unsigned x = 0; x < g.x; ++x) blocks.push_back({x, y, z});
  std::mt19937_64 rng(config.seed);
  if (config.schedule == Schedule::kReverse) std::reverse(blocks.begin(), blocks.end());
  if (config.schedule == Schedule::kShuffled) std::shuffle(blocks.begin(), blocks.end(), rng);

  LaunchStats stats;
  Block block;
  block.config = config;
  block.stats = &stats;
  // Each fiber runs the body for its thread of the current block, then marks it done.
  const FiberPool::Work work{
      [&block, &body](std::size_t) {
        if (!block.aborting) body();
      },
      [&block](std::size_t i, std::exception_ptr error) {
        Thread& t = block.threads[i];
        if (error) {
          try {
            std::rethrow_exception(error);
          } catch (const BlockAborted&) {  // unwound after another thread's error
          } catch (...) {
            t.error = error;
          }
        }
        t.state = State::kDone;
      }};
  FiberPool::this_thread().set_work(&work);
  g_block = &block;
  try {
    for (const uint3& idx : blocks) {
      block.index = idx;
      block.aborting = false;
      run_block(block, rng);
      ++stats.blocks;
    }
  } catch (...) {
    g_block = nullptr;
    g_last_stats = stats;
    throw;
  }
  g_block = nullptr;
  g_last_stats = stats;
}

uint3 thread_idx() { return active_block("threadIdx").current->idx; }
uint3 block_idx() { return active_block("blockIdx").index; }
dim3 block_dim() { return active_block("blockDim").config.block; }
dim3 grid_dim() { return active_block("gridDim").config.grid; }

unsigned char* dynamic_shared() {
  Block& b = active_block("dynamic shared memory");
  if (b.shared == nullptr)
    throw HarnessError("dynamic shared memory used by a kernel launched with 0 bytes of it");
  return b.shared;
}

void sync_threads(std::source_location site) {
  Block& b = active_block("__syncthreads");
  Thread& t = *b.current;
  t.state = State::kAtBarrier;
  t.site = site;
  suspend(b, t);
}

std::uint64_t warp_collective(WarpOp op, unsigned mask, int arg, int width, std::uint64_t value,
                              std::source_location site) {
  Block& b = active_block(op_name(op));
  Thread& t = *b.current;
  const int lane = t.linear % kWarpSize;
  if (!(mask >> lane & 1u))
    throw HarnessError(b.describe(t) + ": " + op_name(op) + " at " + where(site) + " with mask " +
                       hex(mask) + " that does not include the calling lane " +
                       std::to_string(lane));
  if (width < 1 || width > kWarpSize || (width & (width - 1)) != 0)
    throw HarnessError(b.describe(t) + ": " + op_name(op) + " at " + where(site) + " with width " +
                       std::to_string(width) + " (a power of 2 up to 32)");
  if ((op == WarpOp::kShflUp || op == WarpOp::kShflDown || op == WarpOp::kShflXor) &&
      (arg < 0 || arg >= kWarpSize))
    throw HarnessError(b.describe(t) + ": " + op_name(op) + " at " + where(site) + " with offset " +
                       std::to_string(arg) + " (0..31)");
  t.state = State::kAtWarp;
  t.site = site;
  t.op = op;
  t.mask = mask;
  t.arg = arg;
  t.width = width;
  t.value = value;
  suspend(b, t);
  return t.result;
}

}  // namespace detail
}  // namespace amor::cuda_harness
