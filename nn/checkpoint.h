// Checkpoints: a module's state (parameters then buffers, by dotted name) in the huggingface
// safetensors format, readable by `safetensors.numpy.load_file` / `safetensors.torch.load_file`.
//
// File layout:
//   [8 bytes]  N, little-endian u64: the length of the header
//   [N bytes]  UTF-8 JSON object, padded with spaces to a multiple of 8:
//                {"__metadata__": {"key": "string value", ...},
//                 "name": {"dtype": "F32"|"F64"|"I64"|"BOOL", "shape": [d0, d1, ...],
//                          "data_offsets": [begin, end]}, ...}
//   [rest]     the raw little-endian, row-major data. Offsets are relative to the first byte
//              after the header; tensors are laid out back to back in header order, with no gaps
//              and nothing after the last one.
//
// save_checkpoint stores under __metadata__ (values must be strings, as the format requires):
//   format = "amor-checkpoint", format_version = "1", module = m.type_name(), and
//   config = the caller's JSON (the architecture: what is needed to rebuild the module) dumped to
//   a string. read_checkpoint_config() gives it back parsed, so a loader can rebuild the module
//   before calling load_checkpoint.
//
// Writing is atomic: the file is written to `path + ".tmp"`, flushed to disk and renamed over
// `path`, so a crash leaves either the old file or the new one, never a torn one.
//
// Reading validates everything before touching a tensor and throws amor::IOError naming the file
// and the offending key: truncated file, header length past the end of the file (or over 100 MB),
// malformed JSON, an entry that is not an object, unknown dtype, a shape that is not a list of at
// most 8 non-negative integers, data_offsets that are not two integers or are reversed, past the
// data, of the wrong size for the shape and dtype, overlapping or leaving gaps, non-string
// metadata, duplicate keys, BOOL bytes other than 0/1. Never a crash or an out-of-bounds read
// (tests/fuzz/fuzz_safetensors.cpp fuzzes read_safetensors_from_memory).
//
// load_checkpoint additionally requires the file's keys to be exactly the module's state keys
// (IOError listing missing and unexpected keys), each with the module's shape (ShapeError) and
// dtype (DTypeError; no silent conversion). Nothing is written into the module until the whole
// file has been validated; values are then copied into the module's own tensors under
// NoGradGuard, so parameters keep their identity (optimizers holding them stay valid). A file
// without amor metadata (e.g. written by Python) loads as long as its tensors match; a file whose
// metadata names another format, format version or module type is refused.
//
// Devices: save_checkpoint copies tensors living on a device to the host to write them;
// load_checkpoint copies the file's values onto the device where each module tensor lives, and
// the overload with a Device loads and then moves the module there (Module::to, in place).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/tensor.h"
#include "nn/module.h"

namespace amor::nn {

inline constexpr const char* kCheckpointFormat = "amor-checkpoint";
inline constexpr const char* kCheckpointFormatVersion = "1";
// Largest header accepted by the readers (the limit the reference implementation uses).
inline constexpr uint64_t kMaxSafetensorsHeader = 100'000'000;

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

// ---- modules --------------------------------------------------------------------------------
// `config` is any JSON value (null = none); it is stored dumped under __metadata__["config"].
void save_checkpoint(const Module& m, const std::string& path, const nlohmann::json& config = {});
void load_checkpoint(Module& m, const std::string& path);
void load_checkpoint(Module& m, const std::string& path, Device device);
// The `config` JSON stored by save_checkpoint (null if the file has none). Reads the header only.
nlohmann::json read_checkpoint_config(const std::string& path);

// ---- raw safetensors ------------------------------------------------------------------------
// Writes `tensors` (any of F32/F64/I64/Bool, CPU, any layout) in the given order. `metadata` is
// null or a JSON object whose values are all strings. Names must be unique, non-empty and not
// "__metadata__". Atomic as described above.
void write_safetensors(const std::string& path, const NamedTensors& tensors,
                       const nlohmann::json& metadata = {});
// The tensors in file (data offset) order, as fresh contiguous CPU tensors. `metadata_out`, when
// given, receives the __metadata__ object (an empty object when the file has none).
NamedTensors read_safetensors(const std::string& path, nlohmann::json* metadata_out = nullptr);
// The same from a buffer holding a whole file; `source` names it in error messages.
NamedTensors read_safetensors_from_memory(const uint8_t* data, size_t size,
                                          nlohmann::json* metadata_out = nullptr,
                                          const std::string& source = "<memory>");
// The __metadata__ object only (header read and validated against the file size; no data read).
nlohmann::json read_safetensors_metadata(const std::string& path);

}  // namespace amor::nn
