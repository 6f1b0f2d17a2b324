#include "nn/checkpoint.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>
#include <map>
#include <set>
#include <unordered_map>

#include "core/autograd.h"
#include "core/file_io.h"

namespace amor::nn {

static_assert(std::endian::native == std::endian::little,
              "checkpoint.cpp copies tensor bytes as they are: safetensors data is little-endian");

namespace {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

constexpr int kMaxJsonDepth = 16;  // a valid header nests 3 deep ({entry: {shape: [...]}})

// ---- small helpers ---------------------------------------------------------------------------

// A JSON rendering of `j` short enough for an error message.
std::string brief(const json& j) {
  std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}
// A key, quoted and escaped as JSON (names may hold any character).
std::string quote(const std::string& key) { return brief(json(key)); }

std::string label(const std::string& source) { return "safetensors '" + source + "'"; }

const char* safetensors_dtype(DType t) {
  switch (t) {
    case DType::F32: return "F32";
    case DType::F64: return "F64";
    case DType::I64: return "I64";
    case DType::Bool: return "BOOL";
  }
  return "?";
}

bool parse_dtype(const std::string& s, DType* out) {
  static const std::pair<const char*, DType> kNames[] = {
      {"F32", DType::F32}, {"F64", DType::F64}, {"I64", DType::I64}, {"BOOL", DType::Bool}};
  for (const auto& [name, t] : kNames)
    if (s == name) {
      *out = t;
      return true;
    }
  return false;
}

uint64_t read_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t(p[i]) << (8 * i);
  return v;
}


// ---- header validation -----------------------------------------------------------------------

struct Entry {
  std::string name;
  DType dtype = DType::F32;
  Shape shape;
  uint64_t begin = 0, end = 0;
};

struct Header {
  std::vector<Entry> entries;  // sorted by data offset
  json metadata = json::object();
};

// Checks the 8-byte length prefix against the total size of the file; returns the header length.
uint64_t check_header_length(const uint8_t* prefix, uint64_t total, const std::string& src) {
  AMOR_CHECK(total >= 8, IOError, label(src), ": file too short (", total,
             " bytes) to hold the 8-byte header length");
  const uint64_t n = read_u64_le(prefix);
  AMOR_CHECK(n <= kMaxSafetensorsHeader, IOError, label(src), ": header length ", n,
             " bytes is absurdly large (limit ", kMaxSafetensorsHeader, ")");
  AMOR_CHECK(n <= total - 8, IOError, label(src), ": header length ", n,
             " runs past the end of the file (", total - 8, " bytes follow the length)");
  AMOR_CHECK(n >= 2, IOError, label(src), ": header length ", n, " is too short for a JSON object");
  return n;
}

// Parses the JSON header, refusing duplicate keys (at any level) and deep nesting.
json parse_json(const char* text, size_t n, const std::string& src) {
  struct Scope {
    std::string name;  // the key this object sits under ("" at the top)
    std::set<std::string> keys;
  };
  std::vector<Scope> scopes;
  std::string last_key;
  auto callback = [&](int depth, json::parse_event_t event, json& parsed) {
    AMOR_CHECK(depth <= kMaxJsonDepth, IOError, label(src), ": header JSON nests deeper than ",
               kMaxJsonDepth, " levels");
    switch (event) {
      case json::parse_event_t::object_start:
        scopes.push_back({scopes.empty() ? std::string() : last_key, {}});
        break;
      case json::parse_event_t::object_end:
        if (!scopes.empty()) scopes.pop_back();
        break;
      case json::parse_event_t::key: {
        last_key = parsed.get<std::string>();
        if (!scopes.empty() && !scopes.back().keys.insert(last_key).second) {
          const std::string& where = scopes.back().name;
          throw IOError(detail::concat(label(src), ": duplicate key ", quote(last_key),
                                       where.empty() && scopes.size() == 1
                                           ? std::string(" in the header")
                                           : " under " + quote(where)));
        }
        break;
      }
      default: break;
    }
    return true;
  };
  try {
    return json::parse(text, text + n, callback, /*allow_exceptions=*/true, /*ignore_comments=*/false);
  } catch (const json::exception& e) {
    throw IOError(detail::concat(label(src), ": malformed JSON header: ", e.what()));
  }
}

// A non-negative JSON integer, or throws naming `what`.
uint64_t as_unsigned(const json& v, const std::string& src, const std::string& key, const char* what) {
  AMOR_CHECK(v.is_number_unsigned(), IOError, label(src), ": tensor ", quote(key), ": ", what,
             " must be non-negative integers, got ", brief(v));
  return v.get<uint64_t>();
}

Entry parse_entry(const std::string& key, const json& e, uint64_t data_size, const std::string& src) {
  const std::string at = label(src) + ": tensor " + quote(key);
  AMOR_CHECK(e.is_object(), IOError, at, ": entry must be a JSON object, got ", brief(e));
  for (const auto& [field, _] : e.items())
    AMOR_CHECK(field == "dtype" || field == "shape" || field == "data_offsets", IOError, at,
               ": unknown field ", quote(field), " (expected dtype, shape, data_offsets)");
  for (const char* field : {"dtype", "shape", "data_offsets"})
    AMOR_CHECK(e.contains(field), IOError, at, ": missing field \"", field, "\"");

  Entry out;
  out.name = key;
  const json& dt = e["dtype"];
  AMOR_CHECK(dt.is_string() && parse_dtype(dt.get<std::string>(), &out.dtype), IOError, at,
             ": unsupported dtype ", brief(dt), " (amor reads F32, F64, I64, BOOL)");

  const json& sh = e["shape"];
  AMOR_CHECK(sh.is_array(), IOError, at, ": shape must be a list of non-negative integers, got ", brief(sh));
  AMOR_CHECK(sh.size() <= size_t(kMaxDims), IOError, at, ": shape has ", sh.size(),
             " axes; amor tensors have at most ", kMaxDims);
  // Every stride (a product of sizes, zeros counted as one) must fit in int64.
  uint64_t extent = 1;
  bool has_zero = false;
  for (const json& d : sh) {
    const uint64_t v = as_unsigned(d, src, key, "shape entries");
    AMOR_CHECK(v <= uint64_t(std::numeric_limits<int64_t>::max()) &&
                   !__builtin_mul_overflow(extent, std::max<uint64_t>(v, 1), &extent) &&
                   extent <= uint64_t(std::numeric_limits<int64_t>::max()),
               IOError, at, ": shape ", brief(sh), " is too large");
    has_zero = has_zero || v == 0;
    out.shape.push_back(int64_t(v));
  }
  const uint64_t numel = has_zero ? 0 : extent;

  const json& off = e["data_offsets"];
  AMOR_CHECK(off.is_array() && off.size() == 2, IOError, at,
             ": data_offsets must be two integers [begin, end], got ", brief(off));
  out.begin = as_unsigned(off[0], src, key, "data_offsets");
  out.end = as_unsigned(off[1], src, key, "data_offsets");
  AMOR_CHECK(out.begin <= out.end, IOError, at, ": data_offsets ", brief(off), " has begin > end");
  AMOR_CHECK(out.end <= data_size, IOError, at, ": data_offsets ", brief(off),
             " run past the end of the data section (", data_size, " bytes)");
  uint64_t nbytes = 0;
  AMOR_CHECK(!__builtin_mul_overflow(numel, uint64_t(dtype_size(out.dtype)), &nbytes) &&
                 nbytes == out.end - out.begin,
             IOError, at, ": data_offsets ", brief(off), " span ", out.end - out.begin,
             " bytes but shape ", out.shape, " of ", safetensors_dtype(out.dtype), " needs ", numel,
             " x ", dtype_size(out.dtype), " bytes");
  return out;
}

// Validates the header text against a data section of `data_size` bytes.
Header parse_header(const char* text, size_t n, uint64_t data_size, const std::string& src) {
  const json root = parse_json(text, n, src);
  AMOR_CHECK(root.is_object(), IOError, label(src), ": header must be a JSON object, got ", brief(root));
  Header h;
  for (const auto& [key, value] : root.items()) {
    if (key == "__metadata__") {
      AMOR_CHECK(value.is_object(), IOError, label(src),
                 ": __metadata__ must be an object of strings, got ", brief(value));
      for (const auto& [mk, mv] : value.items())
        AMOR_CHECK(mv.is_string(), IOError, label(src), ": __metadata__ key ", quote(mk),
                   " must be a string (safetensors metadata is string-valued), got ", brief(mv));
      h.metadata = value;
      continue;
    }
    h.entries.push_back(parse_entry(key, value, data_size, src));
  }
  // The data section must be covered exactly: sorted by offset, each tensor starts where the
  // previous one ended, the first at 0, the last at the end of the file.
  std::sort(h.entries.begin(), h.entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t expected = 0;
  const Entry* prev = nullptr;
  for (const Entry& e : h.entries) {
    AMOR_CHECK(e.begin >= expected, IOError, label(src), ": tensor ", quote(e.name), " (bytes ", e.begin,
               "..", e.end, ") overlaps tensor ", quote(prev ? prev->name : ""), " (bytes ",
               prev ? prev->begin : 0, "..", expected, ")");
    AMOR_CHECK(e.begin == expected, IOError, label(src), ": gap of ", e.begin - expected,
               " bytes before tensor ", quote(e.name), " (safetensors data must be contiguous)");
    expected = e.end;
    prev = &e;
  }
  AMOR_CHECK(expected == data_size, IOError, label(src), ": the tensors cover ", expected,
             " bytes of a ", data_size, "-byte data section (", data_size - expected,
             " trailing bytes)");
  return h;
}

// Copies `e`'s bytes into a new tensor, checking BOOL bytes.
Tensor make_tensor(const Entry& e, const uint8_t* bytes, const std::string& src) {
  Tensor t = Tensor::empty(e.shape, e.dtype);
  const size_t n = size_t(e.end - e.begin);
  if (n) std::memcpy(t.raw_data(), bytes, n);
  if (e.dtype == DType::Bool) {
    const uint8_t* p = static_cast<const uint8_t*>(t.raw_data());
    for (size_t i = 0; i < n; ++i)
      AMOR_CHECK(p[i] <= 1, IOError, label(src), ": tensor ", quote(e.name), ": BOOL element ", i,
                 " holds byte ", int(p[i]), " (expected 0 or 1)");
  }
  return t;
}

// ---- files -----------------------------------------------------------------------------------


// Reads exactly `n` bytes at `offset`.
void read_exact(int fd, void* buf, size_t n, uint64_t offset, const std::string& path) {
  auto* p = static_cast<char*>(buf);
  while (n > 0) {
    const ssize_t r = ::pread(fd, p, n, off_t(offset));
    if (r < 0 && errno == EINTR) continue;
    AMOR_CHECK(r > 0, IOError, label(path), ": read failed at byte ", offset, ": ",
               r < 0 ? errno_text() : std::string("unexpected end of file"));
    p += r;
    n -= size_t(r);
    offset += uint64_t(r);
  }
}

struct OpenedFile {
  std::unique_ptr<FileDescriptor> fd;
  Header header;
  uint64_t data_start = 0;
};

// Opens `path` and reads and validates its header (not its data).
OpenedFile open_safetensors(const std::string& path) {
  OpenedFile f;
  f.fd = std::make_unique<FileDescriptor>(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  AMOR_CHECK(f.fd->get() >= 0, IOError, label(path), ": cannot open: ", errno_text());
  struct stat st {};
  AMOR_CHECK(::fstat(f.fd->get(), &st) == 0, IOError, label(path), ": cannot stat: ", errno_text());
  AMOR_CHECK(S_ISREG(st.st_mode), IOError, label(path), ": not a regular file");
  const uint64_t total = uint64_t(st.st_size);
  uint8_t prefix[8] = {};
  if (total >= 8) read_exact(f.fd->get(), prefix, 8, 0, path);
  const uint64_t n = check_header_length(prefix, total, path);
  std::string text(size_t(n), '\0');
  read_exact(f.fd->get(), text.data(), text.size(), 8, path);
  f.data_start = 8 + n;
  f.header = parse_header(text.data(), text.size(), total - f.data_start, path);
  return f;
}

// ---- writing ---------------------------------------------------------------------------------

void check_metadata_arg(const json& metadata, const char* op) {
  if (metadata.is_null()) return;
  AMOR_CHECK(metadata.is_object(), ValueError, op, ": metadata must be a JSON object of strings, got ",
             brief(metadata));
  for (const auto& [k, v] : metadata.items())
    AMOR_CHECK(v.is_string(), ValueError, op, ": metadata value for ", quote(k),
               " must be a string (safetensors metadata is string-valued), got ", brief(v));
}

}  // namespace

// ---- raw safetensors ---------------------------------------------------------------------------

void write_safetensors(const std::string& path, const NamedTensors& tensors, const json& metadata) {
  check_metadata_arg(metadata, "write_safetensors");
  NoGradGuard no_grad;
  ordered_json header = ordered_json::object();
  if (metadata.is_object() && !metadata.empty()) {
    ordered_json md = ordered_json::object();
    for (const auto& [k, v] : metadata.items()) md[k] = v.get<std::string>();
    header["__metadata__"] = std::move(md);
  }
  std::vector<Tensor> data;  // contiguous CPU copies, kept alive until written
  std::vector<std::pair<const void*, size_t>> pieces;
  std::set<std::string> seen;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    AMOR_CHECK(!name.empty() && name != "__metadata__", ValueError, "write_safetensors: '", path,
               "': invalid tensor name ", quote(name));
    AMOR_CHECK(seen.insert(name).second, ValueError, "write_safetensors: '", path,
               "': duplicate tensor name ", quote(name));
    AMOR_CHECK(t.defined(), ValueError, "write_safetensors: '", path, "': tensor ", quote(name),
               " is undefined");
    Tensor c = t.detach();
    if (!c.device().is_cpu()) c = c.to(Device::cpu());
    c = c.contiguous();
    const size_t nbytes = size_t(c.numel()) * dtype_size(c.dtype());
    header[name] = ordered_json{{"dtype", safetensors_dtype(c.dtype())},
                                {"shape", c.shape().vec()},
                                {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
    pieces.emplace_back(nbytes ? c.raw_data() : nullptr, nbytes);
    data.push_back(std::move(c));
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const ordered_json::exception& e) {
    throw ValueError(detail::concat("write_safetensors: '", path,
                                    "': names and metadata must be valid UTF-8: ", e.what()));
  }
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string head(8, '\0');
  for (int i = 0; i < 8; ++i) head[size_t(i)] = char((uint64_t(text.size()) >> (8 * i)) & 0xff);
  head += text;
  std::vector<std::string_view> parts{head};
  for (const auto& [p, n] : pieces)
    if (n) parts.emplace_back(static_cast<const char*>(p), n);
  write_file_atomically(path, parts, "write_safetensors");
}

NamedTensors read_safetensors_from_memory(const uint8_t* data, size_t size, json* metadata_out,
                                          const std::string& source) {
  AMOR_CHECK(data != nullptr || size == 0, ValueError, "read_safetensors_from_memory: null buffer");
  const uint64_t n = check_header_length(data, size, source);
  const uint8_t* body = data + 8 + n;
  const uint64_t data_size = uint64_t(size) - 8 - n;
  Header h = parse_header(reinterpret_cast<const char*>(data + 8), size_t(n), data_size, source);
  NamedTensors out;
  out.reserve(h.entries.size());
  for (const Entry& e : h.entries) out.emplace_back(e.name, make_tensor(e, body + e.begin, source));
  if (metadata_out) *metadata_out = std::move(h.metadata);
  return out;
}

NamedTensors read_safetensors(const std::string& path, json* metadata_out) {
  OpenedFile f = open_safetensors(path);
  NamedTensors out;
  out.reserve(f.header.entries.size());
  std::vector<uint8_t> buf;
  for (const Entry& e : f.header.entries) {
    buf.resize(size_t(e.end - e.begin));
    if (!buf.empty()) read_exact(f.fd->get(), buf.data(), buf.size(), f.data_start + e.begin, path);
    out.emplace_back(e.name, make_tensor(e, buf.data(), path));
  }
  if (metadata_out) *metadata_out = std::move(f.header.metadata);
  return out;
}

json read_safetensors_metadata(const std::string& path) { return open_safetensors(path).header.metadata; }

// ---- modules -----------------------------------------------------------------------------------

namespace {

// Refuses files whose amor metadata names another format, version or (when given) module type.
void check_checkpoint_metadata(const json& md, const std::string& path, const std::string* module_type) {
  auto field = [&](const char* k) -> const std::string* {
    auto it = md.find(k);
    return it == md.end() ? nullptr : it->get_ptr<const std::string*>();
  };
  if (const std::string* f = field("format"))
    AMOR_CHECK(*f == kCheckpointFormat, IOError, label(path), ": __metadata__ format is ", quote(*f),
               ", not \"", kCheckpointFormat, "\"");
  if (const std::string* v = field("format_version"))
    AMOR_CHECK(*v == kCheckpointFormatVersion, IOError, label(path), ": checkpoint format_version ",
               quote(*v), " is not supported (this build reads version ", kCheckpointFormatVersion, ")");
  if (module_type)
    if (const std::string* m = field("module"))
      AMOR_CHECK(*m == *module_type, IOError, label(path), ": checkpoint of a ", quote(*m),
                 " cannot be loaded into a ", quote(*module_type));
}

std::string list_names(const std::vector<std::string>& names) {
  std::string s;
  const size_t shown = std::min<size_t>(names.size(), 8);
  for (size_t i = 0; i < shown; ++i) s += (i ? ", " : "") + quote(names[i]);
  if (names.size() > shown) s += detail::concat(", ... (", names.size() - shown, " more)");
  return s;
}

}  // namespace

void save_checkpoint(const Module& m, const std::string& path, const json& config) {
  std::string config_text;
  try {
    config_text = config.dump();
  } catch (const json::exception& e) {
    throw ValueError(detail::concat("save_checkpoint: '", path, "': config must be valid UTF-8 JSON: ",
                                    e.what()));
  }
  const json metadata = {{"format", kCheckpointFormat},
                         {"format_version", kCheckpointFormatVersion},
                         {"module", m.type_name()},
                         {"config", config_text}};
  write_safetensors(path, m.state(), metadata);
}

void load_checkpoint(Module& m, const std::string& path) {
  json metadata;
  NamedTensors loaded = read_safetensors(path, &metadata);
  const std::string type = m.type_name();
  check_checkpoint_metadata(metadata, path, &type);

  // Validate everything before writing anything.
  std::unordered_map<std::string, const Tensor*> by_name;
  for (const auto& [name, t] : loaded) by_name.emplace(name, &t);
  std::vector<std::string> missing, unexpected;
  std::set<std::string> expected_names;
  std::vector<std::pair<Tensor*, const Tensor*>> copies;
  for (const auto& [name, _] : m.state()) {
    expected_names.insert(name);
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      missing.push_back(name);
      continue;
    }
    Tensor* slot = m.find_state(name);
    AMOR_INTERNAL_CHECK(slot != nullptr, "state key ", name, " not found by find_state");
    const Tensor& src = *it->second;
    AMOR_CHECK(slot->dtype() == src.dtype(), DTypeError, "load_checkpoint: ", label(path), ": tensor ",
               quote(name), " is ", src.dtype(), " in the file but ", slot->dtype(), " in the ", type);
    AMOR_CHECK(slot->shape() == src.shape(), ShapeError, "load_checkpoint: ", label(path), ": tensor ",
               quote(name), " has shape ", src.shape(), " in the file but ", slot->shape(), " in the ",
               type);
    copies.emplace_back(slot, &src);
  }
  for (const auto& [name, _] : loaded)
    if (!expected_names.count(name)) unexpected.push_back(name);
  AMOR_CHECK(missing.empty() && unexpected.empty(), IOError, "load_checkpoint: ", label(path),
             " does not match the ", type, ":",
             missing.empty() ? std::string() : " missing keys " + list_names(missing),
             !missing.empty() && !unexpected.empty() ? ";" : "",
             unexpected.empty() ? std::string() : " unexpected keys " + list_names(unexpected));

  NoGradGuard no_grad;
  // Into the module's own tensors, on whichever device each lives (one host-to-device copy).
  for (auto& [slot, src] : copies) slot->copy_(slot->device() == src->device() ? *src : src->to(slot->device()));
}

void load_checkpoint(Module& m, const std::string& path, Device device) {
  load_checkpoint(m, path);
  m.to(device);
}

json read_checkpoint_config(const std::string& path) {
  const json md = read_safetensors_metadata(path);
  check_checkpoint_metadata(md, path, nullptr);
  auto it = md.find("config");
  if (it == md.end()) return nullptr;
  try {
    return json::parse(it->get<std::string>());
  } catch (const json::exception& e) {
    throw IOError(detail::concat(label(path), ": __metadata__ config is not valid JSON: ", e.what()));
  }
}

}  // namespace amor::nn
