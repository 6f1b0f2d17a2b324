#include "sbi/io/csv.h"

#include <bzlib.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <string_view>
#include <system_error>

#include "core/error.h"
#include "core/file_io.h"

namespace amor::sbi::io {

namespace {

// Decompressed output above this is refused (a corrupt or hostile file could expand without
// bound; the largest sbibm file is ~1 MB decompressed).
constexpr size_t kMaxDecompressed = size_t(1) << 31;

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

const char* bz_error_text(int rc) {
  switch (rc) {
    case BZ_DATA_ERROR: return "data integrity error (CRC mismatch or corrupt block)";
    case BZ_DATA_ERROR_MAGIC: return "not a bzip2 stream (bad magic)";
    case BZ_MEM_ERROR: return "out of memory";
    case BZ_PARAM_ERROR: return "parameter error";
    default: return "error";
  }
}

// Decompresses one or more concatenated bzip2 streams held in `in`.
std::string bunzip2(const std::string& in, const std::string& path) {
  AMOR_CHECK(!in.empty(), IOError, "read_csv: '", path, "' is empty (not a bzip2 stream)");
  AMOR_CHECK(in.size() <= std::numeric_limits<unsigned>::max(), IOError, "read_csv: '", path,
             "' is too large to decompress in one piece");
  std::string out;
  bz_stream s{};
  s.next_in = const_cast<char*>(in.data());  // libbz2 takes a non-const pointer; it only reads
  s.avail_in = static_cast<unsigned>(in.size());
  int rc = BZ2_bzDecompressInit(&s, 0, 0);
  AMOR_CHECK(rc == BZ_OK, IOError, "read_csv: cannot start bzip2 decompression of '", path, "': ",
             bz_error_text(rc));
  char buf[1 << 16];
  for (;;) {
    s.next_out = buf;
    s.avail_out = sizeof buf;
    rc = BZ2_bzDecompress(&s);
    out.append(buf, sizeof buf - s.avail_out);
    if (rc == BZ_STREAM_END) {
      if (s.avail_in == 0) break;
      // Another stream follows (pbzip2 and `cat a.bz2 b.bz2` write these): start over.
      char* next = s.next_in;
      const unsigned left = s.avail_in;
      BZ2_bzDecompressEnd(&s);
      s = bz_stream{};
      s.next_in = next;
      s.avail_in = left;
      rc = BZ2_bzDecompressInit(&s, 0, 0);
      AMOR_CHECK(rc == BZ_OK, IOError, "read_csv: bzip2 error in '", path, "': ", bz_error_text(rc));
      continue;
    }
    if (rc != BZ_OK) {
      BZ2_bzDecompressEnd(&s);
      throw IOError(detail::concat("read_csv: corrupt bzip2 file '", path, "': ", bz_error_text(rc)));
    }
    if (s.avail_in == 0 && s.avail_out > 0) {
      BZ2_bzDecompressEnd(&s);
      throw IOError(detail::concat("read_csv: corrupt bzip2 file '", path,
                                   "': truncated (the stream ends before its end-of-stream marker)"));
    }
    if (out.size() > kMaxDecompressed) {
      BZ2_bzDecompressEnd(&s);
      throw IOError(detail::concat("read_csv: '", path, "' decompresses to more than ", kMaxDecompressed,
                                   " bytes; refusing"));
    }
  }
  BZ2_bzDecompressEnd(&s);
  return out;
}

std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r')) v.remove_suffix(1);
  return v;
}

std::string_view unquote(std::string_view v) {
  v = trim(v);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  return v;
}

// Splits a line on commas into views of `line`.
void split(std::string_view line, std::vector<std::string_view>& cells) {
  cells.clear();
  size_t start = 0;
  for (;;) {
    const size_t comma = line.find(',', start);
    if (comma == std::string_view::npos) {
      cells.push_back(line.substr(start));
      return;
    }
    cells.push_back(line.substr(start, comma - start));
    start = comma + 1;
  }
}

std::string show(std::string_view cell) {
  constexpr size_t kMax = 40;
  std::string s;
  s.reserve(kMax + 5);
  s += '\'';
  s.append(cell.data(), std::min(cell.size(), kMax));
  s += cell.size() > kMax ? "...'" : "'";
  return s;
}

// One cell as a double, or an IOError naming source:line:column.
double parse_cell(std::string_view raw, const CsvOptions& o, const std::string& source, int64_t line,
                  size_t col, const std::string& name) {
  const std::string_view v = trim(raw);
  const auto where = [&] {
    return detail::concat(source, ":", line, ": column ", col + 1, " ('", name, "')");
  };
  if (v.empty()) {
    AMOR_CHECK(o.allow_nonfinite, IOError, "read_csv: ", where(), " is empty");
    return std::numeric_limits<double>::quiet_NaN();
  }
  const char* first = v.data();
  const char* last = v.data() + v.size();
  if (*first == '+') ++first;  // from_chars does not take a leading '+'
  double value = 0.0;
  const auto [ptr, ec] = std::from_chars(first, last, value, std::chars_format::general);
  AMOR_CHECK(ec != std::errc::result_out_of_range, IOError, "read_csv: ", where(), ": ", show(v),
             " is out of the range of a double");
  AMOR_CHECK(ec == std::errc() && ptr == last && first != last, IOError, "read_csv: ", where(), ": ",
             show(v), " is not a number");
  AMOR_CHECK(o.allow_nonfinite || std::isfinite(value), IOError, "read_csv: ", where(),
             ": non-finite value ", show(v), " (CsvOptions::allow_nonfinite is off)");
  return value;
}

}  // namespace

CsvTable parse_csv(const std::string& text, const CsvOptions& options, const std::string& source) {
  AMOR_CHECK(!text.empty(), IOError, "read_csv: '", source, "' is empty (expected a header line)");
  std::string_view rest(text);
  int64_t line_no = 0;
  // Next line without its '\n'; false at the end.
  const auto next_line = [&](std::string_view& line) {
    if (rest.empty()) return false;
    const size_t nl = rest.find('\n');
    line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    ++line_no;
    return true;
  };
  CsvTable table;
  std::string_view line;
  next_line(line);
  AMOR_CHECK(!trim(line).empty(), IOError, "read_csv: ", source, ":1: the header line is empty");
  std::vector<std::string_view> cells;
  split(line, cells);
  for (size_t c = 0; c < cells.size(); ++c) {
    const std::string_view name = unquote(cells[c]);
    AMOR_CHECK(!name.empty(), IOError, "read_csv: ", source, ":1: column ", c + 1, " has an empty name");
    table.header.emplace_back(name);
  }
  const size_t cols = table.header.size();
  AMOR_CHECK(options.expected_columns < 0 || int64_t(cols) == options.expected_columns, IOError,
             "read_csv: ", source, ": expected ", options.expected_columns, " columns, the header has ",
             cols);
  std::vector<double> values;
  int64_t rows = 0;
  while (next_line(line)) {
    if (trim(line).empty()) {
      // Blank lines may only trail the data.
      std::string_view more;
      const int64_t blank_line = line_no;
      while (next_line(more))
        AMOR_CHECK(trim(more).empty(), IOError, "read_csv: ", source, ":", blank_line,
                   ": blank line inside the data");
      break;
    }
    split(line, cells);
    AMOR_CHECK(cells.size() == cols, IOError, "read_csv: ", source, ":", line_no, ": ", cells.size(),
               " cells, but the header has ", cols, " columns");
    for (size_t c = 0; c < cols; ++c)
      values.push_back(parse_cell(cells[c], options, source, line_no, c, table.header[c]));
    ++rows;
  }
  AMOR_CHECK(rows > 0 || !options.require_rows, IOError, "read_csv: ", source,
             ": has a header but no data rows");
  table.values = rows > 0 ? from_vector<double>(values, {rows, int64_t(cols)})
                          : Tensor::empty({0, int64_t(cols)}, DType::F64);
  return table;
}

CsvTable read_csv(const std::string& path, const CsvOptions& options) {
  std::string text = read_file(path, "read_csv");
  if (ends_with(path, ".bz2")) text = bunzip2(text, path);
  return parse_csv(text, options, path);
}

void write_csv(const std::string& path, const std::vector<std::string>& header, const Tensor& values) {
  AMOR_CHECK(!header.empty(), ValueError, "write_csv: '", path, "': the header is empty");
  for (size_t c = 0; c < header.size(); ++c)
    AMOR_CHECK(!header[c].empty() && header[c].find_first_of(",\"\n\r") == std::string::npos, ValueError,
               "write_csv: '", path, "': column name ", c + 1, " ('", header[c],
               "') must be non-empty and contain no comma, quote or line break");
  AMOR_CHECK(values.defined() && values.dim() == 2 && values.size(1) == int64_t(header.size()), ShapeError,
             "write_csv: '", path, "': expected values of shape [rows, ", header.size(), "], got ",
             values.defined() ? values.shape().str() : std::string("an undefined tensor"));
  const DType dt = values.dtype();
  AMOR_CHECK(dt == DType::F32 || dt == DType::F64 || dt == DType::I64, DTypeError, "write_csv: '", path,
             "': values must be float32, float64 or int64, got ", dtype_name(dt));
  AMOR_CHECK(values.device().is_cpu(), DeviceError, "write_csv: values must be on the CPU");
  const Tensor v = values.detach().contiguous();
  const int64_t rows = v.size(0), cols = v.size(1);
  std::string out;
  for (size_t c = 0; c < header.size(); ++c) out += (c ? "," : "") + header[c];
  out += '\n';
  char buf[64];
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      const int64_t i = r * cols + c;
      std::to_chars_result res{};
      if (dt == DType::F32)
        res = std::to_chars(buf, buf + sizeof buf, v.data<float>()[i]);
      else if (dt == DType::F64)
        res = std::to_chars(buf, buf + sizeof buf, v.data<double>()[i]);
      else
        res = std::to_chars(buf, buf + sizeof buf, v.data<int64_t>()[i]);
      if (c) out += ',';
      out.append(buf, res.ptr);
    }
    out += '\n';
  }
  if (ends_with(path, ".bz2")) {
    AMOR_CHECK(out.size() < (size_t(1) << 31), ValueError, "write_csv: '", path, "': too large to compress");
    std::string packed(out.size() + out.size() / 100 + 601, '\0');
    auto packed_len = static_cast<unsigned>(packed.size());
    const int rc = BZ2_bzBuffToBuffCompress(packed.data(), &packed_len, out.data(),
                                            static_cast<unsigned>(out.size()), 9, 0, 0);
    AMOR_CHECK(rc == BZ_OK, IOError, "write_csv: bzip2 compression for '", path, "' failed: ",
               bz_error_text(rc));
    packed.resize(packed_len);
    out.swap(packed);
  }
  write_file_atomically(path, out, "write_csv");
}

}  // namespace amor::sbi::io
