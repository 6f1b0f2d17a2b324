// The `device` option of the inference methods and of `amor train / sample / evaluate`:
// "cpu" (the default), "cuda" (= "cuda:0") or "cuda:N".
//
// parse_device only reads the text (ValueError for anything else, naming it); whether the device
// can be used here is require_device's question (DeviceError when amor was built without CUDA,
// when the machine has no CUDA device, or when N is past the last one), asked before any work
// starts so a run fails at once rather than after its simulations.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/dtype.h"

namespace amor::sbi {

// "cpu" | "cuda" | "cuda:N" (N a decimal integer, 0 <= N < 128) -> Device. ValueError otherwise.
Device parse_device(const std::string& text);
// The canonical text: "cpu" or "cuda:N".
std::string device_string(Device device);
// A JSON configuration's "device" entry: a string parse_device accepts. `who` names the
// configuration in the ValueError ("npe", "simformer", ...).
Device device_from_json(const nlohmann::json& value, const char* who);

// Whether amor was built with its CUDA backend.
bool cuda_built();
// Number of usable CUDA devices (0 without the backend or without a device).
int cuda_devices();
// Throws DeviceError, saying why, unless `device` can be used by this build on this machine.
void require_device(Device device);

}  // namespace amor::sbi
