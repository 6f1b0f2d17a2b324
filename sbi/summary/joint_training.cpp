#include "sbi/summary/joint_training.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numbers>

#include "core/autograd.h"
#include "core/error.h"
#include "core/ops.h"
#include "core/random.h"
#include "nn/clip.h"
#include "nn/early_stopping.h"
#include "nn/optim.h"

namespace amor::sbi::summary {

// ---- options --------------------------------------------------------------------------------

void OnlineTrainingOptions::validate() const {
  auto fail = [](const std::string& m) { throw ValueError("online training: " + m); };
  if (epochs < 1) fail("epochs must be >= 1");
  if (batches_per_epoch < 1) fail("batches_per_epoch must be >= 1");
  if (batch_size < 2) fail("batch_size must be >= 2");
  if (!(learning_rate > 0)) fail("learning_rate must be positive");
  if (!(warmup_fraction >= 0 && warmup_fraction < 1)) fail("warmup_fraction must lie in [0, 1)");
  if (!(clip_max_norm >= 0)) fail("clip_max_norm must be >= 0");
  if (validation_batches < 0) fail("validation_batches must be >= 0");
  if (standardization_batches < 1) fail("standardization_batches must be >= 1");
}

nlohmann::json OnlineTrainingOptions::to_json() const {
  return {{"epochs", epochs},
          {"batches_per_epoch", batches_per_epoch},
          {"batch_size", batch_size},
          {"learning_rate", learning_rate},
          {"warmup_fraction", warmup_fraction},
          {"clip_max_norm", clip_max_norm},
          {"validation_batches", validation_batches},
          {"standardization_batches", standardization_batches}};
}

OnlineTrainingOptions OnlineTrainingOptions::from_json(const nlohmann::json& j, OnlineTrainingOptions o) {
  if (j.is_null()) return o;
  flows::check_json_keys(j,
                         {"epochs", "batches_per_epoch", "batch_size", "learning_rate", "warmup_fraction",
                          "clip_max_norm", "validation_batches", "standardization_batches"},
                         "online training");
  auto integer = [&](const char* k, int64_t& out) {
    if (!j.contains(k)) return;
    if (!j[k].is_number_integer()) throw ValueError(std::string("online training: '") + k + "' must be an integer");
    out = j[k].get<int64_t>();
  };
  auto number = [&](const char* k, double& out) {
    if (!j.contains(k)) return;
    if (!j[k].is_number()) throw ValueError(std::string("online training: '") + k + "' must be a number");
    out = j[k].get<double>();
  };
  integer("epochs", o.epochs);
  integer("batches_per_epoch", o.batches_per_epoch);
  integer("batch_size", o.batch_size);
  number("learning_rate", o.learning_rate);
  number("warmup_fraction", o.warmup_fraction);
  number("clip_max_norm", o.clip_max_norm);
  integer("validation_batches", o.validation_batches);
  integer("standardization_batches", o.standardization_batches);
  o.validate();
  return o;
}

double online_learning_rate(const OnlineTrainingOptions& o, int64_t step, int64_t total_steps) {
  const int64_t warm = int64_t(std::floor(o.warmup_fraction * double(total_steps)));
  if (step < warm) {
    // Linear from 0.1·lr at step 0 to lr at step `warm`.
    const double f = double(step) / double(warm);
    return o.learning_rate * (0.1 + 0.9 * f);
  }
  const int64_t decay = std::max<int64_t>(total_steps - warm, 1);
  const double f = std::min(1.0, double(step - warm) / double(decay));
  return o.learning_rate * 0.5 * (1.0 + std::cos(std::numbers::pi * f));
}

namespace {

double now_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Seeds of the validation and pilot simulations: distinct from the training seed's streams.
uint64_t derived_seed(uint64_t seed, uint64_t salt) { return seed ^ (0x9E3779B97F4A7C15ULL * salt); }

double mean_loss(SummaryFlow& model, const std::vector<SetBatch>& batches) {
  if (batches.empty()) return std::numeric_limits<double>::quiet_NaN();
  const bool was_training = model.is_training();
  model.eval();
  NoGradGuard ng;
  double s = 0;
  for (const auto& b : batches) s += -mean(model.log_prob(b)).item<double>();
  model.train(was_training);
  return s / double(batches.size());
}

}  // namespace

OnlineTrainingResult train_online(SummaryFlow& model, const GenerativeModel& simulator,
                                  const std::function<SetBatch(const Batch&)>& adapter,
                                  const OnlineTrainingOptions& o, uint64_t seed,
                                  const std::function<void(const JointEpoch&)>& on_epoch,
                                  const std::atomic<bool>* stop) {
  o.validate();
  AMOR_CHECK(static_cast<bool>(adapter), ValueError, "train_online: no adapter");
  const auto t0 = std::chrono::steady_clock::now();
  OnlineTrainingResult result;
  auto simulate = [&](uint64_t s, uint64_t index) {
    SetBatch b = adapter(simulator.sample(o.batch_size, s, index, o.num_threads));
    b.check("train_online", true);
    ++result.num_simulations;
    return b;
  };

  // Pilot batches (several N) fit the standardisation and ActNorm.
  {
    std::vector<SetBatch> pilot;
    for (int64_t i = 0; i < o.standardization_batches; ++i) pilot.push_back(simulate(derived_seed(seed, 2), uint64_t(i)));
    model.initialize_from_data(concat_padded(pilot));
  }
  std::vector<SetBatch> validation;
  for (int64_t i = 0; i < o.validation_batches; ++i) validation.push_back(simulate(derived_seed(seed, 1), uint64_t(i)));

  const auto params = model.parameters();
  nn::Adam opt(params, o.learning_rate);
  const int64_t total = o.epochs * o.batches_per_epoch;
  int64_t step = 0;
  for (int64_t epoch = 1; epoch <= o.epochs && !result.interrupted; ++epoch) {
    model.train();
    double sum = 0;
    int64_t count = 0;
    for (int64_t b = 0; b < o.batches_per_epoch; ++b, ++step) {
      if (stop && stop->load()) {
        result.interrupted = true;
        break;
      }
      const SetBatch batch = simulate(seed, uint64_t(step));
      opt.set_lr(online_learning_rate(o, step, total));
      model.zero_grad();
      const Tensor loss = -mean(model.log_prob(batch));
      const double l = loss.item<double>();
      AMOR_CHECK(std::isfinite(l), ValueError, "train_online: the loss is ", l, " at step ", step,
                 " (epoch ", epoch, "); lower the learning rate or check the simulations");
      loss.backward();
      if (o.clip_max_norm > 0) nn::clip_grad_norm(params, o.clip_max_norm);
      opt.step();
      sum += l;
      ++count;
      ++result.steps;
    }
    if (count == 0) break;
    const double train_loss = sum / double(count), val_loss = mean_loss(model, validation);
    result.train_losses.push_back(train_loss);
    result.val_losses.push_back(val_loss);
    result.epochs = epoch;
    if (on_epoch) on_epoch({epoch, train_loss, val_loss, opt.lr(), now_since(t0)});
  }
  model.eval();
  result.num_simulations *= o.batch_size;
  result.seconds = now_since(t0);
  return result;
}

namespace {

// Rows whose θ, conditions and real elements of x are all finite.
Tensor finite_rows(const SetBatch& d) {
  const int64_t M = d.size(), N = d.x.size(1), F = d.x.size(2);
  const std::vector<double> x = d.x.to(DType::F64).contiguous().to_vector<double>();
  const std::vector<uint8_t> m = d.mask.defined() ? d.mask.contiguous().to_vector<uint8_t>() : std::vector<uint8_t>();
  const std::vector<double> th = d.theta.to(DType::F64).contiguous().to_vector<double>();
  const std::vector<double> c =
      d.conditions.defined() ? d.conditions.to(DType::F64).contiguous().to_vector<double>() : std::vector<double>();
  const int64_t dt = d.theta.size(1), dc = d.conditions.defined() ? d.conditions.size(1) : 0;
  std::vector<int64_t> keep;
  for (int64_t i = 0; i < M; ++i) {
    bool ok = true;
    for (int64_t j = 0; j < dt && ok; ++j) ok = std::isfinite(th[size_t(i * dt + j)]);
    for (int64_t j = 0; j < dc && ok; ++j) ok = std::isfinite(c[size_t(i * dc + j)]);
    for (int64_t n = 0; n < N && ok; ++n) {
      if (!m.empty() && !m[size_t(i * N + n)]) continue;
      for (int64_t f = 0; f < F && ok; ++f) ok = std::isfinite(x[size_t((i * N + n) * F + f)]);
    }
    if (ok) keep.push_back(i);
  }
  return from_vector(keep, Shape{int64_t(keep.size())});
}

}  // namespace

npe::FlowTrainingResult train_offline(SummaryFlow& model, const SetBatch& data_given, const npe::FlowTrainingOptions& o,
                                      uint64_t seed, const std::function<void(const npe::FlowEpoch&)>& on_epoch,
                                      const std::atomic<bool>* stop) {
  o.validate();
  data_given.check("train_offline", true);
  const SetBatch data = data_given.to(Device::cpu());  // filtered, split and fitted on the host
  const auto t0 = std::chrono::steady_clock::now();
  npe::FlowTrainingResult result;
  result.num_rows = data.size();
  const Tensor keep = finite_rows(data);
  const int64_t n = keep.size(0);
  result.num_dropped = result.num_rows - n;
  const SetBatch all = data.rows(keep);

  Generator split(seed, 0x5117);
  const Tensor perm = randperm(n, split);
  const int64_t n_val = int64_t(std::floor(o.validation_fraction * double(n)));
  const int64_t n_train = n - n_val;
  AMOR_CHECK(n_val >= 1 && n_train >= 2, ValueError, "train_offline: ", n, " valid rows (", result.num_dropped,
             " dropped as non-finite) are too few for a training and a validation split");
  const int64_t batch = std::min({o.batch_size, n_train, n_val});
  const SetBatch val_host = all.rows(perm.slice(0, 0, n_val)), train_host = all.rows(perm.slice(0, n_val, n));
  model.to(Device::cpu());
  model.initialize_from_data(train_host);
  // The model and both splits on the training device once; minibatches are gathered there.
  const Device device = o.device;
  model.to(device);
  const SetBatch train = train_host.to(device), val = val_host.to(device);

  const auto params = model.parameters();
  nn::Adam opt(params, o.learning_rate);
  nn::EarlyStopping early(o.stop_after_epochs);
  Generator shuffle(seed, 0x5A0F);
  const int64_t train_batches = n_train / batch, val_batches = std::max<int64_t>(n_val / batch, 1);
  for (int64_t epoch = 1; epoch <= o.max_epochs; ++epoch) {
    model.train();
    const Tensor order = randperm(n_train, shuffle).to(device);
    double sum = 0;
    Tensor device_sum;  // off the CPU: the epoch's losses summed there, read back once
    for (int64_t b = 0; b < train_batches; ++b) {
      if (stop && stop->load()) {
        result.interrupted = true;
        break;
      }
      const SetBatch mb = train.rows(order.slice(0, b * batch, (b + 1) * batch));
      model.zero_grad();
      const Tensor loss = -mean(model.log_prob(mb));
      loss.backward();
      if (o.clip_max_norm > 0) nn::clip_grad_norm(params, o.clip_max_norm);
      opt.step();
      if (device.is_cpu()) {
        sum += loss.item<double>();
      } else {
        const Tensor l = loss.detach().to(DType::F64);
        device_sum = device_sum.defined() ? device_sum + l : l;
      }
      ++result.steps;
    }
    if (result.interrupted) break;
    if (device_sum.defined()) sum = device_sum.to(Device::cpu()).item<double>();
    model.eval();
    double vsum = 0;
    {
      NoGradGuard ng;
      for (int64_t b = 0; b < val_batches; ++b) {
        const int64_t lo = b * batch, hi = std::min(n_val, (b + 1) * batch);
        const Tensor rows = arange(lo, hi, 1.0, {.dtype = DType::I64, .device = device});
        vsum += -mean(model.log_prob(val.rows(rows))).to(Device::cpu()).item<double>();
      }
    }
    const double train_loss = sum / double(train_batches), val_loss = vsum / double(val_batches);
    result.train_losses.push_back(train_loss);
    result.val_losses.push_back(val_loss);
    result.epochs = epoch;
    const bool done = early.update(val_loss, model);
    if (on_epoch) on_epoch({epoch, train_loss, val_loss, early.best_loss(), now_since(t0)});
    if (done) {
      result.converged = true;
      break;
    }
  }
  if (early.has_best()) early.restore_best(model);
  model.eval();
  result.best_val_loss = early.best_loss();
  result.best_epoch = early.best_evaluation() + 1;
  result.seconds = now_since(t0);
  return result;
}

}  // namespace amor::sbi::summary
