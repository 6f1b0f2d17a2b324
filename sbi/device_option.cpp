#include "sbi/device_option.h"

#include <cctype>

#include "core/error.h"
#ifdef AMOR_HAS_CUDA
#include "kernels/cuda/device.h"
#endif

namespace amor::sbi {

namespace {
constexpr int kMaxDeviceIndex = 127;  // Device::index is an int8_t

[[noreturn]] void bad_device(const std::string& text) {
  throw ValueError("device: '" + text + "' is not a device; expected \"cpu\", \"cuda\" or \"cuda:N\"");
}
}  // namespace

Device parse_device(const std::string& text) {
  if (text == "cpu") return Device::cpu();
  if (text == "cuda") return Device::cuda(0);
  const std::string prefix = "cuda:";
  if (text.size() <= prefix.size() || text.compare(0, prefix.size(), prefix) != 0) bad_device(text);
  const std::string digits = text.substr(prefix.size());
  if (digits.size() > 3) bad_device(text);
  int index = 0;
  for (char ch : digits) {
    if (!std::isdigit(static_cast<unsigned char>(ch))) bad_device(text);
    index = index * 10 + (ch - '0');
  }
  if (index > kMaxDeviceIndex) bad_device(text);
  return Device::cuda(index);
}

std::string device_string(Device device) { return device.str(); }

Device device_from_json(const nlohmann::json& value, const char* who) {
  if (!value.is_string())
    throw ValueError(std::string(who) + ": 'device' must be a string (\"cpu\", \"cuda\" or \"cuda:N\")");
  try {
    return parse_device(value.get<std::string>());
  } catch (const ValueError& e) {
    throw ValueError(std::string(who) + ": " + e.what());
  }
}

bool cuda_built() {
#ifdef AMOR_HAS_CUDA
  return true;
#else
  return false;
#endif
}

int cuda_devices() {
#ifdef AMOR_HAS_CUDA
  return cuda_device_count();
#else
  return 0;
#endif
}

void require_device(Device device) {
  if (device.is_cpu()) return;
  if (!cuda_built())
    throw DeviceError("device " + device.str() + ": this amor was built without CUDA (configure with nvcc present, AMOR_CUDA=ON)");
  const int count = cuda_devices();
  if (count == 0) throw DeviceError("device " + device.str() + ": no usable CUDA device on this machine (or no driver)");
  if (device.index >= count)
    throw DeviceError("device " + device.str() + ": this machine has " + std::to_string(count) + " CUDA device" +
                      (count == 1 ? "" : "s") + " (cuda:0" + (count > 1 ? "..cuda:" + std::to_string(count - 1) : "") + ")");
}

}  // namespace amor::sbi
