// A minimal numeric CSV reader for the tools (and tests) until sbi/io/csv.h lands: one header
// line of column names, then rows of numbers separated by commas; `.bz2` files (the sbibm
// reference samples) are decompressed with libbz2 on the fly. Errors throw amor::IOError
// naming the file and line.
#pragma once

#include <bzlib.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/tensor.h"

namespace amor::tools {

struct CsvTable {
  std::vector<std::string> columns;
  Tensor values;  // [rows, columns] float64
};

namespace csv_detail {

inline bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The whole file as text, decompressing .bz2.
inline std::string slurp(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  AMOR_CHECK(f, IOError, "csv: cannot open '", path, "': ", std::strerror(errno));
  std::string text;
  char buf[1 << 16];
  if (ends_with(path, ".bz2")) {
    int err = BZ_OK;
    BZFILE* bz = BZ2_bzReadOpen(&err, f, 0, 0, nullptr, 0);
    if (err != BZ_OK) {
      std::fclose(f);
      throw IOError(detail::concat("csv: '", path, "' is not a bzip2 stream (error ", err, ")"));
    }
    while (err == BZ_OK) {
      const int got = BZ2_bzRead(&err, bz, buf, int(sizeof buf));
      if (err == BZ_OK || err == BZ_STREAM_END) text.append(buf, size_t(got));
    }
    BZ2_bzReadClose(nullptr, bz);
    std::fclose(f);
    AMOR_CHECK(err == BZ_STREAM_END, IOError, "csv: '", path, "': corrupt or truncated bzip2 data (error ",
               err, ")");
  } else {
    size_t got;
    while ((got = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, got);
    const bool failed = std::ferror(f) != 0;
    std::fclose(f);
    AMOR_CHECK(!failed, IOError, "csv: read error on '", path, "'");
  }
  return text;
}

inline std::vector<std::string> split_line(const std::string& line) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t comma = line.find(',', start);
    out.push_back(line.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace csv_detail

inline CsvTable read_csv(const std::string& path) {
  const std::string text = csv_detail::slurp(path);
  CsvTable table;
  std::vector<double> values;
  size_t pos = 0;
  int64_t line_no = 0, rows = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> fields = csv_detail::split_line(line);
    if (table.columns.empty()) {
      table.columns = fields;
      continue;
    }
    AMOR_CHECK(fields.size() == table.columns.size(), IOError, "csv: '", path, "' line ", line_no,
               ": ", fields.size(), " fields, expected ", table.columns.size());
    for (const std::string& field : fields) {
      char* stop = nullptr;
      const double v = std::strtod(field.c_str(), &stop);
      AMOR_CHECK(!field.empty() && stop == field.c_str() + field.size(), IOError, "csv: '", path,
                 "' line ", line_no, ": '", field, "' is not a number");
      values.push_back(v);
    }
    ++rows;
  }
  AMOR_CHECK(!table.columns.empty() && rows > 0, IOError, "csv: '", path, "' has no data rows");
  table.values = from_vector(values, Shape{rows, int64_t(table.columns.size())});
  return table;
}

}  // namespace amor::tools
