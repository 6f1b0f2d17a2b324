// Every user mistake throws the right amor::Error subclass, and its message names the op
// (core/error.h: "a message naming the operation and the offending shapes/values").
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/random.h"
#ifdef AMOR_HAS_CUDA
#include "kernels/cuda/device.h"
#endif

namespace amor {
namespace {

// Runs `stmt`, expects it to throw exactly `Type` (or a subclass) whose what() contains `needle`.
#define EXPECT_AMOR_ERROR(stmt, Type, needle)                                                  \
  do {                                                                                          \
    try {                                                                                       \
      (void)(stmt);                                                                             \
      ADD_FAILURE() << #stmt " did not throw " #Type;                                           \
    } catch (const Type& e) {                                                                   \
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)                          \
          << #stmt ": message \"" << e.what() << "\" does not mention \"" << needle << "\"";   \
    } catch (const std::exception& e) {                                                         \
      ADD_FAILURE() << #stmt " threw the wrong type: " << e.what();                             \
    }                                                                                           \
  } while (0)

Tensor f64(const Shape& s) { return zeros(s, {.dtype = DType::F64}); }
Tensor idx(std::vector<int64_t> v) { return from_vector(v); }

TEST(Errors, Hierarchy) {
  static_assert(std::is_base_of_v<Error, ShapeError> && std::is_base_of_v<Error, DTypeError> &&
                std::is_base_of_v<Error, DeviceError> && std::is_base_of_v<Error, IndexError> &&
                std::is_base_of_v<Error, ValueError> && std::is_base_of_v<Error, AutogradError> &&
                std::is_base_of_v<std::runtime_error, Error>);
  EXPECT_THROW(add(f64({2}), f64({3})), Error);
  EXPECT_THROW(add(f64({2}), f64({3})), std::runtime_error);
}

TEST(Errors, ShapeMismatch) {
  EXPECT_AMOR_ERROR(add(f64({2, 3}), f64({4})), ShapeError, "add");
  EXPECT_AMOR_ERROR(sub(f64({2, 3}), f64({3, 2})), ShapeError, "sub");
  EXPECT_AMOR_ERROR(mul(f64({2}), f64({3})), ShapeError, "[2]");
  EXPECT_AMOR_ERROR(div(f64({5}), f64({2, 3})), ShapeError, "div");
  EXPECT_AMOR_ERROR(maximum(f64({5}), f64({4})), ShapeError, "maximum");
  EXPECT_AMOR_ERROR(where(from_vector<bool>({true, false}), f64({3}), f64({3})), ShapeError, "where");
  EXPECT_AMOR_ERROR(eq(f64({2}), f64({3})), ShapeError, "eq");
  EXPECT_AMOR_ERROR(matmul(f64({2, 3}), f64({4, 5})), ShapeError, "matmul");
  EXPECT_AMOR_ERROR(matmul(f64({3}), f64({4})), ShapeError, "matmul");
  EXPECT_AMOR_ERROR(matmul(f64({}), f64({4})), ShapeError, "matmul");
  EXPECT_AMOR_ERROR(matmul(f64({2, 2, 3}), f64({3, 3, 2})), ShapeError, "matmul");
  EXPECT_AMOR_ERROR(linear(f64({2, 3}), f64({4, 5})), ShapeError, "linear");
  EXPECT_AMOR_ERROR(linear(f64({2, 3}), f64({4, 3}), f64({5})), ShapeError, "linear");
  EXPECT_AMOR_ERROR(layer_norm(f64({2, 3}), f64({4}), Tensor()), ShapeError, "layer_norm");
  EXPECT_AMOR_ERROR(concat({f64({2, 3}), f64({3, 3})}, 1), ShapeError, "concat");
  EXPECT_AMOR_ERROR(concat({f64({2, 3}), f64({2, 3, 1})}, 0), ShapeError, "concat");
  EXPECT_AMOR_ERROR(concat({f64({})}, 0), ShapeError, "concat");
  EXPECT_AMOR_ERROR(stack({f64({2}), f64({3})}, 0), ShapeError, "stack");
  EXPECT_AMOR_ERROR(split(f64({5}), {2, 2}, 0), ShapeError, "split");
  EXPECT_AMOR_ERROR(gather(f64({3, 4}), 1, from_vector<int64_t>({0, 1})), ShapeError, "gather");
  EXPECT_AMOR_ERROR(gather(f64({3, 4}), 1, Tensor::empty(Shape{2, 2}, DType::I64).fill_(0)), ShapeError, "gather");
  EXPECT_AMOR_ERROR(scatter_add(f64({3}), 0, idx({0, 1}), f64({3})), ShapeError, "scatter_add");
  EXPECT_AMOR_ERROR(index_select(f64({3, 4}), 0, Tensor::empty(Shape{1, 2}, DType::I64).fill_(0)), ShapeError,
                    "index_select");
  EXPECT_AMOR_ERROR(masked_fill(f64({3}), from_vector<bool>({true, false, true, false}, Shape{2, 2}), 0.0),
                    ShapeError, "masked_fill");
  EXPECT_AMOR_ERROR(sum_to(f64({3, 4}), Shape{2, 4}), ShapeError, "sum_to");
  EXPECT_AMOR_ERROR(sum_to(f64({4}), Shape{2, 4}), ShapeError, "sum_to");
  EXPECT_AMOR_ERROR(var(f64({1, 3}), {0}), ShapeError, "var");
  EXPECT_AMOR_ERROR(mean(f64({0, 3}), {0}), ShapeError, "mean");
  EXPECT_AMOR_ERROR(max(f64({0, 3}), 0), ShapeError, "max");
  EXPECT_AMOR_ERROR(searchsorted(f64({2, 3}), f64({3, 2})), ShapeError, "searchsorted");
  EXPECT_AMOR_ERROR(attention(f64({1, 2, 1, 4}), f64({1, 3, 1, 4}), f64({1, 2, 1, 4})), ShapeError, "attention");
}

TEST(Errors, BadReshapeAndViews) {
  Tensor x = f64({2, 3});
  EXPECT_AMOR_ERROR(x.reshape(Shape{4, 2}), ShapeError, "reshape");
  EXPECT_AMOR_ERROR(x.reshape(Shape{-1, -1}), ShapeError, "reshape");
  EXPECT_AMOR_ERROR(x.reshape(Shape{-1, 4}), ShapeError, "reshape");
  EXPECT_AMOR_ERROR(x.reshape(Shape{-2, 3}), ShapeError, "reshape");
  EXPECT_AMOR_ERROR(x.view(Shape{5}), ShapeError, "view");
  EXPECT_AMOR_ERROR(x.t().view(Shape{6}), ShapeError, "contiguous");
  EXPECT_AMOR_ERROR(x.permute(Shape{0}), ShapeError, "permute");
  EXPECT_AMOR_ERROR(x.permute(Shape{0, 0}), ShapeError, "permute");
  EXPECT_AMOR_ERROR(x.expand(Shape{3, 3}), ShapeError, "expand");
  EXPECT_AMOR_ERROR(x.expand(Shape{3}), ShapeError, "expand");
  EXPECT_AMOR_ERROR(x.expand(Shape{-1, 2, 3}), ShapeError, "expand");
  EXPECT_AMOR_ERROR(f64({2, 3, 4}).t(), ShapeError, "t");
  EXPECT_AMOR_ERROR(x.slice(0, 0, 2, 0), ValueError, "slice");
  EXPECT_AMOR_ERROR(x.flatten(1, 0), IndexError, "flatten");
  EXPECT_AMOR_ERROR(f64({1, 1, 1, 1, 1, 1, 1, 1}).unsqueeze(0), ShapeError, "axes");
  EXPECT_AMOR_ERROR(Tensor::empty(Shape{2, -1}), ShapeError, "empty");
}

TEST(Errors, AxisOutOfRange) {
  Tensor x = f64({2, 3});
  EXPECT_AMOR_ERROR(x.size(2), IndexError, "size");
  EXPECT_AMOR_ERROR(sum(x, {2}), IndexError, "sum");
  EXPECT_AMOR_ERROR(sum(x, {0, -2}), IndexError, "sum");  // repeated axis
  EXPECT_AMOR_ERROR(mean(x, {-3}), IndexError, "mean");
  EXPECT_AMOR_ERROR(softmax(x, 2), IndexError, "softmax");
  EXPECT_AMOR_ERROR(log_softmax(x, -3), IndexError, "log_softmax");
  EXPECT_AMOR_ERROR(logsumexp(x, 5), IndexError, "logsumexp");
  EXPECT_AMOR_ERROR(cumsum(x, 2), IndexError, "cumsum");
  EXPECT_AMOR_ERROR(max(x, 2), IndexError, "max");
  EXPECT_AMOR_ERROR(x.transpose(0, 2), IndexError, "transpose");
  EXPECT_AMOR_ERROR(x.squeeze(3), IndexError, "squeeze");
  EXPECT_AMOR_ERROR(x.unsqueeze(4), IndexError, "unsqueeze");
  EXPECT_AMOR_ERROR(concat({x, x}, 2), IndexError, "concat");
  EXPECT_AMOR_ERROR(stack({x, x}, 4), IndexError, "stack");
  EXPECT_AMOR_ERROR(x.slice(2, 0, 1), IndexError, "slice");
}

TEST(Errors, IndexOutOfRange) {
  Tensor x = f64({3, 4});
  EXPECT_AMOR_ERROR(index_select(x, 0, idx({0, 3})), IndexError, "index_select");
  EXPECT_AMOR_ERROR(index_select(x, 1, idx({-1})), IndexError, "index_select");
  EXPECT_AMOR_ERROR(gather(x, 1, from_vector<int64_t>({0, 4, 0, 0, 0, 0}, Shape{3, 2})), IndexError, "gather");
  EXPECT_AMOR_ERROR(gather(x, 0, from_vector<int64_t>({0, 0, 0, -1}, Shape{1, 4})), IndexError, "gather");
  EXPECT_AMOR_ERROR(scatter_add(x, 0, from_vector<int64_t>({0, 0, 3, 0}, Shape{1, 4}), f64({1, 4})), IndexError,
                    "scatter_add");
  EXPECT_AMOR_ERROR(x.select(0, 3), IndexError, "select");
  EXPECT_AMOR_ERROR(x.select(1, -5), IndexError, "select");
  EXPECT_AMOR_ERROR(x.narrow(1, 2, 3), IndexError, "narrow");
  EXPECT_AMOR_ERROR(x.narrow(0, -1, 1), IndexError, "narrow");
  // The message gives the bad index and where it was.
  try {
    index_select(x, 0, idx({1, 7, 2}));
    ADD_FAILURE() << "no throw";
  } catch (const IndexError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("index 7"), std::string::npos) << msg;
    EXPECT_NE(msg.find("position 1"), std::string::npos) << msg;
  }
  // A failed scatter_add leaves its input alone.
  Tensor a = f64({3});
  EXPECT_THROW(scatter_add(a, 0, idx({5}), f64({1})), IndexError);
  EXPECT_EQ(a.to_vector<double>(), std::vector<double>(3, 0.0));
}

TEST(Errors, DTypeMismatch) {
  Tensor d = f64({3}), f = zeros(Shape{3});
  EXPECT_AMOR_ERROR(add(d, f), DTypeError, "add");
  EXPECT_AMOR_ERROR(mul(f, d), DTypeError, "float32");
  EXPECT_AMOR_ERROR(matmul(f64({2, 2}), zeros(Shape{2, 2})), DTypeError, "matmul");
  EXPECT_AMOR_ERROR(linear(f64({2, 2}), zeros(Shape{2, 2})), DTypeError, "linear");
  EXPECT_AMOR_ERROR(layer_norm(d, f, Tensor()), DTypeError, "layer_norm");
  EXPECT_AMOR_ERROR(concat({d, f}, 0), DTypeError, "concat");
  EXPECT_AMOR_ERROR(where(from_vector<bool>({true, false, true}), d, f), DTypeError, "where");
  EXPECT_AMOR_ERROR(where(d, d, d), DTypeError, "where");  // mask not bool
  EXPECT_AMOR_ERROR(masked_fill(d, d, 1.0), DTypeError, "mask");
  EXPECT_AMOR_ERROR(exp(arange(3)), DTypeError, "Exp");
  EXPECT_AMOR_ERROR(sum(arange(3)), DTypeError, "sum");
  EXPECT_AMOR_ERROR(softmax(arange(3), 0), DTypeError, "softmax");
  EXPECT_AMOR_ERROR(add(arange(3), arange(3)), DTypeError, "add");
  EXPECT_AMOR_ERROR(index_select(d, 0, from_vector<double>({0})), DTypeError, "index_select");
  EXPECT_AMOR_ERROR(gather(d, 0, from_vector<float>({0})), DTypeError, "gather");
  EXPECT_AMOR_ERROR(scatter_add(d, 0, idx({0}), zeros(Shape{1})), DTypeError, "scatter_add");
  EXPECT_AMOR_ERROR(logical_not(d), DTypeError, "logical_not");
  EXPECT_AMOR_ERROR(all(d), DTypeError, "all");
  EXPECT_AMOR_ERROR(d.data<float>(), DTypeError, "data");
  EXPECT_AMOR_ERROR(d.add_(f), DTypeError, "add_");
  EXPECT_AMOR_ERROR(linspace(0.0, 1.0, 3, {.dtype = DType::I64}), DTypeError, "linspace");
  Generator g(1);
  EXPECT_AMOR_ERROR(randn(Shape{2}, g, {.dtype = DType::I64}), DTypeError, "normal");
}

TEST(Errors, DeviceMismatch) {
  // Without a CUDA device (or without the CUDA backend) every route to a CUDA tensor is a
  // DeviceError (tests/core/test_device_errors.cpp checks the messages).
#ifdef AMOR_HAS_CUDA
  if (cuda_device_count() > 0) GTEST_SKIP() << "this machine has a CUDA device";
#endif
  EXPECT_AMOR_ERROR(f64({2}).to(Device::cuda()), DeviceError, "to");
  EXPECT_AMOR_ERROR(zeros(Shape{2}, {.device = Device::cuda()}), DeviceError, "cuda");
  Generator g(1);
  EXPECT_AMOR_ERROR(rand(Shape{2}, g, {.device = Device::cuda()}), DeviceError, "uniform");
}

TEST(Errors, Autograd) {
  Tensor plain = f64({2});
  EXPECT_AMOR_ERROR(plain.grad(), AutogradError, "does not require grad");
  Tensor x = f64({2}).requires_grad_();
  Tensor y = x * 2.0;
  EXPECT_AMOR_ERROR(y.grad(), AutogradError, "not a leaf");
  EXPECT_AMOR_ERROR(y.requires_grad_(), AutogradError, "requires_grad_");
  EXPECT_AMOR_ERROR(arange(2).requires_grad_(), AutogradError, "requires_grad_");
  EXPECT_AMOR_ERROR(y.backward(), AutogradError, "backward");
  EXPECT_AMOR_ERROR(plain.sum().backward(), AutogradError, "does not require grad");
  EXPECT_AMOR_ERROR(x.mul_(3.0), AutogradError, "mul_");
  EXPECT_AMOR_ERROR(x.copy_(plain), AutogradError, "copy_");
  EXPECT_AMOR_ERROR(grad({sum(y)}, {plain}), AutogradError, "grad");
  EXPECT_AMOR_ERROR(grad({sum(x * 2.0)}, {x, f64({1}).requires_grad_()}), AutogradError, "allow_unused");
  Tensor z = sum(exp(x));
  z.backward();
  EXPECT_AMOR_ERROR(z.backward(), AutogradError, "retain_graph");
  EXPECT_AMOR_ERROR(x.set_grad(f64({3})), ShapeError, "set_grad");
}

TEST(Errors, InvalidValues) {
  Generator g(1);
  EXPECT_AMOR_ERROR(arange(0.0, 1.0, 0.0), ValueError, "arange");
  EXPECT_AMOR_ERROR(arange(0.0, INFINITY, 1.0), ValueError, "arange");
  EXPECT_AMOR_ERROR(linspace(0.0, 1.0, -1), ValueError, "linspace");
  EXPECT_AMOR_ERROR(eye(-1), ValueError, "eye");
  EXPECT_AMOR_ERROR(from_blob_copy(nullptr, Shape{2}, DType::F32), ValueError, "from_blob_copy");
  EXPECT_AMOR_ERROR(from_blob(nullptr, Shape{2}, DType::F32), ValueError, "from_blob");
  EXPECT_AMOR_ERROR(clamp(f64({2}), 1.0, -1.0), ValueError, "clamp");
  EXPECT_AMOR_ERROR(chunk(f64({4}), 0, 0), ValueError, "chunk");
  EXPECT_AMOR_ERROR(split(f64({4}), {5, -1}, 0), ValueError, "split");
  EXPECT_AMOR_ERROR(concat({}, 0), ValueError, "concat");
  EXPECT_AMOR_ERROR(stack({}, 0), ValueError, "stack");
  EXPECT_AMOR_ERROR(layer_norm(f64({2, 3}), Tensor(), Tensor(), -1.0), ValueError, "layer_norm");
  EXPECT_AMOR_ERROR(uniform(Shape{2}, 1.0, 0.0, g), ValueError, "uniform");
  EXPECT_AMOR_ERROR(normal(Shape{2}, 0.0, -1.0, g), ValueError, "normal");
  EXPECT_AMOR_ERROR(randint(3, 3, Shape{2}, g), ValueError, "randint");
  EXPECT_AMOR_ERROR(bernoulli(Shape{2}, 1.5, g), ValueError, "bernoulli");
  EXPECT_AMOR_ERROR(bernoulli(from_vector<double>({0.5, -0.1}), g), ValueError, "bernoulli");
  EXPECT_AMOR_ERROR(gamma(Shape{2}, 0.0, g), ValueError, "gamma");
  EXPECT_AMOR_ERROR(gamma(from_vector<double>({1.0, -2.0}), g), ValueError, "gamma");
  EXPECT_AMOR_ERROR(randperm(-1, g), ValueError, "randperm");
  EXPECT_AMOR_ERROR(Tensor().shape(), ValueError, "undefined");
  EXPECT_AMOR_ERROR(f64({2}).item<double>(), ShapeError, "item");
  EXPECT_AMOR_ERROR(backward({f64({1}).requires_grad_()}, {f64({1}), f64({1})}), ValueError, "backward");
}

}  // namespace
}  // namespace amor
