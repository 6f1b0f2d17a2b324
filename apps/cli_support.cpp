#include "apps/cli_support.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <set>

#include "core/error.h"
#include "core/file_io.h"
#include "sbi/device_option.h"
#include "sbi/io/csv.h"

namespace amor::apps {

namespace fs = std::filesystem;

int64_t parse_int_flag(const std::string& flag, const std::string& text, int64_t lo, int64_t hi) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec == std::errc::result_out_of_range)
    throw ValueError(detail::concat(flag, ": '", text, "' is out of range (at most ", hi, ")"));
  AMOR_CHECK(!text.empty() && ec == std::errc() && ptr == end, ValueError, flag, ": '", text,
             "' is not a whole number");
  AMOR_CHECK(v >= lo, ValueError, flag, ": ", v, " must be at least ", lo);
  AMOR_CHECK(v <= hi, ValueError, flag, ": ", v, " must be at most ", hi);
  return v;
}

uint64_t parse_seed_flag(const std::string& flag, const std::string& text) {
  uint64_t v = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  AMOR_CHECK(ec != std::errc::result_out_of_range, ValueError, flag, ": '", text,
             "' is out of range (a seed is at most 18446744073709551615)");
  AMOR_CHECK(!text.empty() && ec == std::errc() && ptr == end, ValueError, flag, ": '", text,
             "' is not a non-negative whole number");
  return v;
}

namespace {
// sbi's device messages start with "device" ("device: 'x' is not a device", "device cuda:1: ...");
// after the flag's name that word is redundant.
std::string device_reason(const char* what) {
  const std::string s = what;
  for (const std::string prefix : {"device: ", "device "})
    if (s.rfind(prefix, 0) == 0) return s.substr(prefix.size());
  return s;
}
}  // namespace

Device parse_device_flag(const std::string& flag, const std::string& text) {
  Device device;
  try {
    device = sbi::parse_device(text);
    sbi::require_device(device);
  } catch (const DeviceError& e) {
    throw DeviceError(flag + ": " + device_reason(e.what()));
  } catch (const ValueError& e) {
    throw ValueError(flag + ": " + device_reason(e.what()));
  }
  return device;
}

nlohmann::json with_device(nlohmann::json config, const std::string& device_text) {
  if (!device_text.empty()) {
    config["device"] = sbi::device_string(parse_device_flag("--device", device_text));
  } else if (config.is_object() && config.contains("device")) {
    // A device named in the configuration file is checked now too, not after the simulations.
    sbi::require_device(sbi::device_from_json(config["device"], "--config"));
  }
  return config;
}

std::vector<int> parse_observation_list(const std::string& flag, const std::string& text,
                                        int available) {
  AMOR_CHECK(available > 0, ValueError, flag, ": the task has no reference observations");
  std::set<int> picked;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    const std::string item = text.substr(start, comma - start);
    AMOR_CHECK(!item.empty(), ValueError, flag, ": '", text,
               "' has an empty item (use e.g. 1-10, 3 or 1,4-6)");
    const size_t dash = item.find('-');
    const std::string a = item.substr(0, dash);
    const std::string b = dash == std::string::npos ? a : item.substr(dash + 1);
    const auto lo = parse_int_flag(flag, a, 1, available);
    const auto hi = parse_int_flag(flag, b, 1, available);
    AMOR_CHECK(lo <= hi, ValueError, flag, ": the range '", item, "' runs backwards");
    for (auto k = lo; k <= hi; ++k) picked.insert(static_cast<int>(k));
    start = comma + 1;
  }
  return {picked.begin(), picked.end()};
}

void check_output_file(const std::string& flag, const std::string& path) {
  AMOR_CHECK(!path.empty(), IOError, flag, ": the output path is empty");
  std::error_code ec;
  AMOR_CHECK(!fs::is_directory(path, ec), IOError, flag, ": cannot write '", path,
             "': it is a directory");
  fs::path parent = fs::path(path).parent_path();
  if (parent.empty()) parent = ".";
  AMOR_CHECK(fs::is_directory(parent, ec), IOError, flag, ": cannot write '", path,
             "': directory '", parent.string(), "' does not exist");
  AMOR_CHECK(::access(parent.c_str(), W_OK) == 0, IOError, flag, ": cannot write '", path,
             "': directory '", parent.string(), "' is not writable");
}

void ensure_output_dir(const std::string& flag, const std::string& dir) {
  AMOR_CHECK(!dir.empty(), IOError, flag, ": the output directory is empty");
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    AMOR_CHECK(!ec, IOError, flag, ": cannot create directory '", dir, "': ", ec.message());
  }
  AMOR_CHECK(fs::is_directory(dir, ec), IOError, flag, ": '", dir, "' exists and is not a directory");
  AMOR_CHECK(::access(dir.c_str(), W_OK) == 0, IOError, flag, ": directory '", dir,
             "' is not writable");
}

nlohmann::json method_config(const std::string& method, const std::string& config_path,
                             const std::string& estimator, const std::string& summary) {
  nlohmann::json config = config_path.empty() ? nlohmann::json::object() : read_json_object("--config", config_path);
  if (!estimator.empty()) {
    AMOR_CHECK(method == "npe" || method == "nle", ValueError, "--estimator applies to npe and nle, not to '",
               method, "'");
    config["estimator"] = estimator;
  }
  if (!summary.empty()) {
    AMOR_CHECK(method == "npe", ValueError, "--summary applies to npe (a summary network learned with the flow), not to '",
               method, "'");
    config["summary"] = summary;
  }
  return config;
}

nlohmann::json read_json_object(const std::string& flag, const std::string& path) {
  const std::string text = read_file(path, flag.c_str());
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw IOError(detail::concat(flag, ": '", path, "' is not valid JSON (at byte ", e.byte, ")"));
  }
  AMOR_CHECK(j.is_object(), IOError, flag, ": '", path, "' must hold a JSON object, not ",
             j.type_name());
  return j;
}

plot::SampleTable to_sample_table(const std::vector<std::string>& names, const Tensor& values) {
  plot::SampleTable t;
  t.names = names;
  const Tensor v = values.to(DType::F64).contiguous();
  t.values.assign(v.data<double>(), v.data<double>() + v.numel());
  return t;
}

plot::SampleTable read_sample_table(const std::string& path) {
  const sbi::io::CsvTable csv = sbi::io::read_csv(path);
  return to_sample_table(csv.header, csv.values);
}

void write_table(const std::string& path, const std::vector<std::string>& names,
                 const Tensor& values) {
  sbi::io::write_csv(path, names, values);
}

void print_table(std::FILE* out, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  auto display_width = [](const std::string& s) {
    // UTF-8 continuation bytes take no column.
    return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) {
      return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
    }));
  };
  for (const auto& row : rows)
    for (size_t c = 0; c < row.size(); ++c) {
      if (width.size() <= c) width.push_back(0);
      width[c] = std::max(width[c], display_width(row[c]));
    }
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(width[c] - display_width(row[c]) + 2, ' ');
    }
    std::fprintf(out, "%s\n", line.c_str());
  }
}

sbi::TaskPtr task_of_model(const std::string& task_name, const std::string& model_path, const std::string& data_dir,
                           const std::string& needs) {
  try {
    return sbi::make_task(task_name, {.data_dir = data_dir});
  } catch (const ValueError&) {
    throw ValueError(detail::concat("--model '", model_path, "' is a model of task '", task_name,
                                    "', which is not registered here: ", needs));
  }
}

std::string format_seconds(double s) {
  char buf[64];
  if (!std::isfinite(s) || s < 0) return "?";
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%.2f s", s);
  } else if (s < 3600) {
    const long t = std::lround(s);
    std::snprintf(buf, sizeof buf, "%ld min %02ld s", t / 60, t % 60);
  } else {
    const long t = std::lround(s / 60);
    std::snprintf(buf, sizeof buf, "%ld h %02ld min", t / 60, t % 60);
  }
  return buf;
}

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

}  // namespace amor::apps
