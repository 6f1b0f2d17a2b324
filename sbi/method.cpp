#include "sbi/method.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <utility>

#include "core/error.h"
#include "nn/checkpoint.h"
#include "sbi/nle/nle.h"
#include "sbi/npe/npe.h"
#include "sbi/simformer/simformer_method.h"

namespace amor::sbi {

namespace {

// The methods the command line knows, in the order it lists them.
const std::vector<std::string>& known_methods() {
  static const std::vector<std::string> names = {"npe", "nle", "simformer"};
  return names;
}

struct BuiltinMethod {
  const char* name;
  std::shared_ptr<const Method> (*make)();
};

// The built-in implementations, one line each:
//   {"npe", [] -> std::shared_ptr<const Method> { return std::make_shared<npe::NpeMethod>(); }},
// (with the method's header included above). A table rather than static registrars, which the
// linker would drop from the static library. Empty until the methods land: each method's author
// adds its line here. A known name without a line gives NotImplementedError from find_method.
const std::vector<BuiltinMethod>& builtin_methods() {
  static const std::vector<BuiltinMethod> table = {
      {"npe", []() -> std::shared_ptr<const Method> { return std::make_shared<npe::NpeMethod>(); }},
      {"nle", []() -> std::shared_ptr<const Method> { return std::make_shared<nle::NleMethod>(); }},
      {"simformer", []() -> std::shared_ptr<const Method> { return std::make_shared<simformer::SimformerMethod>(); }},
  };
  return table;
}

struct Registry {
  std::mutex mutex;
  std::map<std::string, std::shared_ptr<const Method>> methods;
  bool builtins_loaded = false;
};

// The registry, with the built-in table's methods added on first use.
Registry& registry() {
  static Registry r;
  std::lock_guard<std::mutex> lock(r.mutex);
  if (!r.builtins_loaded) {
    r.builtins_loaded = true;
    for (const auto& b : builtin_methods()) r.methods.emplace(b.name, b.make());
  }
  return r;
}

bool is_known(const std::string& name) {
  const auto& k = known_methods();
  return std::find(k.begin(), k.end(), name) != k.end();
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

}  // namespace

std::vector<std::string> method_names() {
  std::vector<std::string> names = known_methods();
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  for (const auto& [name, m] : r.methods)  // user methods beyond the three, after them
    if (!is_known(name)) names.push_back(name);
  return names;
}

const Method& find_method(const std::string& name) {
  {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    const auto it = r.methods.find(name);
    if (it != r.methods.end()) return *it->second;  // registered methods are never removed
  }
  if (is_known(name))
    throw NotImplementedError(detail::concat("method '", name, "' is not available yet"));
  throw ValueError(detail::concat("unknown method '", name, "'; known methods: ", join(method_names())));
}

void register_method(std::shared_ptr<const Method> method) {
  AMOR_CHECK(method != nullptr, ValueError, "register_method: the method is null");
  const std::string name = method->name();
  AMOR_CHECK(!name.empty(), ValueError, "register_method: the method's name is empty");
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  // Replacing would leave dangling the references find_method has handed out.
  AMOR_CHECK(r.methods.find(name) == r.methods.end(), ValueError, "register_method: method '", name,
             "' is already registered");
  r.methods.emplace(name, std::move(method));
}

PosteriorPtr load_posterior(const std::string& path, const std::string& expected_task) {
  // Posteriors are saved with nn::save_checkpoint, whose `config` entry (a JSON document) holds
  // {"format": "amor", "method", "task", ...}; a file written with the keys directly in
  // __metadata__ is read too.
  nlohmann::json meta = nn::read_safetensors_metadata(path);  // IOError on a malformed file
  if (meta.contains("config") && meta["config"].is_string()) {
    const nlohmann::json config = nn::read_checkpoint_config(path);
    if (config.is_object() && config.contains("method")) meta = config;
  }
  const auto field = [&](const char* key) -> std::string {
    AMOR_CHECK(meta.contains(key) && meta[key].is_string(), IOError, "load_posterior: '", path,
               "' is not an amor posterior checkpoint (its metadata has no \"", key, "\" entry)");
    return meta[key].get<std::string>();
  };
  const std::string format = field("format");
  AMOR_CHECK(format == "amor", IOError, "load_posterior: '", path, "' has format \"", format,
             "\", expected \"amor\" (a posterior saved by amor)");
  const std::string method = field("method");
  const std::string task = field("task");
  AMOR_CHECK(expected_task.empty() || task == expected_task, ValueError, "load_posterior: '", path,
             "' was trained for task '", task, "', not '", expected_task, "'");
  {
    const auto names = method_names();
    AMOR_CHECK(std::find(names.begin(), names.end(), method) != names.end(), IOError, "load_posterior: '",
               path, "' names an unknown method '", method, "' (known: ", join(names), ")");
  }
  return find_method(method).load(path);
}

Tensor Posterior::sample_batched(const Tensor& x_os, int64_t n, uint64_t seed) {
  AMOR_CHECK(x_os.dim() == 2 && x_os.size(0) >= 1 && x_os.size(1) == x_dim(), ShapeError, "method '", method(),
             "': sample_batched takes observations [M, ", x_dim(), "] with M >= 1, got ", x_os.shape().str());
  AMOR_CHECK(n > 0, ValueError, "method '", method(), "': number of samples must be positive, got ", n);
  const int64_t rows = x_os.size(0), d = theta_dim();
  Tensor out = Tensor::empty({rows, n, d}, DType::F64);
  for (int64_t i = 0; i < rows; ++i) {
    const Tensor s = sample(x_os.slice(0, i, i + 1), n, batch_seed(seed, i)).to(DType::F64).contiguous();
    std::copy(s.data<double>(), s.data<double>() + n * d, out.data<double>() + i * n * d);
  }
  return out;
}

void Posterior::to(Device device) {
  if (!device.is_cpu())
    throw NotImplementedError("method '" + method() + "': its posterior cannot move to " + device.str());
}

Tensor ConditionalSampler::sample_conditional(const std::vector<std::pair<std::string, double>>& observed,
                                              int64_t n, uint64_t seed) {
  const std::vector<std::string> names = variable_names();
  std::vector<std::pair<int64_t, double>> by_index;
  by_index.reserve(observed.size());
  for (const auto& [name, value] : observed) {
    const auto it = std::find(names.begin(), names.end(), name);
    AMOR_CHECK(it != names.end(), ValueError, "sample_conditional: unknown variable '", name,
               "' (the model's variables: ", join(names), ")");
    by_index.emplace_back(static_cast<int64_t>(it - names.begin()), value);
  }
  return sample_conditional(by_index, n, seed);
}

}  // namespace amor::sbi
