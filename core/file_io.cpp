#include "core/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"

namespace amor {

int FileDescriptor::close() {
  const int r = fd_ >= 0 ? ::close(fd_) : 0;
  fd_ = -1;
  return r;
}

std::string errno_text() { return std::strerror(errno); }

void write_file_atomically(const std::string& path, const std::vector<std::string_view>& pieces,
                           const char* op) {
  const std::string tmp = path + ".tmp";
  FileDescriptor fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  AMOR_CHECK(fd.get() >= 0, IOError, op, ": cannot write '", path, "' (creating the temporary file '", tmp,
             "' failed: ", errno_text(), ")");
  try {
    for (std::string_view piece : pieces) {
      const char* p = piece.data();
      size_t left = piece.size();
      while (left > 0) {
        const ssize_t w = ::write(fd.get(), p, left);
        if (w < 0 && errno == EINTR) continue;
        AMOR_CHECK(w > 0, IOError, op, ": writing '", tmp, "' (for '", path, "') failed: ",
                   w < 0 ? errno_text() : std::string("no progress"));
        p += w;
        left -= size_t(w);
      }
    }
    AMOR_CHECK(::fsync(fd.get()) == 0, IOError, op, ": fsync of '", tmp, "' failed: ", errno_text());
    AMOR_CHECK(fd.close() == 0, IOError, op, ": closing '", tmp, "' failed: ", errno_text());
    AMOR_CHECK(::rename(tmp.c_str(), path.c_str()) == 0, IOError, op, ": renaming '", tmp, "' to '", path,
               "' failed: ", errno_text());
  } catch (...) {
    fd.close();
    ::unlink(tmp.c_str());
    throw;
  }
  // Make the rename itself durable (best effort: some file systems refuse fsync on a directory).
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  FileDescriptor dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() >= 0) (void)::fsync(dfd.get());
}

std::string read_file(const std::string& path, const char* op) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  AMOR_CHECK(fd.get() >= 0, IOError, op, ": cannot open '", path, "': ", errno_text());
  struct stat st {};
  AMOR_CHECK(::fstat(fd.get(), &st) == 0, IOError, op, ": cannot stat '", path, "': ", errno_text());
  AMOR_CHECK(S_ISREG(st.st_mode), IOError, op, ": '", path, "' is not a regular file");
  std::string out;
  out.reserve(size_t(st.st_size));
  char buf[1 << 16];
  for (;;) {
    const ssize_t r = ::read(fd.get(), buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    AMOR_CHECK(r >= 0, IOError, op, ": reading '", path, "' failed: ", errno_text());
    if (r == 0) break;
    out.append(buf, size_t(r));
  }
  return out;
}

}  // namespace amor
