// CSV reader/writer: exact round trips (plain and bz2), and one test per malformed input, each
// checking the error type and that the message names the file and the line/column.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "sbi/io/csv.h"
#include "sbi/rng.h"

namespace amor::sbi::io {
namespace {

namespace fs = std::filesystem;

class Csv : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("amor_csv_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string write_text(const std::string& name, const std::string& text) const {
    const std::string p = path(name);
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  // The message of the IOError that read_csv must throw.
  static std::string io_error(const std::string& p, const CsvOptions& o = {}) {
    try {
      read_csv(p, o);
    } catch (const IOError& e) {
      return e.what();
    }
    ADD_FAILURE() << "expected IOError reading " << p;
    return {};
  }
  fs::path dir_;
};

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST_F(Csv, RoundTripIsBitExact) {
  // Awkward doubles: tiny, huge, subnormal, negative zero, many digits, random.
  std::vector<double> v = {0.1, -0.0, 1e-310, 1.7976931348623157e308, 5e-324, 1.0 / 3.0, -2.5e-7, 123456789.0};
  Rng rng(1, kUserStreamBase, 0);
  while (v.size() < 300) v.push_back(rng.normal() * std::pow(10.0, rng.randint(-30, 30)));
  const Tensor t = from_vector<double>(v, {100, 3});
  for (const std::string name : {"a.csv", "a.csv.bz2"}) {
    write_csv(path(name), {"a", "b_2", "$\\beta$"}, t);
    const CsvTable r = read_csv(path(name));
    EXPECT_EQ(r.header, (std::vector<std::string>{"a", "b_2", "$\\beta$"}));
    ASSERT_EQ(r.values.shape(), Shape({100, 3}));
    const auto back = r.values.to_vector<double>();
    for (size_t i = 0; i < v.size(); ++i) {
      EXPECT_EQ(back[i], v[i]) << name << " @" << i;
      EXPECT_EQ(std::signbit(back[i]), std::signbit(v[i])) << i;
    }
  }
  EXPECT_FALSE(fs::exists(path("a.csv") + ".tmp"));
}

TEST_F(Csv, Float32WrittenShortAndInt64) {
  const Tensor f = from_vector<float>({1.0471346f, 0.027879834f, 56.0f, -1e-8f}, {2, 2});
  write_csv(path("f.csv"), {"x", "y"}, f);
  std::ifstream in(path("f.csv"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "x,y\n1.0471346,0.027879834\n56,-1e-08\n");
  const auto back = read_csv(path("f.csv")).values.to_vector<double>();
  EXPECT_EQ(float(back[0]), 1.0471346f);  // the float32 shortest form reads back to the same float
  write_csv(path("i.csv"), {"n"}, from_vector<int64_t>({-3, 9007199254740993}, {2, 1}));
  EXPECT_EQ(read_csv(path("i.csv")).values.to_vector<double>()[0], -3.0);
}

TEST_F(Csv, AcceptsCrlfQuotedHeaderPlusSignAndTrailingBlankLines) {
  const auto p = write_text("ok.csv", "\"a\", b \r\n+1.5, 2\r\n-3,4e1\r\n\r\n\n");
  const CsvTable r = read_csv(p);
  EXPECT_EQ(r.header, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.values.to_vector<double>(), (std::vector<double>{1.5, 2.0, -3.0, 40.0}));
  const auto no_newline = write_text("nonl.csv", "a\n7");
  EXPECT_EQ(read_csv(no_newline).values.to_vector<double>(), std::vector<double>{7.0});
}

TEST_F(Csv, MissingFileNamesPath) {
  const std::string msg = io_error(path("nope.csv"));
  EXPECT_TRUE(contains(msg, "nope.csv")) << msg;
  EXPECT_TRUE(contains(io_error(dir_.string()), "not a regular file"));
}

TEST_F(Csv, EmptyFileAndHeaderOnly) {
  EXPECT_TRUE(contains(io_error(write_text("e.csv", "")), "empty")) << io_error(path("e.csv"));
  EXPECT_TRUE(contains(io_error(write_text("blank.csv", "\n1,2\n")), "header line is empty"));
  const auto h = write_text("h.csv", "a,b\n");
  EXPECT_TRUE(contains(io_error(h), "no data rows"));
  CsvOptions o;
  o.require_rows = false;
  EXPECT_EQ(read_csv(h, o).values.shape(), Shape({0, 2}));
}

TEST_F(Csv, WrongColumnCountNamesLine) {
  const std::string msg = io_error(write_text("w.csv", "a,b\n1,2\n3,4,5\n"));
  EXPECT_TRUE(contains(msg, "w.csv:3")) << msg;
  EXPECT_TRUE(contains(msg, "3 cells")) << msg;
  CsvOptions o;
  o.expected_columns = 3;
  EXPECT_TRUE(contains(io_error(write_text("x.csv", "a,b\n1,2\n"), o), "expected 3 columns"));
  EXPECT_TRUE(contains(io_error(write_text("gap.csv", "a\n1\n\n2\n")), "blank line"));
}

TEST_F(Csv, NonNumericCellNamesLineAndColumn) {
  const std::string msg = io_error(write_text("n.csv", "a,b\n1,2\n3,abc\n"));
  EXPECT_TRUE(contains(msg, "n.csv:3")) << msg;
  EXPECT_TRUE(contains(msg, "column 2 ('b')")) << msg;
  EXPECT_TRUE(contains(msg, "'abc'")) << msg;
  EXPECT_TRUE(contains(io_error(write_text("p.csv", "a\n1.5x\n")), "not a number"));
  EXPECT_TRUE(contains(io_error(write_text("q.csv", "a\n1e999\n")), "out of the range"));
  EXPECT_TRUE(contains(io_error(write_text("r.csv", "a,b\n1,\n")), "is empty"));
}

TEST_F(Csv, NonFiniteOnlyWhenAllowed) {
  const auto p = write_text("nan.csv", "a,b,c\nnan,inf,-inf\n");
  const std::string msg = io_error(p);
  EXPECT_TRUE(contains(msg, "non-finite")) << msg;
  EXPECT_TRUE(contains(msg, "column 1")) << msg;
  CsvOptions o;
  o.allow_nonfinite = true;
  const auto v = read_csv(p, o).values.to_vector<double>();
  EXPECT_TRUE(std::isnan(v[0]));
  EXPECT_EQ(v[1], std::numeric_limits<double>::infinity());
  EXPECT_EQ(v[2], -std::numeric_limits<double>::infinity());
  const auto e = write_text("empty_cell.csv", "a,b\n1,\n");
  EXPECT_TRUE(std::isnan(read_csv(e, o).values.to_vector<double>()[1]));
}

TEST_F(Csv, CorruptAndTruncatedBz2) {
  EXPECT_TRUE(contains(io_error(write_text("junk.csv.bz2", "this is not bzip2")), "corrupt bzip2"));
  EXPECT_TRUE(contains(io_error(write_text("zero.csv.bz2", "")), "empty"));
  // A valid file cut in half, and one with a flipped byte in the middle of the block.
  const Tensor t = from_vector<double>(std::vector<double>(2000, 0.125), {1000, 2});
  write_csv(path("good.csv.bz2"), {"a", "b"}, t);
  std::ifstream in(path("good.csv.bz2"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 40u);
  const std::string msg = io_error(write_text("cut.csv.bz2", bytes.substr(0, bytes.size() / 2)));
  EXPECT_TRUE(contains(msg, "cut.csv.bz2")) << msg;
  EXPECT_TRUE(contains(msg, "corrupt bzip2")) << msg;
  std::string flipped = bytes;
  flipped[flipped.size() / 2] = char(flipped[flipped.size() / 2] ^ 0x5a);
  EXPECT_TRUE(contains(io_error(write_text("flip.csv.bz2", flipped)), "corrupt bzip2"));
  // Two concatenated streams (as pbzip2 writes) are read as one text: "a\n1\n" twice, so line 3
  // is the second header, a non-numeric row, which proves the second stream was decompressed.
  write_csv(path("one.csv.bz2"), {"a"}, from_vector<double>({1.0}, {1, 1}));
  std::ifstream in1(path("one.csv.bz2"), std::ios::binary);
  std::string b1((std::istreambuf_iterator<char>(in1)), std::istreambuf_iterator<char>());
  const std::string msg2 = io_error(write_text("cat.csv.bz2", b1 + b1));
  EXPECT_TRUE(contains(msg2, "cat.csv.bz2:3")) << msg2;
}

TEST_F(Csv, WriteErrors) {
  const Tensor t = zeros({2, 2}, {.dtype = DType::F64});
  try {
    write_csv(path("no/such/dir/out.csv"), {"a", "b"}, t);
    ADD_FAILURE() << "expected IOError";
  } catch (const IOError& e) {
    EXPECT_TRUE(contains(e.what(), "no/such/dir/out.csv")) << e.what();
  }
  EXPECT_THROW(write_csv(path("o.csv"), {"a,b", "c"}, t), ValueError);
  EXPECT_THROW(write_csv(path("o.csv"), {"a", ""}, t), ValueError);
  EXPECT_THROW(write_csv(path("o.csv"), {"a"}, t), ShapeError);
  EXPECT_THROW(write_csv(path("o.csv"), {"a", "b"}, zeros({2, 2}, {.dtype = DType::Bool})), DTypeError);
  // A failed write leaves an existing file untouched.
  write_csv(path("keep.csv"), {"a", "b"}, t);
  EXPECT_THROW(write_csv(path("keep.csv"), {"a"}, t), ShapeError);
  EXPECT_EQ(read_csv(path("keep.csv")).values.shape(), Shape({2, 2}));
}

}  // namespace
}  // namespace amor::sbi::io
