#include "sbi/simformer/simformer_method.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/ops.h"
#include "sbi/device_option.h"
#include "sbi/support_rejection.h"

namespace amor::sbi::simformer {

namespace {

std::vector<std::string> default_variable_names(int64_t theta_dim, int64_t x_dim) {
  std::vector<std::string> names;
  for (int64_t i = 0; i < theta_dim; ++i) names.push_back("theta_" + std::to_string(i + 1));
  for (int64_t i = 0; i < x_dim; ++i) names.push_back("x_" + std::to_string(i + 1));
  return names;
}

}  // namespace

SimformerPosterior::SimformerPosterior(std::unique_ptr<SimformerModel> model, std::string task_name, Support support,
                                       std::vector<std::string> variable_names)
    : model_(std::move(model)), task_(std::move(task_name)), support_(std::move(support)),
      names_(std::move(variable_names)) {
  if (names_.empty()) names_ = default_variable_names(model_->theta_dim(), model_->x_dim());
  if (static_cast<int64_t>(names_.size()) != model_->num_tokens())
    throw ValueError("simformer: " + std::to_string(names_.size()) + " variable names for a model of " +
                     std::to_string(model_->num_tokens()) + " entries");
}

Tensor SimformerPosterior::sample(const Tensor& x_o, int64_t n, uint64_t seed) {
  if (n <= 0) throw ValueError("simformer: number of samples must be positive, got " + std::to_string(n));
  const int64_t d = theta_dim();
  const bool bounded = !support_.lower.empty() && support_.bounded();
  if (!bounded) return model_->sample_posterior(x_o, n, seed);

  RejectionOptions ro;
  ro.batch_margin = 16;
  ro.max_batch = 20 * n + 16;
  ro.fail_below = 1e-3;
  ro.who = "simformer";
  uint64_t round = 0;
  return sample_within_support(
      [&](int64_t count) { return model_->sample_posterior(x_o, count, batch_seed(seed, int64_t(round++))); },
      support_, n, d, ro);
}

Tensor SimformerPosterior::sample_batched(const Tensor& x_os, int64_t n, uint64_t seed) {
  if (n <= 0) throw ValueError("simformer: number of samples must be positive, got " + std::to_string(n));
  if (x_os.dim() != 2 || x_os.size(0) < 1 || x_os.size(1) != x_dim())
    throw ShapeError("simformer: sample_batched takes observations [M, " + std::to_string(x_dim()) +
                     "] with M >= 1, got " + x_os.shape().str());
  const int64_t rows = x_os.size(0), d = theta_dim();
  Tensor drawn = model_->sample_posterior_batched(x_os, n, seed).contiguous();  // [M, n, d]
  const bool bounded = !support_.lower.empty() && support_.bounded();
  if (!bounded) return drawn;
  // Keep each observation's rows inside the support; top up the short ones one by one.
  Tensor out = Tensor::empty({rows, n, d}, DType::F64);
  for (int64_t i = 0; i < rows; ++i) {
    const double* src = drawn.data<double>() + i * n * d;
    double* dst = out.data<double>() + i * n * d;
    int64_t kept = 0;
    for (int64_t r = 0; r < n; ++r)
      if (support_.contains(src + r * d)) std::copy(src + r * d, src + (r + 1) * d, dst + (kept++) * d);
    if (kept == n) continue;
    const Tensor more =
        sample(x_os.slice(0, i, i + 1), n - kept, batch_seed(seed, i) ^ 0xB5AD4ECEDA1CE2A9ull).contiguous();
    std::copy(more.data<double>(), more.data<double>() + (n - kept) * d, dst + kept * d);
  }
  return out;
}

Tensor SimformerPosterior::sample_conditional(const std::vector<std::pair<int64_t, double>>& observed, int64_t n,
                                              uint64_t seed) {
  return sample_constrained(observed, Constraints(model_->num_tokens()), n, seed);
}

Tensor SimformerPosterior::sample_constrained(const std::vector<std::pair<int64_t, double>>& observed,
                                              const Constraints& constraints, int64_t n, uint64_t seed) {
  if (n <= 0) throw ValueError("simformer: number of samples must be positive, got " + std::to_string(n));
  const int64_t tokens = model_->num_tokens(), d = theta_dim();
  const bool bounded = !support_.lower.empty() && support_.bounded();
  Tensor values = zeros({tokens}, {.dtype = DType::F64});
  Tensor mask = zeros({tokens}, {.dtype = DType::Bool});
  for (const auto& [index, value] : observed) {
    if (index < 0 || index >= tokens)
      throw ValueError("simformer sample_conditional: entry index " + std::to_string(index) + " outside [0, " +
                       std::to_string(tokens) + ")");
    const std::string& name = names_[static_cast<size_t>(index)];
    if (mask.data<bool>()[index]) throw ValueError("simformer sample_conditional: '" + name + "' is given twice");
    if (std::isnan(value)) continue;  // missing: sampled as a latent entry
    if (!std::isfinite(value)) throw ValueError("simformer sample_conditional: '" + name + "' is not finite");
    if (bounded && index < d &&
        !(value >= support_.lower[static_cast<size_t>(index)] && value <= support_.upper[static_cast<size_t>(index)]))
      throw ValueError("simformer sample_conditional: '" + name + "' = " + std::to_string(value) +
                       " lies outside the prior's support [" + std::to_string(support_.lower[static_cast<size_t>(index)]) +
                       ", " + std::to_string(support_.upper[static_cast<size_t>(index)]) + "]");
    mask.data<bool>()[index] = true;
    values.data<double>()[index] = value;
  }
  // Rejection on the latent θ entries only: observed ones were checked above, x is unbounded.
  bool any_latent_theta = false;
  for (int64_t i = 0; i < d; ++i) any_latent_theta = any_latent_theta || !mask.data<bool>()[i];
  if (constraints.tokens() != tokens)
    throw ValueError("simformer sample_constrained: constraints over " + std::to_string(constraints.tokens()) +
                     " entries for a model of " + std::to_string(tokens));
  const std::vector<bool> constrained = constraints.constrained_entries();
  for (int64_t i = 0; i < tokens; ++i)
    if (constrained[size_t(i)] && mask.data<bool>()[i])
      throw ValueError("simformer sample_constrained: '" + names_[size_t(i)] + "' is both given and constrained");
  const SamplingOptions& options = model_->config().sampling;
  if (!bounded || !any_latent_theta) return model_->sample(values, mask, constraints, n, seed, options);

  Support joint_support;
  joint_support.lower.assign(static_cast<size_t>(tokens), -std::numeric_limits<double>::infinity());
  joint_support.upper.assign(static_cast<size_t>(tokens), std::numeric_limits<double>::infinity());
  for (int64_t i = 0; i < d; ++i) {
    joint_support.lower[static_cast<size_t>(i)] = support_.lower[static_cast<size_t>(i)];
    joint_support.upper[static_cast<size_t>(i)] = support_.upper[static_cast<size_t>(i)];
  }
  RejectionOptions ro;
  ro.batch_margin = 16;
  ro.max_batch = 20 * n + 16;
  ro.fail_below = 1e-3;
  ro.who = "simformer";
  uint64_t round = 0;
  return sample_within_support(
      [&](int64_t count) {
        return model_->sample(values, mask, constraints, count, batch_seed(seed, int64_t(round++)), options);
      },
      joint_support, n, tokens, ro);
}

void SimformerPosterior::save(const std::string& path) const {
  model_->save(path, {{"format", "amor"}, {"method", "simformer"}, {"task", task_}, {"variable_names", names_}});
}

PosteriorPtr SimformerMethod::train(const Task& task, const Dataset& data, const TrainOptions& options,
                                    TrainReport* report) const {
  SimformerConfig config = SimformerConfig::from_json(options.config);
  require_device(config.device);  // before any work: DeviceError when it cannot be used here
  if (data.theta.dim() != 2 || data.x.dim() != 2 || data.theta.size(0) != data.x.size(0))
    throw ShapeError("simformer: dataset θ and x must be [N, d] with the same N, got " + data.theta.shape().str() +
                     " and " + data.x.shape().str());
  if (data.theta.size(1) != task.theta_dim() || data.x.size(1) != task.x_dim())
    throw ShapeError("simformer: dataset has θ width " + std::to_string(data.theta.size(1)) + " and x width " +
                     std::to_string(data.x.size(1)) + ", task '" + task.name() + "' has " +
                     std::to_string(task.theta_dim()) + " and " + std::to_string(task.x_dim()));
  if (config.bounds.from_prior) config.bounds = prior_bounds(*task.prior(), task.theta_dim(), task.x_dim());
  auto model = std::make_unique<SimformerModel>(config, task.theta_dim(), task.x_dim(), task.dag());
  model->to(config.device);  // checked by require_device above
  const Tensor joint = concat({data.theta.to(Device::cpu()).to(DType::F64), data.x.to(Device::cpu()).to(DType::F64)}, 1);

  std::function<void(const TrainingProgress&)> progress;
  if (options.on_progress)
    progress = [&](const TrainingProgress& p) {
      TrainProgress q;
      q.unit = "step";
      q.done = p.step;
      q.total = p.total_steps;
      q.train_loss = p.train_loss;
      q.val_loss = p.val_loss;
      q.best_val_loss = p.best_val_loss;
      q.elapsed_s = p.elapsed_s;
      options.on_progress(q);
    };
  const TrainingSummary s = model->train(joint, options.seed, progress, options.stop);
  if (report) {
    report->epochs = 0;
    report->steps = s.steps;
    report->best_val_loss = s.best_val_loss;
    report->train_seconds = s.seconds;
    report->num_simulations = data.num_simulated > 0 ? data.num_simulated : data.theta.size(0);
    report->num_invalid = data.num_invalid;
    report->interrupted = s.interrupted;
  }
  std::vector<std::string> names = task.theta_names();
  for (const std::string& x : task.x_names()) names.push_back(x);
  return std::make_unique<SimformerPosterior>(std::move(model), task.name(), task.prior()->support(),
                                              std::move(names));
}

PosteriorPtr SimformerMethod::load(const std::string& path) const {
  nlohmann::json meta;
  auto model = SimformerModel::load(path, &meta);
  if (!meta.contains("task") || !meta["task"].is_string())
    throw IOError("simformer: " + path + " does not name its task");
  const std::string task_name = meta["task"].get<std::string>();
  Support support;
  std::vector<std::string> names;
  try {
    const TaskPtr task = make_task(task_name);
    support = task->prior()->support();
    if (task->theta_dim() == model->theta_dim() && task->x_dim() == model->x_dim()) {
      names = task->theta_names();
      for (const std::string& x : task->x_names()) names.push_back(x);
    }
  } catch (const ValueError&) {
    // A user task that is not registered in this process: sample without the support check.
  }
  if (meta.contains("variable_names")) {
    const nlohmann::json& v = meta["variable_names"];
    const bool ok = v.is_array() && static_cast<int64_t>(v.size()) == model->num_tokens() &&
                    std::all_of(v.begin(), v.end(), [](const nlohmann::json& e) { return e.is_string(); });
    if (!ok)
      throw IOError("simformer: " + path + ": \"variable_names\" must be an array of " +
                    std::to_string(model->num_tokens()) + " strings");
    names = v.get<std::vector<std::string>>();
  }
  return std::make_unique<SimformerPosterior>(std::move(model), task_name, std::move(support), std::move(names));
}

}  // namespace amor::sbi::simformer
