// libFuzzer target for the safetensors reader (nn/checkpoint.h). Any input must either parse into
// tensors that exactly cover the data section or throw amor::Error; a crash, sanitizer report,
// other exception or broken invariant is a bug. Built and run by tests/fuzz/run_fuzz.sh (clang only).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "core/error.h"
#include "nn/checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    nlohmann::json metadata;
    const amor::nn::NamedTensors tensors = amor::nn::read_safetensors_from_memory(data, size, &metadata);
    // Invariants of a successful read: string-valued metadata, tensors covering exactly the bytes
    // after the header, every byte of each tensor readable.
    if (!metadata.is_object()) std::abort();
    for (const auto& [k, v] : metadata.items())
      if (!v.is_string()) std::abort();
    uint64_t header = 0;
    for (int i = 0; i < 8; ++i) header |= uint64_t(data[i]) << (8 * i);
    uint64_t covered = 0;
    unsigned checksum = 0;
    for (const auto& [name, t] : tensors) {
      const size_t n = size_t(t.numel()) * amor::dtype_size(t.dtype());
      covered += n;
      const auto* p = static_cast<const uint8_t*>(n ? t.raw_data() : nullptr);
      for (size_t i = 0; i < n; ++i) checksum += p[i];
      if (name == "__metadata__") std::abort();
    }
    if (covered != size - 8 - header) std::abort();
    if (checksum == 0xdeadbeef) std::abort();  // keeps the reads from being optimised away
  } catch (const amor::Error&) {
    // Rejected input: the expected outcome for almost every mutation.
  }
  return 0;
}
