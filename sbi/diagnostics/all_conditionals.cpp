#include "sbi/diagnostics/all_conditionals.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "core/error.h"
#include "sbi/io/csv.h"

namespace amor::sbi {

namespace {

// Bumped whenever the reference sampler's output changes for the same inputs, so caches
// written by an older sampler are not read.
constexpr const char* kReferenceVersion = "conditional_reference smc v1";

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

uint64_t splitmix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t fnv1a64(const std::string& s) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001B3ull;
  return h;
}

std::string exact(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::vector<std::string> variable_names(const Task& task) {
  std::vector<std::string> names = task.theta_names();
  for (std::string& x : task.x_names()) names.push_back(std::move(x));
  return names;
}

// Everything the reference samples depend on, as text.
std::string cache_key(const Task& task, const EvaluationCondition& c, int64_t n, uint64_t seed,
                      const ConditionalReferenceOptions& o) {
  std::string k = std::string(kReferenceVersion) + "|task=" + task.name() +
                  "|T=" + std::to_string(task.theta_dim() + task.x_dim()) + "|n=" + std::to_string(n) +
                  "|seed=" + std::to_string(seed) + "|k=" + std::to_string(c.index) + "|observed=";
  for (const auto& [i, v] : c.observed) k += std::to_string(i) + ":" + exact(v) + ",";
  k += "|particles=" + std::to_string(o.num_particles) + "|ess=" + exact(o.ess_fraction) +
       "|moves=" + std::to_string(o.moves_per_stage) + "|final=" + std::to_string(o.final_moves) +
       "|base_sims=" + std::to_string(o.base_simulations) + "|inflation=" + exact(o.base_inflation) +
       "|width=" + exact(o.slice_width) + "|step_out=" + std::to_string(o.max_step_out) +
       "|shrink=" + std::to_string(o.max_shrink) + "|max_stages=" + std::to_string(o.max_stages);
  return k;
}

// The cached table if it is there and matches (header, rows, finite values); empty otherwise.
Tensor read_cache(const std::string& path, const std::vector<std::string>& header, int64_t n) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return {};
  try {
    io::CsvTable table = io::read_csv(path, {.expected_columns = int64_t(header.size())});
    if (table.header != header || table.values.size(0) != n) return {};
    return table.values;
  } catch (const IOError&) {
    return {};  // truncated or corrupt: sampled again and overwritten
  }
}

Tensor latent_columns(const Tensor& rows, const std::vector<int64_t>& latent) {
  const Tensor r = rows.to(DType::F64).contiguous();
  const int64_t n = r.size(0), t = r.size(1), d = int64_t(latent.size());
  Tensor out = Tensor::empty({n, d}, DType::F64);
  double* o = out.data<double>();
  const double* p = r.data<double>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) o[i * d + j] = p[i * t + latent[size_t(j)]];
  return out;
}

}  // namespace

void AllConditionalsOptions::validate() const {
  AMOR_CHECK(num_conditions >= 1, ValueError, "all-conditional evaluation: num_conditions must be >= 1, got ",
             num_conditions);
  AMOR_CHECK(num_samples >= 10, ValueError, "all-conditional evaluation: num_samples must be >= 10, got ",
             num_samples);
  reference.validate();
}

uint64_t condition_reference_seed(uint64_t seed, int64_t k) {
  return splitmix64(splitmix64(seed) ^ splitmix64(uint64_t(k) * 2 + 1));
}

uint64_t condition_model_seed(uint64_t seed, int64_t k) {
  return splitmix64(splitmix64(seed) ^ splitmix64(uint64_t(k) * 2 + 2));
}

Tensor cached_conditional_reference(const Task& task, const EvaluationCondition& condition, int64_t n,
                                    uint64_t seed, const ConditionalReferenceOptions& options,
                                    const std::string& cache_dir, bool* from_cache, std::string* path) {
  const uint64_t ref_seed = condition_reference_seed(seed, condition.index);
  const std::vector<std::string> names = variable_names(task);
  std::vector<std::string> header;
  for (int64_t i : condition.latent) {
    AMOR_CHECK(i >= 0 && i < int64_t(names.size()), ValueError, "task '", task.name(), "': latent entry ", i,
               " is not in 0..", names.size() - 1);
    header.push_back(names[size_t(i)]);
  }
  if (from_cache) *from_cache = false;
  if (path) path->clear();
  std::string file;
  if (!cache_dir.empty()) {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx",
                  static_cast<unsigned long long>(fnv1a64(cache_key(task, condition, n, seed, options))));
    file = (std::filesystem::path(cache_dir) / task.name() /
            ("seed" + std::to_string(seed) + "_condition" + std::to_string(condition.index) + "_" + hex + ".csv"))
               .string();
    if (path) *path = file;
    Tensor cached = read_cache(file, header, n);
    if (cached.defined()) {
      if (from_cache) *from_cache = true;
      return cached;
    }
  }
  const Tensor rows = conditional_reference_samples(task, condition.observed, n, ref_seed, options);
  Tensor latent = latent_columns(rows, condition.latent);
  if (!file.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(file).parent_path(), ec);
    AMOR_CHECK(!ec, IOError, "reference cache: cannot create '", std::filesystem::path(file).parent_path().string(),
               "': ", ec.message());
    io::write_csv(file, header, latent);
  }
  return latent;
}

AllConditionalsResult evaluate_all_conditionals(ConditionalSampler& model, const Task& task,
                                                const AllConditionalsOptions& options) {
  options.validate();
  AMOR_CHECK(task.has_joint_log_density(), NotImplementedError, "task '", task.name(),
             "' has no closed-form joint density, so no reference samples for its conditionals");
  const int64_t t = task.theta_dim() + task.x_dim();
  const std::vector<std::string> model_names = model.variable_names();
  AMOR_CHECK(int64_t(model_names.size()) == t, ValueError, "all-conditional evaluation: the model has ",
             model_names.size(), " variables but task '", task.name(), "' has ", t);
  const std::vector<EvaluationCondition> conditions =
      draw_evaluation_conditions(task, options.num_conditions, options.seed);
  AllConditionalsResult result;
  double sum = 0;
  for (const EvaluationCondition& c : conditions) {
    ConditionResult r;
    r.condition = c;
    auto t0 = std::chrono::steady_clock::now();
    const Tensor reference = cached_conditional_reference(task, c, options.num_samples, options.seed, options.reference,
                                                          options.cache_dir, &r.reference_from_cache,
                                                          &r.reference_path);
    r.reference_seconds = seconds_since(t0);
    t0 = std::chrono::steady_clock::now();
    const Tensor rows = model.sample_conditional(c.observed, options.num_samples,
                                                 condition_model_seed(options.seed, c.index));
    r.sampling_seconds = seconds_since(t0);
    AMOR_CHECK(rows.dim() == 2 && rows.size(0) == options.num_samples && rows.size(1) == t, ShapeError,
               "all-conditional evaluation: the model returned ", rows.shape(), " for [", options.num_samples,
               ", ", t, "]");
    t0 = std::chrono::steady_clock::now();
    r.c2st = c2st(reference, latent_columns(rows, c.latent), options.c2st);
    r.c2st_seconds = seconds_since(t0);
    sum += r.c2st;
    if (options.on_condition) options.on_condition(r);
    result.conditions.push_back(std::move(r));
  }
  result.mean_c2st = sum / double(result.conditions.size());
  return result;
}

}  // namespace amor::sbi
