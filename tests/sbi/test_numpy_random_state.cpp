// NumpyRandomState against numbers printed by numpy 2.4 (numpy.random.RandomState).
#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "sbi/diagnostics/numpy_random_state.h"

namespace amor::sbi {
namespace {

TEST(NumpyRandomState, RawOutputsMatchMt19937Seeding) {
  // RandomState(1)._bit_generator.random_raw(1) and RandomState(2**32 - 1).random_raw(2).
  NumpyRandomState a(1);
  EXPECT_EQ(a.next_uint32(), 1791095845u);
  NumpyRandomState b(4294967295u);
  EXPECT_EQ(b.next_uint32(), 419326371u);
  EXPECT_EQ(b.next_uint32(), 479346978u);
}

TEST(NumpyRandomState, UniformAndRandomSample) {
  NumpyRandomState a(1);  // RandomState(1).uniform(-0.3, 0.3, 2)
  EXPECT_DOUBLE_EQ(a.uniform(-0.3, 0.3), -0.04978679717845558);
  EXPECT_DOUBLE_EQ(a.uniform(-0.3, 0.3), 0.13219469606529488);
  NumpyRandomState b(4294967295u);  // RandomState(2**32 - 1).random_sample()
  EXPECT_DOUBLE_EQ(b.random_sample(), 0.0976320289940138);
}

TEST(NumpyRandomState, ShuffleMatchesNumpy) {
  std::vector<int64_t> small(10);
  std::iota(small.begin(), small.end(), int64_t(0));
  NumpyRandomState a(1);  // a = np.arange(10); RandomState(1).shuffle(a)
  a.shuffle(small.data(), 10);
  EXPECT_EQ(small, (std::vector<int64_t>{2, 9, 6, 4, 0, 3, 1, 7, 8, 5}));
  // A second shuffle continues the same stream (sklearn shuffles every epoch this way):
  // sklearn.utils.shuffle(s, random_state=rs) twice gives [5 3 4 2 8 0 6 9 1 7].
  a.shuffle(small.data(), 10);
  EXPECT_EQ(small, (std::vector<int64_t>{5, 3, 4, 2, 8, 0, 6, 9, 1, 7}));

  // Large n exercises masks wider than 16 bits: RandomState(7).shuffle(np.arange(100000)).
  std::vector<int64_t> big(100000);
  std::iota(big.begin(), big.end(), int64_t(0));
  NumpyRandomState b(7);
  b.shuffle(big.data(), int64_t(big.size()));
  EXPECT_EQ((std::vector<int64_t>(big.begin(), big.begin() + 5)),
            (std::vector<int64_t>{33909, 92307, 89107, 9538, 31008}));
  EXPECT_EQ((std::vector<int64_t>(big.end() - 3, big.end())),
            (std::vector<int64_t>{49689, 58564, 61615}));
}

}  // namespace
}  // namespace amor::sbi
