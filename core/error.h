// Errors. Everything a user controls is checked and reported by throwing amor::Error (or one of
// its typed subclasses) with a message naming the operation and the offending shapes/values.
// Nothing a user controls is guarded by assert().
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace amor {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Typed errors so callers can tell what went wrong without parsing the message.
class ShapeError : public Error { using Error::Error; };
class DTypeError : public Error { using Error::Error; };
class DeviceError : public Error { using Error::Error; };
class IndexError : public Error { using Error::Error; };
class ValueError : public Error { using Error::Error; };
class AutogradError : public Error { using Error::Error; };
class IOError : public Error { using Error::Error; };
class NotImplementedError : public Error { using Error::Error; };

namespace detail {
template <class... Args>
std::string concat(Args&&... args) {
  std::ostringstream os;
  (os << ... << std::forward<Args>(args));
  return os.str();
}
}  // namespace detail

}  // namespace amor

// AMOR_CHECK(cond, ErrorType, message parts...): throws ErrorType with the parts streamed together.
#define AMOR_CHECK(cond, ErrorType, ...)                          \
  do {                                                            \
    if (!(cond)) [[unlikely]]                                     \
      throw ErrorType(::amor::detail::concat(__VA_ARGS__));       \
  } while (0)

// AMOR_INTERNAL_CHECK: an invariant of amor itself (a bug in amor if it fails, not in user code).
#define AMOR_INTERNAL_CHECK(cond, ...)                                                        \
  do {                                                                                        \
    if (!(cond)) [[unlikely]]                                                                 \
      throw ::amor::Error(::amor::detail::concat("internal error at ", __FILE__, ":", __LINE__, \
                                                 ": ", #cond __VA_OPT__(, " ", ) __VA_ARGS__));  \
  } while (0)
