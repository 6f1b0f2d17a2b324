// Gradient checks of joining and indexing (core/ops/index.cpp): concat stack split chunk
// index_select gather scatter_add (both inputs) masked_fill, with duplicate indices (their
// gradients accumulate) and non-contiguous inputs.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/ops.h"
#include "tests/support/gradcheck.h"

namespace amor {
namespace {

using testing::gradcheck;
using testing::make_noncontiguous;
using testing::MultiFn;

TEST(GradcheckJoin, Concat) {
  for (int64_t axis : {0, 1, 2, -1}) {
    SCOPED_TRACE("axis " + std::to_string(axis));
    Shape sa{2, 3, 4}, sb{2, 3, 4}, sc{2, 3, 4};
    const int a = axis < 0 ? 2 : int(axis);
    sa[a] = 1;
    sc[a] = 2;
    Tensor x = testing::randn_f64(sa, 1), y = testing::randn_f64(sb, 2), z = testing::randn_f64(sc, 3);
    auto fn = [axis](const std::vector<Tensor>& v) { return concat(v, axis); };
    EXPECT_TRUE(gradcheck(fn, {x, y, z}));
    EXPECT_TRUE(gradcheck(fn, {make_noncontiguous(x), make_noncontiguous(y), z}));
    EXPECT_TRUE(gradcheck(fn, {x, y, z}, {.wrt = {false, true, false}}));
  }
  // A single tensor, and the same tensor twice (its gradient is the sum of both slices).
  Tensor x = testing::randn_f64(Shape{3, 2}, 4);
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return concat({v[0]}, 0); }, {x}));
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return concat({v[0], v[0]}, 1); }, {x}));
}

TEST(GradcheckJoin, Stack) {
  for (int64_t axis : {0, 1, 2, -1}) {
    SCOPED_TRACE("axis " + std::to_string(axis));
    Tensor x = testing::randn_f64(Shape{2, 3}, 10), y = testing::randn_f64(Shape{2, 3}, 11);
    auto fn = [axis](const std::vector<Tensor>& v) { return stack(v, axis); };
    EXPECT_TRUE(gradcheck(fn, {x, y}));
    EXPECT_TRUE(gradcheck(fn, {make_noncontiguous(x), y}));
  }
  EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return stack(v, 0); },
                        {testing::randn_f64(Shape{}, 12), testing::randn_f64(Shape{}, 13)}));
}

TEST(GradcheckJoin, Split) {
  Tensor x = testing::randn_f64(Shape{3, 7}, 20);
  for (const Tensor& in : {x, make_noncontiguous(x)}) {
    EXPECT_TRUE(gradcheck(MultiFn([](const std::vector<Tensor>& v) { return split(v[0], {2, 0, 5}, 1); }), {in}));
    EXPECT_TRUE(gradcheck(MultiFn([](const std::vector<Tensor>& v) { return split(v[0], {1, 2}, 0); }), {in}));
    // Only some pieces used downstream: the unused ones contribute nothing.
    EXPECT_TRUE(gradcheck([](const std::vector<Tensor>& v) { return exp(split(v[0], {3, 4}, -1)[1]); }, {in}));
  }
}

TEST(GradcheckJoin, Chunk) {
  Tensor x = testing::randn_f64(Shape{7, 2, 3}, 30);
  for (int64_t chunks : {1, 2, 3, 7}) {
    SCOPED_TRACE("chunks " + std::to_string(chunks));
    auto fn = MultiFn([chunks](const std::vector<Tensor>& v) { return chunk(v[0], chunks, 0); });
    EXPECT_TRUE(gradcheck(fn, {x}));
    EXPECT_TRUE(gradcheck(fn, {make_noncontiguous(x)}));
  }
  EXPECT_TRUE(gradcheck(MultiFn([](const std::vector<Tensor>& v) { return chunk(v[0], 2, -1); }), {x}));
  // Uneven chunk sizes: ceil(7 / 3) = 3 -> 3, 3, 1.
  std::vector<Tensor> parts = chunk(x, 3, 0);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[2].shape(), (Shape{1, 2, 3}));
}

TEST(GradcheckIndex, IndexSelect) {
  Tensor x = testing::randn_f64(Shape{4, 5, 3}, 40);
  const Tensor idx0 = from_vector<int64_t>({3, 0, 3, 1, 3});  // duplicates accumulate
  const Tensor idx1 = from_vector<int64_t>({4, 4, 2});
  const Tensor idx2 = from_vector<int64_t>({0, 2});
  for (const Tensor& in : {x, make_noncontiguous(x)}) {
    EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& v) { return index_select(v[0], 0, idx0); }, {in}));
    EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& v) { return index_select(v[0], 1, idx1); }, {in}));
    EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& v) { return index_select(v[0], -1, idx2); }, {in}));
  }
  // A non-contiguous index tensor and an empty one.
  Tensor nc_idx = make_noncontiguous(idx0);
  EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>& v) { return index_select(v[0], 0, nc_idx); }, {x}));
  testing::expect_close(index_select(x, 0, nc_idx), index_select(x, 0, idx0));
  Tensor empty_idx = from_vector<int64_t>(std::vector<int64_t>{}, Shape{0});
  EXPECT_EQ(index_select(x, 1, empty_idx).shape(), (Shape{4, 0, 3}));
}

TEST(GradcheckIndex, Gather) {
  Tensor x = testing::randn_f64(Shape{3, 4, 2}, 50);
  for (int64_t axis : {0, 1, 2}) {
    SCOPED_TRACE("axis " + std::to_string(axis));
    Shape is = x.shape();
    is[int(axis)] = 5;  // more picks than the axis has: duplicates guaranteed
    Tensor idx = testing::random_index(is, 51 + uint64_t(axis), 0, x.size(axis));
    auto fn = [axis, idx](const std::vector<Tensor>& v) { return gather(v[0], axis, idx); };
    EXPECT_TRUE(gradcheck(fn, {x}));
    EXPECT_TRUE(gradcheck(fn, {make_noncontiguous(x)}));
  }
  // Values: out[i][j] = x[i][idx[i][j]].
  Tensor m = from_vector<double>({1, 2, 3, 4, 5, 6}, Shape{2, 3});
  testing::expect_close(gather(m, 1, from_vector<int64_t>({2, 2, 0, 1}, Shape{2, 2})),
                        from_vector<double>({3, 3, 4, 5}, Shape{2, 2}));
}

TEST(GradcheckIndex, ScatterAdd) {
  Tensor a = testing::randn_f64(Shape{3, 4, 2}, 60);
  for (int64_t axis : {0, 1, 2}) {
    SCOPED_TRACE("axis " + std::to_string(axis));
    Shape is = a.shape();
    is[int(axis)] = 6;
    Tensor idx = testing::random_index(is, 61 + uint64_t(axis), 0, a.size(axis));
    Tensor src = testing::randn_f64(is, 70 + uint64_t(axis));
    auto fn = [axis, idx](const std::vector<Tensor>& v) { return scatter_add(v[0], axis, idx, v[1]); };
    EXPECT_TRUE(gradcheck(fn, {a, src}));
    EXPECT_TRUE(gradcheck(fn, {make_noncontiguous(a), make_noncontiguous(src)}));
    EXPECT_TRUE(gradcheck(fn, {a, src}, {.wrt = {false, true}}));
    EXPECT_TRUE(gradcheck(fn, {a, src}, {.wrt = {true, false}}));
  }
  // Values: duplicates accumulate, the input is not modified.
  Tensor z = zeros(Shape{4}, {.dtype = DType::F64});
  Tensor out = scatter_add(z, 0, from_vector<int64_t>({1, 3, 1}), from_vector<double>({1, 2, 4}));
  testing::expect_close(out, from_vector<double>({0, 5, 0, 2}));
  testing::expect_close(z, zeros(Shape{4}, {.dtype = DType::F64}));
}

TEST(GradcheckIndex, MaskedFill) {
  Tensor x = testing::randn_f64(Shape{3, 4}, 80);
  for (const Shape& ms : {Shape{3, 4}, Shape{4}, Shape{3, 1}, Shape{}}) {
    SCOPED_TRACE("mask " + ms.str());
    Tensor mask = testing::random_mask(ms, 81);
    auto fn = [mask](const std::vector<Tensor>& v) { return masked_fill(v[0], mask, -7.5); };
    EXPECT_TRUE(gradcheck(fn, {x}));
    EXPECT_TRUE(gradcheck(fn, {make_noncontiguous(x)}));
  }
  Tensor m = from_vector<bool>({true, false, false, true}, Shape{4});
  testing::expect_close(masked_fill(from_vector<double>({1, 2, 3, 4}), m, 0.5),
                        from_vector<double>({0.5, 2, 3, 0.5}));
}

}  // namespace
}  // namespace amor
