// Helpers shared by the commands: strict parsing of numeric flags, output-path checks, JSON
// configs, reading and writing sample tables, aligned text tables. Every failure is an
// amor::Error whose message names the flag or file at fault.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "apps/plot/pair_plot.h"
#include "core/tensor.h"
#include "sbi/task.h"

namespace amor::apps {

// A whole number in [lo, hi] ("10000"; no sign unless lo < 0, no decimals or exponents):
// ValueError "--n: 'abc' is not a whole number" / "... must be at least 1".
int64_t parse_int_flag(const std::string& flag, const std::string& text, int64_t lo, int64_t hi);
uint64_t parse_seed_flag(const std::string& flag, const std::string& text);
// "cpu", "cuda" or "cuda:N" (sbi/device_option.h), usable here: ValueError for any other text,
// DeviceError when amor was built without CUDA, the machine has no CUDA device, or N is past the
// last one. Both name the flag.
Device parse_device_flag(const std::string& flag, const std::string& text);
// The method configuration with "device" set when the flag was given (`device_text` non-empty;
// it overrides the configuration file's), else unchanged; either way the device it names is
// checked as parse_device_flag does, before any simulation or training.
nlohmann::json with_device(nlohmann::json config, const std::string& device_text);

// "1-10", "3", "1,4-6" -> sorted unique 1-based indices, each in [1, available].
std::vector<int> parse_observation_list(const std::string& flag, const std::string& text,
                                        int available);

// Fails early (before any work) when `path` cannot be written: it is empty, a directory, or its
// parent directory is missing or not writable. IOError naming the flag and path.
void check_output_file(const std::string& flag, const std::string& path);
// Creates `dir` (and its parents) when missing; IOError when that fails or it is not writable.
void ensure_output_dir(const std::string& flag, const std::string& dir);

// A JSON object from `path`; IOError naming the file (and the position of a syntax error).
nlohmann::json read_json_object(const std::string& flag, const std::string& path);

// The method settings of `amor train` / `amor evaluate`: the JSON object in `config_path` (or {}),
// with the --estimator and --summary flags, when given, written over its "estimator" and "summary"
// keys. ValueError when a flag does not apply to `method` (--estimator: npe and nle; --summary:
// npe); the method itself checks the names.
nlohmann::json method_config(const std::string& method, const std::string& config_path,
                             const std::string& estimator, const std::string& summary);

// A sample table read from a CSV (header, numbers, no NaN): IOError naming file:line:column.
plot::SampleTable read_sample_table(const std::string& path);
plot::SampleTable to_sample_table(const std::vector<std::string>& names, const Tensor& values);

// Writes `values` ([rows, names.size()]) as a CSV with one header line.
void write_table(const std::string& path, const std::vector<std::string>& names,
                 const Tensor& values);

// Column-aligned rows (the first row is the header), two spaces apart.
void print_table(std::FILE* out, const std::vector<std::vector<std::string>>& rows);

// The task a saved model names (task_name, read from the checkpoint at model_path), made with
// data_dir; ValueError naming the model and saying what the command `needs` when that task is not
// registered here.
sbi::TaskPtr task_of_model(const std::string& task_name, const std::string& model_path, const std::string& data_dir,
                           const std::string& needs);

// "1.23 s", "2 min 05 s", "1 h 02 min".
std::string format_seconds(double s);
// One line: line breaks and tabs become spaces.
std::string one_line(std::string s);

}  // namespace amor::apps
