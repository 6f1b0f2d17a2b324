#include "sbi/simformer/simformer_method.h"

#include <cmath>

#include "core/error.h"
#include "core/ops.h"
#include "sbi/support_rejection.h"

namespace amor::sbi::simformer {

SimformerPosterior::SimformerPosterior(std::unique_ptr<SimformerModel> model, std::string task_name, Support support)
    : model_(std::move(model)), task_(std::move(task_name)), support_(std::move(support)) {}

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
      [&](int64_t count) { return model_->sample_posterior(x_o, count, seed + 0x9E3779B97F4A7C15ull * round++); },
      support_, n, d, ro);
}

void SimformerPosterior::save(const std::string& path) const {
  model_->save(path, {{"format", "amor"}, {"method", "simformer"}, {"task", task_}});
}

PosteriorPtr SimformerMethod::train(const Task& task, const Dataset& data, const TrainOptions& options,
                                    TrainReport* report) const {
  SimformerConfig config = SimformerConfig::from_json(options.config);
  if (data.theta.dim() != 2 || data.x.dim() != 2 || data.theta.size(0) != data.x.size(0))
    throw ShapeError("simformer: dataset θ and x must be [N, d] with the same N, got " + data.theta.shape().str() +
                     " and " + data.x.shape().str());
  if (data.theta.size(1) != task.theta_dim() || data.x.size(1) != task.x_dim())
    throw ShapeError("simformer: dataset has θ width " + std::to_string(data.theta.size(1)) + " and x width " +
                     std::to_string(data.x.size(1)) + ", task '" + task.name() + "' has " +
                     std::to_string(task.theta_dim()) + " and " + std::to_string(task.x_dim()));
  auto model = std::make_unique<SimformerModel>(config, task.theta_dim(), task.x_dim(), task.dag());
  const Tensor joint = concat({data.theta.to(DType::F64), data.x.to(DType::F64)}, 1);

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
  return std::make_unique<SimformerPosterior>(std::move(model), task.name(), task.prior()->support());
}

PosteriorPtr SimformerMethod::load(const std::string& path) const {
  nlohmann::json meta;
  auto model = SimformerModel::load(path, &meta);
  if (!meta.contains("task") || !meta["task"].is_string())
    throw IOError("simformer: " + path + " does not name its task");
  const std::string task_name = meta["task"].get<std::string>();
  Support support;
  try {
    support = make_task(task_name)->prior()->support();
  } catch (const ValueError&) {
    // A user task that is not registered in this process: sample without the support check.
  }
  return std::make_unique<SimformerPosterior>(std::move(model), task_name, std::move(support));
}

}  // namespace amor::sbi::simformer
