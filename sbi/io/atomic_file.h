// Whole-file reads and atomic whole-file writes, with IOErrors that name the path.
#pragma once

#include <string>
#include <string_view>

namespace amor::sbi::io {

// Writes `bytes` to `path` atomically: a temporary file beside it (`path` + ".tmp.<pid>"), fsync,
// rename over `path`, then a best-effort fsync of the directory. A crash leaves the old file or
// the new one, never a torn one. IOError naming `op` and the path when anything fails (the
// temporary file is removed).
void write_file_atomically(const std::string& path, std::string_view bytes, const char* op);

// The whole file as bytes. IOError naming `op` and the path when it is missing, not a regular
// file, or unreadable.
std::string read_file(const std::string& path, const char* op);

}  // namespace amor::sbi::io
