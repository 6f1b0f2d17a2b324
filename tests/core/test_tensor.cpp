// Tensor basics (core/tensor.h): factories, geometry, data access, views sharing storage,
// zero-copy from_blob, broadcasting against hand-computed values, in-place writes and copy_
// through non-contiguous layouts, dtype casts, and the non-differentiable ops of core/ops.h.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "tests/support/gradcheck.h"

namespace amor {
namespace {

using testing::all_equal;
using testing::expect_close;

Tensor dvec(std::vector<double> v, Shape s) { return from_vector(v, s); }
Tensor dvec(std::vector<double> v) { return from_vector(v); }

// ---- factories --------------------------------------------------------------------------------

TEST(TensorFactories, ZerosOnesFull) {
  Tensor z = zeros(Shape{2, 3});
  EXPECT_EQ(z.dtype(), DType::F32);
  EXPECT_EQ(z.shape(), (Shape{2, 3}));
  EXPECT_EQ(z.numel(), 6);
  EXPECT_EQ(z.dim(), 2);
  EXPECT_TRUE(z.is_contiguous());
  EXPECT_FALSE(z.requires_grad());
  for (float v : z.to_vector<float>()) EXPECT_EQ(v, 0.0f);
  for (double v : ones(Shape{4}, {.dtype = DType::F64}).to_vector<double>()) EXPECT_EQ(v, 1.0);
  for (int64_t v : full(Shape{2, 2}, 7.0, {.dtype = DType::I64}).to_vector<int64_t>()) EXPECT_EQ(v, 7);
  for (uint8_t v : full(Shape{3}, 1.0, {.dtype = DType::Bool}).to_vector<uint8_t>()) EXPECT_EQ(v, 1);
  EXPECT_TRUE(ones(Shape{2}, {.requires_grad = true}).requires_grad());
  // Empty and 0-d.
  EXPECT_EQ(zeros(Shape{0, 3}).numel(), 0);
  Tensor s = scalar(2.5, DType::F64);
  EXPECT_EQ(s.dim(), 0);
  EXPECT_EQ(s.numel(), 1);
  EXPECT_EQ(s.item<double>(), 2.5);
}

TEST(TensorFactories, Like) {
  Tensor a = full(Shape{2, 3}, 4.0, {.dtype = DType::F64});
  Tensor t = a.t();
  for (const Tensor& l : {zeros_like(t), ones_like(t), full_like(t, -2.0)}) {
    EXPECT_EQ(l.shape(), (Shape{3, 2}));
    EXPECT_EQ(l.dtype(), DType::F64);
    EXPECT_TRUE(l.is_contiguous());
    EXPECT_FALSE(l.requires_grad());
  }
  EXPECT_EQ(full_like(t, -2.0).to_vector<double>()[5], -2.0);
}

TEST(TensorFactories, Arange) {
  EXPECT_TRUE(all_equal(arange(0.0, 5.0, 1.0), from_vector<float>({0, 1, 2, 3, 4})));
  EXPECT_TRUE(all_equal(arange(1.0, 2.0, 0.25, {.dtype = DType::F64}), dvec({1, 1.25, 1.5, 1.75})));
  EXPECT_TRUE(all_equal(arange(5.0, 0.0, -2.0, {.dtype = DType::F64}), dvec({5, 3, 1})));
  EXPECT_EQ(arange(3.0, 3.0, 1.0).numel(), 0);
  EXPECT_EQ(arange(3.0, 1.0, 1.0).numel(), 0);
  Tensor i = arange(4);
  EXPECT_EQ(i.dtype(), DType::I64);
  EXPECT_EQ(i.to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2, 3}));
}

TEST(TensorFactories, Linspace) {
  Tensor l = linspace(-1.0, 1.0, 5, {.dtype = DType::F64});
  EXPECT_TRUE(all_equal(l, dvec({-1, -0.5, 0, 0.5, 1})));
  Tensor odd = linspace(0.0, 0.3, 4, {.dtype = DType::F64});
  EXPECT_EQ(odd.to_vector<double>().back(), 0.3);  // the end point is exact
  EXPECT_TRUE(all_equal(linspace(2.0, 3.0, 1, {.dtype = DType::F64}), dvec({2})));
  EXPECT_EQ(linspace(2.0, 3.0, 0).numel(), 0);
}

TEST(TensorFactories, Eye) {
  EXPECT_TRUE(all_equal(eye(3, {.dtype = DType::F64}), dvec({1, 0, 0, 0, 1, 0, 0, 0, 1}, Shape{3, 3})));
  EXPECT_EQ(eye(0).shape(), (Shape{0, 0}));
}

TEST(TensorFactories, FromVector) {
  Tensor f = from_vector<float>({1.5f, 2.5f}, Shape{2, 1});
  EXPECT_EQ(f.dtype(), DType::F32);
  EXPECT_EQ(f.shape(), (Shape{2, 1}));
  EXPECT_EQ(from_vector<double>({1, 2, 3}).shape(), (Shape{3}));
  EXPECT_EQ(from_vector<int64_t>({-4, 5}).to_vector<int64_t>(), (std::vector<int64_t>{-4, 5}));
  Tensor b = from_vector<bool>({true, false, true});
  EXPECT_EQ(b.dtype(), DType::Bool);
  EXPECT_EQ(b.to_vector<uint8_t>(), (std::vector<uint8_t>{1, 0, 1}));
  EXPECT_THROW(from_vector<double>({1, 2, 3}, Shape{2, 2}), ShapeError);
}

TEST(TensorFactories, FromBlobCopyCopies) {
  std::vector<double> buf = {1, 2, 3, 4, 5, 6};
  Tensor t = from_blob_copy(buf.data(), Shape{2, 3}, DType::F64);
  buf[0] = 100;
  EXPECT_EQ(t.to_vector<double>()[0], 1.0);
  EXPECT_TRUE(t.storage()->owns());
}

TEST(TensorFactories, FromBlobIsZeroCopy) {
  std::vector<float> buf = {1, 2, 3, 4, 5, 6};
  Tensor t = from_blob(buf.data(), Shape{2, 3}, DType::F32);
  EXPECT_FALSE(t.storage()->owns());
  EXPECT_EQ(t.data<float>(), buf.data());
  buf[4] = 50;  // the caller's writes show through
  EXPECT_EQ(t.to_vector<float>()[4], 50.0f);
  t.select(0, 0).fill_(-1.0);  // and the tensor's writes land in the caller's buffer
  EXPECT_EQ(buf[0], -1.0f);
  EXPECT_EQ(buf[2], -1.0f);
  EXPECT_EQ(buf[3], 4.0f);
  // Ops on it read the buffer and allocate their own outputs.
  Tensor y = t * 2.0;
  EXPECT_NE(y.data<float>(), buf.data());
  EXPECT_EQ(y.to_vector<float>()[4], 100.0f);
  {
    Tensor v = t.reshape(Shape{3, 2});
    EXPECT_EQ(v.data<float>(), buf.data());
  }
  // The tensor never frees the buffer (std::vector does, after the tensor is gone).
  t = Tensor();
  EXPECT_EQ(buf[5], 6.0f);
}

// ---- geometry and data access -----------------------------------------------------------------

TEST(TensorGeometry, SizesStridesAndStr) {
  Tensor x = zeros(Shape{2, 3, 4}, {.dtype = DType::F64});
  EXPECT_EQ(x.size(0), 2);
  EXPECT_EQ(x.size(-1), 4);
  EXPECT_EQ(x.stride(0), 12);
  EXPECT_EQ(x.stride(-1), 1);
  EXPECT_EQ(x.strides(), (Strides{12, 4, 1}));
  EXPECT_EQ(x.offset(), 0);
  EXPECT_EQ(x.str(), "Tensor(float64, [2, 3, 4], cpu)");
  EXPECT_EQ(x.device(), Device::cpu());
  std::ostringstream os;
  os << from_vector<double>({1, 2});
  EXPECT_NE(os.str().find("{1, 2}"), std::string::npos) << os.str();
  EXPECT_EQ(Tensor().str(), "Tensor(undefined)");
}

TEST(TensorGeometry, Contiguity) {
  Tensor x = zeros(Shape{3, 4});
  EXPECT_TRUE(x.is_contiguous());
  EXPECT_FALSE(x.t().is_contiguous());
  EXPECT_TRUE(x.slice(0, 1, 3).is_contiguous());
  EXPECT_FALSE(x.slice(1, 1, 3).is_contiguous());
  EXPECT_TRUE(x.unsqueeze(0).is_contiguous());
  EXPECT_TRUE(zeros(Shape{1, 4}).t().is_contiguous());  // size-1 axes do not count
}

TEST(TensorGeometry, ItemAndToVector) {
  Tensor x = from_vector<double>({1.5, -2.5, 3, 4}, Shape{2, 2});
  EXPECT_EQ(x.select(0, 1).select(0, 0).item<double>(), 3.0);
  EXPECT_EQ(x.select(0, 0).select(0, 1).item<float>(), -2.5f);
  EXPECT_EQ(x.t().to_vector<double>(), (std::vector<double>{1.5, 3, -2.5, 4}));  // logical order
  EXPECT_EQ(x.to_vector<int64_t>(), (std::vector<int64_t>{1, -2, 3, 4}));
  EXPECT_TRUE(from_vector<bool>({true}).item<bool>());
  EXPECT_THROW(x.item<double>(), ShapeError);
  EXPECT_THROW(x.data<float>(), DTypeError);
}

// ---- views share storage ----------------------------------------------------------------------

TEST(TensorViews, ShareStorageAndSeeWrites) {
  Tensor base = arange(0.0, 24.0, 1.0, {.dtype = DType::F64}).reshape(Shape{2, 3, 4});
  const std::vector<Tensor> views = {
      base.reshape(Shape{6, 4}), base.view(Shape{-1}),     base.flatten(1),
      base.permute(Shape{2, 0, 1}), base.transpose(0, 1), base.select(1, 2).t(),
      base.slice(2, 1, 4, 2),   base.narrow(1, 1, 2),     base.select(0, 1),
      base.unsqueeze(1),        base.select(1, 0).unsqueeze(0).squeeze(0), base.squeeze(),
      base.slice(0, 0, 1).expand(Shape{5, 3, 4}), base.contiguous(), base.to(DType::F64),
  };
  for (const Tensor& v : views) EXPECT_EQ(v.storage().get(), base.storage().get()) << v.shape();
  // A write through a strided view shows in the base, and vice versa.
  base.slice(2, 1, 4, 2).select(0, 1).fill_(-1.0);  // base[1, :, 1] and base[1, :, 3]
  std::vector<double> b = base.to_vector<double>();
  for (int64_t j = 0; j < 3; ++j) {
    EXPECT_EQ(b[size_t(12 + 4 * j + 1)], -1.0);
    EXPECT_EQ(b[size_t(12 + 4 * j + 3)], -1.0);
    EXPECT_EQ(b[size_t(12 + 4 * j + 2)], double(12 + 4 * j + 2));
  }
  base.select(0, 0).select(0, 0).fill_(9.0);
  EXPECT_EQ(base.permute(Shape{2, 0, 1}).select(0, 3).select(0, 0).select(0, 0).item<double>(), 9.0);
}

TEST(TensorViews, CopiesWhenTheyMust) {
  Tensor base = arange(0.0, 12.0, 1.0, {.dtype = DType::F64}).reshape(Shape{3, 4});
  Tensor r = base.t().reshape(Shape{12});  // a transposed tensor cannot be flattened in place
  EXPECT_NE(r.storage().get(), base.storage().get());
  EXPECT_EQ(r.to_vector<double>(), (std::vector<double>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}));
  EXPECT_THROW(base.t().view(Shape{12}), ShapeError);
  Tensor c = base.t().contiguous();
  EXPECT_NE(c.storage().get(), base.storage().get());
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_EQ(c.to_vector<double>(), r.to_vector<double>());
  Tensor k = base.clone();
  EXPECT_NE(k.storage().get(), base.storage().get());
  EXPECT_TRUE(all_equal(k, base));
}

TEST(TensorViews, ShapesOfViews) {
  Tensor x = zeros(Shape{2, 3, 4});
  EXPECT_EQ(x.reshape(Shape{4, -1}).shape(), (Shape{4, 6}));
  EXPECT_EQ(x.flatten().shape(), (Shape{24}));
  EXPECT_EQ(x.flatten(0, 1).shape(), (Shape{6, 4}));
  EXPECT_EQ(scalar(1.0).flatten().shape(), (Shape{1}));
  EXPECT_EQ(x.permute(Shape{2, 0, 1}).shape(), (Shape{4, 2, 3}));
  EXPECT_EQ(x.permute(Shape{2, 0, 1}).strides(), (Strides{1, 12, 4}));
  EXPECT_EQ(x.slice(2, 0, 4, 3).shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(x.slice(2, 0, 4, 3).strides(), (Strides{12, 4, 3}));
  EXPECT_EQ(x.slice(1, 1, 3).offset(), 4);
  EXPECT_EQ(x.select(-1, 2).shape(), (Shape{2, 3}));
  EXPECT_EQ(x.select(-1, 2).offset(), 2);
  EXPECT_EQ(x.unsqueeze(3).shape(), (Shape{2, 3, 4, 1}));
  EXPECT_EQ(x.unsqueeze(-1).shape(), (Shape{2, 3, 4, 1}));
  EXPECT_EQ(x.unsqueeze(0).squeeze(0).shape(), x.shape());
  EXPECT_EQ(zeros(Shape{1, 3, 1}).squeeze().shape(), (Shape{3}));
  EXPECT_EQ(zeros(Shape{3, 1}).expand(Shape{2, 3, 5}).strides(), (Strides{0, 1, 0}));
}

// ---- broadcasting against hand-computed values ----------------------------------------------

TEST(TensorBroadcast, BinaryOps) {
  Tensor col = dvec({1, 2, 3}, Shape{3, 1});
  Tensor row = dvec({10, 20}, Shape{2});
  EXPECT_TRUE(all_equal(col + row, dvec({11, 21, 12, 22, 13, 23}, Shape{3, 2})));
  EXPECT_TRUE(all_equal(col - row, dvec({-9, -19, -8, -18, -7, -17}, Shape{3, 2})));
  EXPECT_TRUE(all_equal(col * row, dvec({10, 20, 20, 40, 30, 60}, Shape{3, 2})));
  EXPECT_TRUE(all_equal(row / col, dvec({10, 20, 5, 10, 10.0 / 3, 20.0 / 3}, Shape{3, 2})));
  EXPECT_TRUE(all_equal(pow(col, row.select(0, 0) / 10.0 + 1.0), dvec({1, 4, 9}, Shape{3, 1})));
  EXPECT_TRUE(all_equal(maximum(col, dvec({2})), dvec({2, 2, 3}, Shape{3, 1})));
  EXPECT_TRUE(all_equal(minimum(col, dvec({2})), dvec({1, 2, 2}, Shape{3, 1})));
  // [2, 1, 3] with [4, 1]: [2, 4, 3], out[i][j][k] = a[i][0][k] * b[j][0].
  Tensor a = arange(0.0, 6.0, 1.0, {.dtype = DType::F64}).reshape(Shape{2, 1, 3});
  Tensor b = dvec({1, 10, 100, 1000}, Shape{4, 1});
  Tensor c = a * b;
  ASSERT_EQ(c.shape(), (Shape{2, 4, 3}));
  std::vector<double> cv = c.to_vector<double>();
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 4; ++j)
      for (int k = 0; k < 3; ++k)
        EXPECT_EQ(cv[size_t(i * 12 + j * 3 + k)], double(i * 3 + k) * std::pow(10.0, j));
  // Scalars (0-d) and C++ doubles broadcast everywhere.
  EXPECT_TRUE(all_equal(scalar(2.0, DType::F64) * col, dvec({2, 4, 6}, Shape{3, 1})));
  EXPECT_TRUE(all_equal(1.0 - col, dvec({0, -1, -2}, Shape{3, 1})));
  EXPECT_TRUE(all_equal(6.0 / col, dvec({6, 3, 2}, Shape{3, 1})));
  // Results keep float32.
  EXPECT_EQ((ones(Shape{2}) * 3.0).dtype(), DType::F32);
}

TEST(TensorBroadcast, WhereAndComparisons) {
  Tensor x = dvec({1, 5, 3});
  Tensor y = dvec({2, 5, 1});
  EXPECT_EQ(lt(x, y).to_vector<uint8_t>(), (std::vector<uint8_t>{1, 0, 0}));
  EXPECT_EQ(le(x, y).to_vector<uint8_t>(), (std::vector<uint8_t>{1, 1, 0}));
  EXPECT_EQ(gt(x, y).to_vector<uint8_t>(), (std::vector<uint8_t>{0, 0, 1}));
  EXPECT_EQ(ge(x, y).to_vector<uint8_t>(), (std::vector<uint8_t>{0, 1, 1}));
  EXPECT_EQ(eq(x, y).to_vector<uint8_t>(), (std::vector<uint8_t>{0, 1, 0}));
  EXPECT_EQ(ne(x, y).to_vector<uint8_t>(), (std::vector<uint8_t>{1, 0, 1}));
  EXPECT_EQ(gt(x, 2.0).to_vector<uint8_t>(), (std::vector<uint8_t>{0, 1, 1}));
  EXPECT_EQ(lt(x, 2.0).dtype(), DType::Bool);
  Tensor m = gt(x, 2.0);
  EXPECT_EQ(logical_not(m).to_vector<uint8_t>(), (std::vector<uint8_t>{1, 0, 0}));
  EXPECT_EQ(logical_and(m, lt(x, 4.0)).to_vector<uint8_t>(), (std::vector<uint8_t>{0, 0, 1}));
  EXPECT_EQ(logical_or(m, lt(x, 2.0)).to_vector<uint8_t>(), (std::vector<uint8_t>{1, 1, 1}));
  EXPECT_TRUE(any(m));
  EXPECT_FALSE(all(m));
  EXPECT_TRUE(all(logical_or(m, logical_not(m))));
  // where with a broadcast [2, 1] mask over [3] operands -> [2, 3].
  Tensor mask = from_vector<bool>({true, false}, Shape{2, 1});
  EXPECT_TRUE(all_equal(where(mask, x, y), dvec({1, 5, 3, 2, 5, 1}, Shape{2, 3})));
  EXPECT_TRUE(all_equal(where(mask, x, -1.0), dvec({1, 5, 3, -1, -1, -1}, Shape{2, 3})));
  // Comparisons on int64.
  EXPECT_EQ(eq(arange(3), from_vector<int64_t>({0, 2, 2})).to_vector<uint8_t>(), (std::vector<uint8_t>{1, 0, 1}));
}

TEST(TensorBroadcast, FiniteChecks) {
  Tensor x = dvec({1, NAN, INFINITY, -2});
  EXPECT_EQ(isfinite(x).to_vector<uint8_t>(), (std::vector<uint8_t>{1, 0, 0, 1}));
  EXPECT_FALSE(all_finite(x));
  EXPECT_TRUE(all_finite(dvec({1, 2})));
  EXPECT_TRUE(all_finite(x.narrow(0, 3, 1)));
  EXPECT_FALSE(all_finite(from_vector<float>({1, 2, NAN}).slice(0, 0, 3, 2)));
  EXPECT_TRUE(all_finite(arange(4)));
  EXPECT_TRUE(all(isfinite(arange(4))));
}

TEST(TensorOps, Searchsorted) {
  Tensor sorted = dvec({1, 3, 5, 7});
  Tensor values = dvec({0, 1, 2, 5, 8});
  EXPECT_EQ(searchsorted(sorted, values).to_vector<int64_t>(), (std::vector<int64_t>{0, 0, 1, 2, 4}));
  EXPECT_EQ(searchsorted(sorted, values, true).to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 1, 3, 4}));
  Tensor s2 = dvec({0, 1, 10, 20}, Shape{2, 2});
  Tensor v2 = dvec({0.5, 2, 15, 5}, Shape{2, 2});
  EXPECT_EQ(searchsorted(s2, v2).to_vector<int64_t>(), (std::vector<int64_t>{1, 2, 1, 0}));
}

// ---- in-place writes and copy_ ------------------------------------------------------------------

TEST(TensorInPlace, FillAddMulBumpVersions) {
  Tensor x = zeros(Shape{2, 3}, {.dtype = DType::F64});
  const uint64_t v0 = x.storage()->version();
  x.fill_(2.0);
  EXPECT_GT(x.storage()->version(), v0);
  x.add_(dvec({1, 2, 3}), 2.0);  // broadcast [3] into [2, 3]
  EXPECT_TRUE(all_equal(x, dvec({4, 6, 8, 4, 6, 8}, Shape{2, 3})));
  x.mul_(0.5);
  EXPECT_TRUE(all_equal(x, dvec({2, 3, 4, 2, 3, 4}, Shape{2, 3})));
  x.mul_(dvec({1, 10}, Shape{2, 1}));
  EXPECT_TRUE(all_equal(x, dvec({2, 3, 4, 20, 30, 40}, Shape{2, 3})));
  x.t().select(0, 1).zero_();  // column 1 through a transposed view
  EXPECT_TRUE(all_equal(x, dvec({2, 0, 4, 20, 0, 40}, Shape{2, 3})));
  EXPECT_THROW(x.add_(dvec({1, 2})), ShapeError);
  EXPECT_THROW(x.add_(zeros(Shape{3})), DTypeError);
}

TEST(TensorInPlace, CopyThroughNonContiguousLayouts) {
  Tensor src = arange(0.0, 12.0, 1.0, {.dtype = DType::F64}).reshape(Shape{3, 4});
  // Into a transposed destination.
  Tensor dst = zeros(Shape{4, 3}, {.dtype = DType::F64});
  dst.t().copy_(src);
  EXPECT_TRUE(all_equal(dst, src.t()));
  EXPECT_TRUE(all_equal(dst.t(), src));
  // From a non-contiguous source into a strided slice of a bigger buffer.
  Tensor big = full(Shape{6, 8}, -1.0, {.dtype = DType::F64});
  big.slice(0, 0, 6, 2).slice(1, 1, 8, 2).copy_(src.t().t());
  std::vector<double> b = big.to_vector<double>();
  for (int64_t i = 0; i < 6; ++i)
    for (int64_t j = 0; j < 8; ++j) {
      const double want = (i % 2 == 0 && j % 2 == 1) ? double((i / 2) * 4 + j / 2) : -1.0;
      EXPECT_EQ(b[size_t(i * 8 + j)], want) << i << "," << j;
    }
  // From a make_noncontiguous source (reversed strides, stepped).
  Tensor nc = testing::make_noncontiguous(src);
  Tensor out = zeros(Shape{3, 4}, {.dtype = DType::F64});
  out.copy_(nc);
  EXPECT_TRUE(all_equal(out, src));
  // A broadcasting source.
  Tensor rows = zeros(Shape{3, 4}, {.dtype = DType::F64});
  rows.copy_(dvec({1, 2, 3, 4}));
  EXPECT_TRUE(all_equal(rows.select(0, 2), dvec({1, 2, 3, 4})));
  rows.copy_(dvec({7}, Shape{1, 1}));
  EXPECT_TRUE(all_equal(rows, full(Shape{3, 4}, 7.0, {.dtype = DType::F64})));
  EXPECT_THROW(rows.copy_(dvec({1, 2, 3})), ShapeError);
  EXPECT_THROW(rows.copy_(zeros(Shape{2, 3, 4}, {.dtype = DType::F64})), ShapeError);
}

TEST(TensorInPlace, CopyConvertsDtypes) {
  Tensor f = zeros(Shape{3});
  f.copy_(dvec({1.5, -2.25, 3}));
  EXPECT_EQ(f.to_vector<float>(), (std::vector<float>{1.5f, -2.25f, 3.0f}));
  Tensor d = zeros(Shape{3}, {.dtype = DType::F64});
  d.copy_(from_vector<int64_t>({4, 5, 6}));
  EXPECT_TRUE(all_equal(d, dvec({4, 5, 6})));
}

TEST(TensorCasts, ToDtype) {
  Tensor d = dvec({1.25, -2.5, 3.75});
  Tensor f = d.to(DType::F32);
  EXPECT_EQ(f.dtype(), DType::F32);
  EXPECT_EQ(f.to_vector<float>(), (std::vector<float>{1.25f, -2.5f, 3.75f}));
  EXPECT_EQ(f.to(DType::F64).to_vector<double>(), d.to_vector<double>());
  EXPECT_EQ(d.to(DType::I64).to_vector<int64_t>(), (std::vector<int64_t>{1, -2, 3}));  // truncation
  EXPECT_EQ(arange(3).to(DType::F64).to_vector<double>(), (std::vector<double>{0, 1, 2}));
  EXPECT_EQ(d.to(DType::F64).impl(), d.impl());  // same dtype: no copy
  EXPECT_TRUE(all_equal(d.reshape(Shape{3, 1}).t().to(DType::F32), f.reshape(Shape{1, 3})));
  EXPECT_EQ(d.to(Device::cpu()).impl(), d.impl());
}

TEST(TensorOps, EmptyTensors) {
  Tensor e = zeros(Shape{0, 3}, {.dtype = DType::F64});
  EXPECT_TRUE(zeros(Shape{2, 0}).is_contiguous());  // a fresh tensor is contiguous, even if empty
  EXPECT_EQ(zeros(Shape{2, 0, 3}).reshape(Shape{0, 6}).shape(), (Shape{0, 6}));
  EXPECT_EQ(zeros(Shape{2, 0}).view(Shape{-1}).shape(), (Shape{0}));
  EXPECT_EQ((e + 1.0).shape(), (Shape{0, 3}));
  EXPECT_EQ(exp(e).shape(), (Shape{0, 3}));
  EXPECT_TRUE(all_equal(sum(e, {0}), zeros(Shape{3}, {.dtype = DType::F64})));
  EXPECT_EQ(sum(e).item<double>(), 0.0);
  EXPECT_EQ(sum(e, {1}).shape(), (Shape{0}));
  EXPECT_EQ(matmul(zeros(Shape{2, 0}, {.dtype = DType::F64}), zeros(Shape{0, 3}, {.dtype = DType::F64})).to_vector<double>(),
            std::vector<double>(6, 0.0));
  EXPECT_EQ(concat({e, ones(Shape{2, 3}, {.dtype = DType::F64})}, 0).shape(), (Shape{2, 3}));
  EXPECT_THROW(mean(e, {0}), ShapeError);
}

}  // namespace
}  // namespace amor
