// CUDA device discovery. A plain C++ header (no CUDA types), so any layer can include it; the
// implementation lives in kernels/cuda/device.cu and is only built when AMOR_CUDA is on
// (then amor_kernels carries the compile definition AMOR_HAS_CUDA=1).
#pragma once

#include <string>

namespace amor {

// Number of usable CUDA devices (queried once per process, then cached). Returns 0 when there is
// no device, no driver, or the driver is too old for the runtime; never throws and never aborts.
int cuda_device_count() noexcept;

// The device's name ("NVIDIA H100 80GB HBM3"), or an empty string when `index` is not a usable
// device. Never throws CUDA errors.
std::string cuda_device_name(int index);

// Runs a tiny kernel (y = a*x + y on 1024 floats) on device `index` and checks the result on the
// host. Returns true on success; on failure returns false and, when `error` is non-null, stores
// a description. Used by the gpu tests to prove the compiled device code really runs.
bool cuda_smoke_test(int index = 0, std::string* error = nullptr);

}  // namespace amor
