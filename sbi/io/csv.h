// Numeric CSV tables: one header line of column names, then rows of numbers (the format of the
// sbibm data and of `pandas.DataFrame.to_csv(index=False)`).
//
// read_csv decompresses `*.bz2` files transparently (libbz2, multi-stream aware). Every problem
// is an IOError whose message names the file and, for content errors, the 1-based line and
// column: missing or unreadable file, empty file, missing header, no data rows (when rows are
// required), a row with the wrong number of cells, a cell that is not a number, a NaN/inf cell
// (unless allowed), a number out of double range, a corrupt or truncated bz2 stream.
//
// write_csv formats each value with the shortest decimal that reads back to the same value
// (std::to_chars), so write -> read is exact; it writes atomically (temporary file, fsync,
// rename) and compresses when the path ends in ".bz2".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace amor::sbi::io {

struct CsvOptions {
  bool require_rows = true;       // a header with no data rows is an error
  bool allow_nonfinite = false;   // accept nan / inf / -inf cells (and read empty cells as NaN)
  int64_t expected_columns = -1;  // >= 0: the header must have exactly this many columns
};

struct CsvTable {
  std::vector<std::string> header;  // column names, surrounding quotes and spaces removed
  Tensor values;                    // [rows, columns] float64
};

CsvTable read_csv(const std::string& path, const CsvOptions& options = {});

// The same from text already in memory; `source` names it in error messages.
CsvTable parse_csv(const std::string& text, const CsvOptions& options = {},
                   const std::string& source = "<memory>");

// values: [rows, header.size()] float32, float64 or int64 (float32 is written with float32's
// shortest form, as pandas writes float32 frames). Column names must be non-empty and free of
// commas, quotes and line breaks (ValueError). IOError naming the path when it cannot be written.
void write_csv(const std::string& path, const std::vector<std::string>& header, const Tensor& values);

}  // namespace amor::sbi::io
