#include "sbi/npe/flow_training.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/ops.h"
#include "core/random.h"
#include "nn/clip.h"
#include "nn/early_stopping.h"
#include "nn/optim.h"

namespace amor::sbi::npe {

void FlowTrainingOptions::validate() const {
  if (batch_size <= 0) throw ValueError("training: batch_size must be positive, got " + std::to_string(batch_size));
  if (!(learning_rate > 0)) throw ValueError("training: learning_rate must be positive");
  if (!(validation_fraction > 0 && validation_fraction < 1))
    throw ValueError("training: validation_fraction must lie in (0, 1), got " + std::to_string(validation_fraction));
  if (stop_after_epochs <= 0) throw ValueError("training: stop_after_epochs must be positive");
  if (max_epochs <= 0) throw ValueError("training: max_epochs must be positive");
  if (!(clip_max_norm >= 0)) throw ValueError("training: clip_max_norm must be >= 0");
}

nlohmann::json FlowTrainingOptions::to_json() const {
  return {{"batch_size", batch_size},           {"learning_rate", learning_rate},
          {"validation_fraction", validation_fraction}, {"stop_after_epochs", stop_after_epochs},
          {"max_epochs", max_epochs},           {"clip_max_norm", clip_max_norm}};
}

FlowTrainingOptions FlowTrainingOptions::from_json(const nlohmann::json& j, FlowTrainingOptions o) {
  if (j.is_null()) return o;
  if (!j.is_object()) throw ValueError("training: configuration must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const auto& v = it.value();
    auto integer = [&] {
      if (!v.is_number_integer()) throw ValueError("training: '" + k + "' must be an integer");
      return v.get<int64_t>();
    };
    auto number = [&] {
      if (!v.is_number()) throw ValueError("training: '" + k + "' must be a number");
      return v.get<double>();
    };
    if (k == "batch_size") o.batch_size = integer();
    else if (k == "learning_rate") o.learning_rate = number();
    else if (k == "validation_fraction") o.validation_fraction = number();
    else if (k == "stop_after_epochs") o.stop_after_epochs = integer();
    else if (k == "max_epochs") o.max_epochs = integer();
    else if (k == "clip_max_norm") o.clip_max_norm = number();
    else throw ValueError("training: unknown option '" + k + "'");
  }
  o.validate();
  return o;
}

namespace {

// Indices of the rows whose values are all finite, in both tensors.
Tensor finite_row_index(const Tensor& a, const Tensor& b) {
  const Tensor ac = a.to(DType::F64).contiguous();
  const Tensor bc = b.defined() ? b.to(DType::F64).contiguous() : Tensor();
  std::vector<int64_t> idx;
  for (int64_t i = 0; i < ac.size(0); ++i) {
    bool ok = true;
    for (int64_t j = 0; j < ac.size(1) && ok; ++j) ok = std::isfinite(ac.data<double>()[i * ac.size(1) + j]);
    if (bc.defined())
      for (int64_t j = 0; j < bc.size(1) && ok; ++j) ok = std::isfinite(bc.data<double>()[i * bc.size(1) + j]);
    if (ok) idx.push_back(i);
  }
  return from_vector(idx, {int64_t(idx.size())});
}

}  // namespace

FlowTrainingResult train_flow(flows::ConditionalFlow& flow, const Tensor& inputs_given, const Tensor& context_given,
                              const FlowTrainingOptions& o, uint64_t seed,
                              const std::function<void(const FlowEpoch&)>& on_epoch, const std::atomic<bool>* stop) {
  o.validate();
  // Filtering, splitting and the standardisation fit read the data on the host.
  const Tensor inputs = inputs_given.defined() ? inputs_given.to(Device::cpu()) : inputs_given;
  const Tensor context = context_given.defined() ? context_given.to(Device::cpu()) : context_given;
  const auto t0 = std::chrono::steady_clock::now();
  if (inputs.dim() != 2) throw ShapeError("train_flow: inputs must be [N, d], got " + inputs.shape().str());
  if (context.defined() && (context.dim() != 2 || context.size(0) != inputs.size(0)))
    throw ShapeError("train_flow: context must be [N, c] with N = " + std::to_string(inputs.size(0)) + ", got " +
                     context.shape().str());

  FlowTrainingResult result;
  result.num_rows = inputs.size(0);
  const DType dt = flow.dtype();
  const Tensor keep = finite_row_index(inputs, context);
  const int64_t n = keep.size(0);
  result.num_dropped = result.num_rows - n;
  const Tensor x_all = index_select(inputs.to(dt), 0, keep);
  const Tensor c_all = context.defined() ? index_select(context.to(dt), 0, keep) : Tensor();

  // Random split (sbi: torch.randperm), validation first.
  Generator split(seed, 0x5117);
  const Tensor perm = randperm(n, split);
  const int64_t n_val = int64_t(std::floor(o.validation_fraction * double(n)));
  const int64_t n_train = n - n_val;
  const int64_t batch = std::min({o.batch_size, n_train, std::max<int64_t>(n_val, 1)});
  if (n_val < 1 || n_train < 2)
    throw ValueError("train_flow: " + std::to_string(n) + " valid rows (" + std::to_string(result.num_dropped) +
                     " dropped as non-finite) are too few for a training and a validation split");
  const Tensor val_idx = perm.slice(0, 0, n_val), train_idx = perm.slice(0, n_val, n);
  const Tensor x_train_host = index_select(x_all, 0, train_idx);
  const Tensor c_train_host = c_all.defined() ? index_select(c_all, 0, train_idx) : Tensor();

  flow.to(Device::cpu());  // the data-dependent initialisation runs on the host
  flow.initialize_from_data(x_train_host, c_train_host);
  // Everything the loop touches, on the training device once (no copies when that is the CPU).
  const Device device = o.device;
  flow.to(device);
  const Tensor x_train = x_train_host.to(device), x_val = index_select(x_all, 0, val_idx).to(device);
  const Tensor c_train = c_train_host.defined() ? c_train_host.to(device) : Tensor();
  const Tensor c_val = c_all.defined() ? index_select(c_all, 0, val_idx).to(device) : Tensor();
  const auto params = flow.parameters();
  nn::Adam opt(params, o.learning_rate);
  nn::EarlyStopping early(o.stop_after_epochs);
  Generator shuffle(seed, 0x5A0F);

  const int64_t train_batches = n_train / batch;  // drop_last
  const int64_t val_batches = std::max<int64_t>(n_val / batch, 1);
  for (int64_t epoch = 1; epoch <= o.max_epochs; ++epoch) {
    flow.train();
    const Tensor order = randperm(n_train, shuffle).to(device);
    double train_sum = 0;
    Tensor device_sum;  // off the CPU: the epoch's losses summed there, read back once
    for (int64_t b = 0; b < train_batches; ++b) {
      if (stop && stop->load()) {
        result.interrupted = true;
        break;
      }
      const Tensor idx = order.slice(0, b * batch, (b + 1) * batch);
      const Tensor xb = index_select(x_train, 0, idx);
      const Tensor cb = c_train.defined() ? index_select(c_train, 0, idx) : Tensor();
      flow.zero_grad();
      const Tensor loss = -mean(flow.log_prob(xb, cb));
      loss.backward();
      if (o.clip_max_norm > 0) nn::clip_grad_norm(params, o.clip_max_norm);
      opt.step();
      if (device.is_cpu()) {
        train_sum += loss.item<double>();
      } else {
        const Tensor l = loss.detach().to(DType::F64);
        device_sum = device_sum.defined() ? device_sum + l : l;
      }
      ++result.steps;
    }
    if (result.interrupted) break;
    if (device_sum.defined()) train_sum = device_sum.to(Device::cpu()).item<double>();

    flow.eval();
    double val_sum = 0;
    {
      NoGradGuard ng;
      const int64_t vb = n_val >= batch ? batch : n_val;
      for (int64_t b = 0; b < val_batches; ++b) {
        const Tensor xb = x_val.slice(0, b * vb, (b + 1) * vb);
        const Tensor cb = c_val.defined() ? c_val.slice(0, b * vb, (b + 1) * vb) : Tensor();
        val_sum += -mean(flow.log_prob(xb, cb)).to(Device::cpu()).item<double>();
      }
    }
    const double train_loss = train_sum / double(train_batches), val_loss = val_sum / double(val_batches);
    result.train_losses.push_back(train_loss);
    result.val_losses.push_back(val_loss);
    result.epochs = epoch;
    const bool done = early.update(val_loss, flow);
    if (on_epoch) {
      FlowEpoch e;
      e.epoch = epoch;
      e.train_loss = train_loss;
      e.val_loss = val_loss;
      e.best_val_loss = early.best_loss();
      e.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      on_epoch(e);
    }
    if (done) {
      result.converged = true;
      break;
    }
  }
  if (early.has_best()) early.restore_best(flow);
  flow.eval();
  result.best_val_loss = early.best_loss();
  result.best_epoch = early.best_evaluation() + 1;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

std::function<void(const FlowEpoch&)> epoch_progress(const std::function<void(const TrainProgress&)>& on_progress) {
  if (!on_progress) return {};
  return [on_progress](const FlowEpoch& e) {
    TrainProgress p;
    p.unit = "epoch";
    p.done = e.epoch;
    p.total = -1;
    p.train_loss = e.train_loss;
    p.val_loss = e.val_loss;
    p.best_val_loss = e.best_val_loss;
    p.elapsed_s = e.elapsed_s;
    on_progress(p);
  };
}

void fill_train_report(TrainReport* report, const FlowTrainingResult& r, const Dataset& data) {
  if (!report) return;
  report->epochs = r.epochs;
  report->steps = r.steps;
  report->best_val_loss = r.best_val_loss;
  report->train_seconds = r.seconds;
  report->num_simulations = data.num_simulated > 0 ? data.num_simulated : r.num_rows;
  report->num_invalid = data.num_invalid + r.num_dropped;
  report->interrupted = r.interrupted;
}

}  // namespace amor::sbi::npe
