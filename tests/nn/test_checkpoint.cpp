// Safetensors checkpoints (nn/checkpoint.h): bit-exact round trips of an MLP and a transformer in
// float32 and float64, the on-disk layout, metadata, and one test per malformed-file case (each
// must throw a typed amor error naming the file and the offending key).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/random.h"
#include "nn/checkpoint.h"
#include "nn/mlp.h"
#include "nn/transformer.h"

namespace amor::nn {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("amor_ckpt_" + std::to_string(::getpid()) + "_" + info->test_suite_name() + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  static void write_bytes(const std::string& p, const std::string& bytes) {
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), std::streamsize(bytes.size()));
  }
  static std::string read_bytes(const std::string& p) {
    std::ifstream f(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  }
  static std::string u64le(uint64_t v) {
    std::string s(8, '\0');
    for (int i = 0; i < 8; ++i) s[size_t(i)] = char((v >> (8 * i)) & 0xff);
    return s;
  }
  // A file with the given header text and data; the length prefix is the header's unless given.
  std::string craft(const std::string& header, const std::string& data = "",
                    std::optional<uint64_t> length = std::nullopt) {
    const std::string p = path("crafted.safetensors");
    write_bytes(p, u64le(length.value_or(header.size())) + header + data);
    return p;
  }

  fs::path dir_;
};

// Runs `f`, which must throw E with a message containing every one of `parts`.
template <class E, class F>
void expect_error(F&& f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "expected an exception";
  } catch (const E& e) {
    const std::string what = e.what();
    for (const std::string& p : parts) EXPECT_NE(what.find(p), std::string::npos) << "'" << p << "' not in: " << what;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
  }
}

template <class F>
void expect_io_error(F&& f, const std::vector<std::string>& parts) {
  expect_error<IOError>(std::forward<F>(f), parts);
}

// Reading a crafted file must fail with IOError naming the file and the parts.
void expect_bad_file(const std::string& p, std::vector<std::string> parts) {
  parts.push_back(p);
  expect_io_error([&] { (void)read_safetensors(p); }, parts);
  // The in-memory reader validates the same way.
  std::ifstream f(p, std::ios::binary);
  std::string bytes{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  parts.back() = "<memory>";
  expect_io_error(
      [&] { (void)read_safetensors_from_memory(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()); },
      parts);
}

std::string f32_bytes(const std::vector<float>& v) {
  return {reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)};
}

// Byte-for-byte equality of two tensors' contents.
bool same_bits(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  Tensor ca = a.contiguous(), cb = b.contiguous();
  return std::memcmp(ca.raw_data(), cb.raw_data(), size_t(ca.numel()) * dtype_size(ca.dtype())) == 0;
}

// Moves every floating state tensor off its initial value (LayerNorm starts at ones/zeros, which
// would make a round trip of those keys vacuous).
void perturb(Module& m, uint64_t seed) {
  Generator gen(seed);
  NoGradGuard g;
  for (auto& [name, t] : m.state())
    if (is_floating(t.dtype())) t.add_(randn(t.shape(), gen, {.dtype = t.dtype()}), 0.1);
}

// ---- round trips ---------------------------------------------------------------------------------

class CheckpointRoundTrip : public CheckpointTest, public ::testing::WithParamInterface<DType> {};

TEST_P(CheckpointRoundTrip, MLPBitExact) {
  const DType dt = GetParam();
  const std::vector<int64_t> widths{5, 16, 16, 3};
  const MLPOptions opts{.activation = Act::Tanh, .residual = true, .dtype = dt};
  Generator g1(1), g2(2), gx(3);
  MLP a(widths, g1, opts), b(widths, g2, opts);
  perturb(a, 11);
  const Tensor x = randn({7, 5}, gx, {.dtype = dt});
  const Tensor ya = a.forward(x);
  ASSERT_FALSE(same_bits(ya, b.forward(x)));

  const std::string p = path("mlp.safetensors");
  save_checkpoint(a, p, {{"widths", widths}, {"activation", "tanh"}});
  // The same handles before and after: optimizers holding the parameters stay valid.
  std::vector<TensorImpl*> before;
  for (const Tensor& t : b.parameters()) before.push_back(t.impl());
  load_checkpoint(b, p);
  std::vector<TensorImpl*> after;
  for (const Tensor& t : b.parameters()) after.push_back(t.impl());
  EXPECT_EQ(before, after);
  for (const Tensor& t : b.parameters()) EXPECT_TRUE(t.requires_grad());

  EXPECT_TRUE(same_bits(ya, b.forward(x)));
  const auto sa = a.state(), sb = b.state();
  ASSERT_EQ(sa.size(), sb.size());
  for (size_t i = 0; i < sa.size(); ++i) {
    EXPECT_EQ(sa[i].first, sb[i].first);
    EXPECT_TRUE(same_bits(sa[i].second, sb[i].second)) << sa[i].first;
  }
  // Gradients still flow into the loaded parameters.
  b.forward(x).sum().backward();
  for (const Tensor& t : b.parameters()) EXPECT_TRUE(t.grad().defined());
}

TEST_P(CheckpointRoundTrip, TransformerBitExact) {
  const DType dt = GetParam();
  const TransformerOptions o{.d_model = 8, .heads = 2, .head_dim = 4, .mlp_ratio = 2,
                             .cond_dim = 3, .layers = 2, .dtype = dt};
  Generator g1(5), g2(6), gx(7);
  TransformerEncoder a(o, g1), b(o, g2);
  perturb(a, 12);
  const Tensor x = randn({2, 4, 8}, gx, {.dtype = dt});
  const Tensor c = randn({2, 3}, gx, {.dtype = dt});
  const Tensor ya = a.forward(x, Tensor(), c);
  ASSERT_FALSE(same_bits(ya, b.forward(x, Tensor(), c)));

  const std::string p = path("transformer.safetensors");
  save_checkpoint(a, p, {{"d_model", 8}, {"layers", 2}});
  load_checkpoint(b, p);
  EXPECT_TRUE(same_bits(ya, b.forward(x, Tensor(), c)));
  EXPECT_EQ(read_checkpoint_config(p), (json{{"d_model", 8}, {"layers", 2}}));

  // Keys are the dotted state names, in module order, and nothing else.
  std::vector<std::string> file_keys, module_keys;
  for (const auto& [n, t] : read_safetensors(p)) file_keys.push_back(n);
  for (const auto& [n, t] : a.state()) module_keys.push_back(n);
  EXPECT_EQ(file_keys, module_keys);
  EXPECT_NE(std::find(file_keys.begin(), file_keys.end(), "blocks.1.fc2.weight"), file_keys.end());
}

INSTANTIATE_TEST_SUITE_P(Dtypes, CheckpointRoundTrip, ::testing::Values(DType::F32, DType::F64),
                         [](const ::testing::TestParamInfo<DType>& p) { return std::string(dtype_name(p.param)); });

TEST_F(CheckpointTest, RawTensorsOfEveryDtypeRoundTrip) {
  Generator gen(3);
  const Tensor m = randn({3, 4}, gen, {.dtype = DType::F64});
  const NamedTensors in{
      {"f32", randn({2, 3}, gen)},
      {"f64_noncontiguous", m.t()},  // written as its row-major contents
      {"i64", from_vector<int64_t>({-5, 0, 7, int64_t(1) << 40}, {2, 2})},
      {"bool", from_vector<bool>({true, false, true})},
      {"scalar", scalar(2.5, DType::F64)},
      {"empty", zeros({0, 4})},
      {"unicode é ✓", ones({1})},
  };
  const std::string p = path("raw.safetensors");
  write_safetensors(p, in, {{"note", "hello"}});
  json md;
  const NamedTensors out = read_safetensors(p, &md);
  EXPECT_EQ(md, (json{{"note", "hello"}}));
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].first, in[i].first);  // file order is write order
    EXPECT_TRUE(same_bits(out[i].second, in[i].second)) << in[i].first;
    EXPECT_TRUE(out[i].second.is_contiguous());
    EXPECT_FALSE(out[i].second.requires_grad());
  }
  // The in-memory reader gives the same.
  const std::string bytes = read_bytes(p);
  const NamedTensors mem =
      read_safetensors_from_memory(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  ASSERT_EQ(mem.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) EXPECT_TRUE(same_bits(mem[i].second, in[i].second));
}

TEST_F(CheckpointTest, OnDiskLayoutFollowsTheSpec) {
  const NamedTensors in{{"a", from_vector<float>({1.f, 2.f, 3.f})}, {"b", from_vector<double>({4.0})}};
  const std::string p = path("layout.safetensors");
  write_safetensors(p, in);
  const std::string bytes = read_bytes(p);
  ASSERT_GE(bytes.size(), 8u);
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= uint64_t(uint8_t(bytes[size_t(i)])) << (8 * i);
  EXPECT_EQ(n % 8, 0u);  // padded so the data is 8-byte aligned
  ASSERT_EQ(bytes.size(), 8 + n + 12 + 8);
  const std::string header = bytes.substr(8, n);
  EXPECT_EQ(header.front(), '{');
  const size_t last = header.find_last_not_of(' ');  // padded with spaces only
  EXPECT_EQ(header[last], '}');
  EXPECT_LT(header.size() - last - 1, 8u);
  const json h = json::parse(header);
  EXPECT_FALSE(h.contains("__metadata__"));  // none given
  EXPECT_EQ(h["a"], (json{{"dtype", "F32"}, {"shape", {3}}, {"data_offsets", {0, 12}}}));
  EXPECT_EQ(h["b"], (json{{"dtype", "F64"}, {"shape", {1}}, {"data_offsets", {12, 20}}}));
  float a[3];
  std::memcpy(a, bytes.data() + 8 + n, 12);
  EXPECT_EQ(a[2], 3.f);
}

TEST_F(CheckpointTest, MetadataRoundTrip) {
  Generator gen(1);
  MLP m({2, 4, 1}, gen);
  const json config = {{"widths", {2, 4, 1}}, {"activation", "relu"}, {"nested", {{"x", 1.5}, {"ok", true}}}};
  const std::string p = path("meta.safetensors");
  save_checkpoint(m, p, config);
  const json md = read_safetensors_metadata(p);
  EXPECT_EQ(md["format"], "amor-checkpoint");
  EXPECT_EQ(md["format_version"], "1");
  EXPECT_EQ(md["module"], "MLP");
  ASSERT_TRUE(md["config"].is_string());
  EXPECT_EQ(json::parse(md["config"].get<std::string>()), config);
  EXPECT_EQ(read_checkpoint_config(p), config);
  // No config: stored as JSON null.
  save_checkpoint(m, p);
  EXPECT_TRUE(read_checkpoint_config(p).is_null());
  // A plain safetensors file without amor metadata has no config either.
  write_safetensors(p, {{"w", ones({1})}});
  EXPECT_TRUE(read_checkpoint_config(p).is_null());
  EXPECT_EQ(read_safetensors_metadata(p), json::object());
}

TEST_F(CheckpointTest, WriteIsAtomicAndReplaces) {
  const std::string p = path("atomic.safetensors");
  write_safetensors(p, {{"w", ones({4})}});
  write_safetensors(p, {{"w", zeros({2})}});
  EXPECT_FALSE(fs::exists(p + ".tmp"));
  const NamedTensors out = read_safetensors(p);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].second.shape(), (Shape{2}));
  // A failing write leaves the previous file intact and no temporary behind.
  EXPECT_THROW(write_safetensors(p, {{"w", ones({1})}, {"w", ones({1})}}), ValueError);
  EXPECT_EQ(read_safetensors(p)[0].second.shape(), (Shape{2}));
  EXPECT_FALSE(fs::exists(p + ".tmp"));
}

TEST_F(CheckpointTest, WriteErrorsNameThePath) {
  const std::string p = path("no_such_dir/x.safetensors");
  expect_io_error([&] { write_safetensors(p, {{"w", ones({1})}}); }, {p});
  expect_error<ValueError>([&] { write_safetensors(path("x"), {{"", ones({1})}}); }, {"invalid tensor name"});
  expect_error<ValueError>([&] { write_safetensors(path("x"), {{"__metadata__", ones({1})}}); },
                           {"invalid tensor name"});
  expect_error<ValueError>([&] { write_safetensors(path("x"), {{"w", ones({1})}}, {{"k", 1}}); },
                           {"must be a string", "\"k\""});
  expect_error<ValueError>([&] { write_safetensors(path("x"), {{"w", ones({1})}}, json::array()); },
                           {"JSON object"});
  expect_error<ValueError>([&] { write_safetensors(path("x"), {{std::string("\xff\xfe"), ones({1})}}); },
                           {"UTF-8"});
}

// ---- malformed files -----------------------------------------------------------------------------

TEST_F(CheckpointTest, MissingFile) {
  const std::string p = path("absent.safetensors");
  expect_io_error([&] { (void)read_safetensors(p); }, {p, "cannot open"});
}

TEST_F(CheckpointTest, NotARegularFile) { expect_io_error([&] { (void)read_safetensors(dir_.string()); }, {"not a regular file"}); }

TEST_F(CheckpointTest, FileTooShortForHeaderLength) {
  const std::string p = path("short.safetensors");
  write_bytes(p, "");
  expect_bad_file(p, {"too short", "0 bytes"});
  write_bytes(p, std::string("\x10\x00\x00", 3));
  expect_bad_file(p, {"too short", "3 bytes"});
}

TEST_F(CheckpointTest, HeaderLengthPastEndOfFile) {
  expect_bad_file(craft("{}", "", 100), {"header length 100", "past the end"});
}

TEST_F(CheckpointTest, HeaderLengthAbsurdlyLarge) {
  expect_bad_file(craft("{}", "", uint64_t(1) << 62), {"absurdly large"});
  expect_bad_file(craft("{}", "", ~uint64_t(0)), {"absurdly large"});
}

TEST_F(CheckpointTest, MalformedJson) {
  expect_bad_file(craft(R"({"w": {"dtype": "F32", )"), {"malformed JSON"});
  expect_bad_file(craft("{\"w\": 1} trailing"), {"malformed JSON"});
  expect_bad_file(craft(std::string("{\"\xc3\x28\": {}}")), {"malformed JSON"});  // invalid UTF-8
  expect_bad_file(craft(std::string(4, '\0')), {"malformed JSON"});
}

TEST_F(CheckpointTest, DeeplyNestedJson) {
  expect_bad_file(craft("{\"w\":" + std::string(5000, '[') + std::string(5000, ']') + "}"), {"nests deeper"});
}

TEST_F(CheckpointTest, HeaderNotAnObject) {
  expect_bad_file(craft("[1, 2]  "), {"must be a JSON object"});
  expect_bad_file(craft("\"x\""), {"must be a JSON object"});
}

TEST_F(CheckpointTest, EntryNotAnObject) {
  expect_bad_file(craft(R"({"w": [0, 4]})", "abcd"), {"\"w\"", "entry must be a JSON object"});
}

TEST_F(CheckpointTest, EntryMissingOrUnknownField) {
  expect_bad_file(craft(R"({"w": {"dtype": "F32", "shape": [1]}})", "abcd"), {"\"w\"", "missing field \"data_offsets\""});
  expect_bad_file(craft(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "x": 1}})", "abcd"),
                  {"\"w\"", "unknown field \"x\""});
}

TEST_F(CheckpointTest, UnknownDtype) {
  expect_bad_file(craft(R"({"w": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}})", "abcd"),
                  {"\"w\"", "unsupported dtype \"F16\""});
  expect_bad_file(craft(R"({"w": {"dtype": 3, "shape": [2], "data_offsets": [0, 4]}})", "abcd"),
                  {"\"w\"", "unsupported dtype 3"});
}

TEST_F(CheckpointTest, ShapeNotAListOfNonNegativeInts) {
  const std::string data = f32_bytes({1, 2});
  for (const char* shape : {"3", "\"2\"", "[-1]", "[2.0]", "[null]", "[[2]]", "[1,1,1,1,1,1,1,1,2]"})
    expect_bad_file(craft(std::string(R"({"big.w": {"dtype": "F32", "data_offsets": [0, 8], "shape": )") +
                          shape + "}}", data),
                    {"\"big.w\"", "shape"});
  expect_bad_file(craft(R"({"w": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 8]}})", data),
                  {"\"w\"", "too large"});
  expect_bad_file(craft(R"({"w": {"dtype": "F32", "shape": [18446744073709551615], "data_offsets": [0, 8]}})", data),
                  {"\"w\"", "too large"});
}

TEST_F(CheckpointTest, DataOffsetsNotTwoInts) {
  const std::string data = f32_bytes({1});
  for (const char* off : {"[0]", "[0, 4, 8]", "4", "[0, \"4\"]", "[0, 4.0]", "[-4, 4]", "[0, null]"})
    expect_bad_file(craft(std::string(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": )") + off + "}}", data),
                    {"\"w\"", "data_offsets"});
}

TEST_F(CheckpointTest, DataOffsetsReversed) {
  expect_bad_file(craft(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}})", f32_bytes({1, 2})),
                  {"\"w\"", "begin > end"});
}

TEST_F(CheckpointTest, DataOffsetsPastEndOfData) {
  expect_bad_file(craft(R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})", f32_bytes({1})),
                  {"\"w\"", "past the end of the data section"});
  expect_bad_file(craft(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [18446744073709551611, 18446744073709551615]}})",
                        f32_bytes({1})),
                  {"\"w\"", "past the end"});
}

TEST_F(CheckpointTest, DataSizeDoesNotMatchShape) {
  expect_bad_file(craft(R"({"w": {"dtype": "F64", "shape": [2], "data_offsets": [0, 8]}})", f32_bytes({1, 2})),
                  {"\"w\"", "span 8 bytes", "needs 2 x 8"});
  expect_bad_file(craft(R"({"w": {"dtype": "I64", "shape": [4611686018427387904], "data_offsets": [0, 8]}})",
                        f32_bytes({1, 2})),
                  {"\"w\"", "span 8 bytes"});
}

TEST_F(CheckpointTest, OverlappingRanges) {
  expect_bad_file(craft(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                            "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
                        f32_bytes({1, 2, 3})),
                  {"\"b\"", "overlaps", "\"a\""});
  expect_bad_file(craft(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                            "b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})",
                        f32_bytes({1})),
                  {"overlaps"});
}

TEST_F(CheckpointTest, GapsAndTrailingBytes) {
  expect_bad_file(craft(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                            "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}})",
                        f32_bytes({1, 2, 3})),
                  {"gap of 4 bytes", "\"b\""});
  expect_bad_file(craft(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})", f32_bytes({1, 2})),
                  {"gap of 4 bytes", "\"a\""});
  expect_bad_file(craft(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})", f32_bytes({1, 2})),
                  {"4 trailing bytes"});
}

TEST_F(CheckpointTest, MetadataNotStringValued) {
  expect_bad_file(craft(R"({"__metadata__": {"epochs": 3}})"), {"__metadata__", "\"epochs\"", "must be a string"});
  expect_bad_file(craft(R"({"__metadata__": ["a"]})"), {"__metadata__", "object of strings"});
}

TEST_F(CheckpointTest, DuplicateKeys) {
  expect_bad_file(craft(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                            "w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})",
                        f32_bytes({1, 2})),
                  {"duplicate key \"w\""});
  expect_bad_file(craft(R"({"w": {"dtype": "F32", "dtype": "F64", "shape": [1], "data_offsets": [0, 4]}})",
                        f32_bytes({1})),
                  {"duplicate key \"dtype\"", "\"w\""});
  expect_bad_file(craft(R"({"__metadata__": {"k": "a", "k": "b"}})"), {"duplicate key \"k\""});
}

TEST_F(CheckpointTest, BoolBytesMustBeZeroOrOne) {
  expect_bad_file(craft(R"({"mask": {"dtype": "BOOL", "shape": [3], "data_offsets": [0, 3]}})", std::string("\x01\x00\x02", 3)),
                  {"\"mask\"", "byte 2"});
}

TEST_F(CheckpointTest, PaddingAndEmptyHeaderAreFine) {
  // No tensors at all, header padded with spaces: a valid (empty) file.
  EXPECT_TRUE(read_safetensors(craft("{}      ")).empty());
  // Zero-size tensors may share an offset.
  const NamedTensors out = read_safetensors(craft(
      R"({"e": {"dtype": "F32", "shape": [0, 3], "data_offsets": [0, 0]},
          "f": {"dtype": "I64", "shape": [0], "data_offsets": [0, 0]},
          "g": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]}})",
      f32_bytes({9})));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[2].first, "g");
  EXPECT_EQ(out[2].second.item<float>(), 9.f);
}

// ---- loading into a module -----------------------------------------------------------------------

TEST_F(CheckpointTest, LoadRejectsMissingAndUnexpectedKeys) {
  Generator gen(1);
  MLP m({2, 3, 1}, gen);
  const std::string p = path("keys.safetensors");
  NamedTensors state = m.state();
  state.erase(state.begin());  // drop layers.0.weight
  state.emplace_back("extra.weight", ones({1}));
  write_safetensors(p, state);
  expect_io_error([&] { load_checkpoint(m, p); },
                  {p, "missing keys \"layers.0.weight\"", "unexpected keys \"extra.weight\""});
}

TEST_F(CheckpointTest, LoadRejectsShapeMismatch) {
  Generator gen(1);
  MLP small({2, 3, 1}, gen), wide({2, 4, 1}, gen);
  const std::string p = path("shape.safetensors");
  save_checkpoint(small, p);
  expect_error<ShapeError>([&] { load_checkpoint(wide, p); }, {p, "\"layers.0.weight\"", "[3, 2]", "[4, 2]"});
}

TEST_F(CheckpointTest, LoadRejectsDtypeMismatch) {
  Generator gen(1);
  MLP f32({2, 3, 1}, gen), f64({2, 3, 1}, gen, {.dtype = DType::F64});
  const std::string p = path("dtype.safetensors");
  save_checkpoint(f32, p);
  expect_error<DTypeError>([&] { load_checkpoint(f64, p); }, {p, "\"layers.0.weight\"", "float32", "float64"});
}

TEST_F(CheckpointTest, LoadRejectsOtherModuleTypeAndFormat) {
  Generator gen(1);
  MLP m({2, 3, 1}, gen);
  const std::string p = path("type.safetensors");
  write_safetensors(p, m.state(), {{"format", "amor-checkpoint"}, {"format_version", "1"}, {"module", "Flow"}});
  expect_io_error([&] { load_checkpoint(m, p); }, {p, "\"Flow\"", "\"MLP\""});
  write_safetensors(p, m.state(), {{"format", "pt"}});
  expect_io_error([&] { load_checkpoint(m, p); }, {p, "format"});
  write_safetensors(p, m.state(), {{"format", "amor-checkpoint"}, {"format_version", "2"}});
  expect_io_error([&] { load_checkpoint(m, p); }, {p, "format_version \"2\""});
  // Without amor metadata (e.g. written by Python) the tensors alone decide.
  write_safetensors(p, m.state());
  EXPECT_NO_THROW(load_checkpoint(m, p));
}

TEST_F(CheckpointTest, FailedLoadLeavesModuleUntouched) {
  Generator g1(1), g2(2);
  MLP a({2, 3, 1}, g1), b({2, 3, 1}, g2);
  const std::string p = path("partial.safetensors");
  NamedTensors state = a.state();
  state.back().second = zeros({2});  // last key has the wrong shape; the others are fine
  write_safetensors(p, state);
  std::vector<Tensor> before;
  for (const auto& [n, t] : b.state()) before.push_back(t.clone());
  EXPECT_THROW(load_checkpoint(b, p), ShapeError);
  const auto after = b.state();
  for (size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(same_bits(before[i], after[i].second)) << after[i].first;
}

TEST_F(CheckpointTest, LoadReportsCorruptFileWithPath) {
  Generator gen(1);
  MLP m({2, 3, 1}, gen);
  const std::string p = path("corrupt.safetensors");
  save_checkpoint(m, p);
  std::string bytes = read_bytes(p);
  write_bytes(p, bytes.substr(0, bytes.size() - 3));  // truncated data
  expect_io_error([&] { load_checkpoint(m, p); }, {p, "past the end"});
}

}  // namespace
}  // namespace amor::nn
