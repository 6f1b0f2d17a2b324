// Whole-file I/O shared by every layer that writes user files (checkpoints, CSV, figures,
// metrics): atomic writes and whole-file reads, with IOErrors that name the operation and path.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace amor {

// A POSIX file descriptor closed on scope exit.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() { close(); }
  int get() const { return fd_; }
  int close();  // 0 or the ::close error; idempotent

 private:
  int fd_;
};

// strerror(errno) as a string.
std::string errno_text();

// Writes the concatenation of `pieces` to `path` atomically: a temporary file `path + ".tmp"`,
// fsync, rename over `path`, then a best-effort fsync of the directory. A crash leaves the old
// file or the new one, never a torn one; on failure the temporary file is removed and an
// IOError names `op` and the path.
void write_file_atomically(const std::string& path, const std::vector<std::string_view>& pieces,
                           const char* op);
inline void write_file_atomically(const std::string& path, std::string_view bytes, const char* op) {
  write_file_atomically(path, std::vector<std::string_view>{bytes}, op);
}

// The whole file as bytes. IOError naming `op` and the path when it is missing, not a regular
// file, or unreadable.
std::string read_file(const std::string& path, const char* op);

}  // namespace amor
