#include "sbi/npe/npe.h"

#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/ops.h"
#include "core/random.h"
#include "nn/checkpoint.h"
#include "sbi/device_option.h"
#include "sbi/npe/estimator_factory.h"
#include "sbi/support_rejection.h"
#include "sbi/summary/joint_training.h"

namespace amor::sbi::npe {

nlohmann::json NpeConfig::to_json() const {
  return {{"estimator", estimator},
          {"estimator_options", estimator_options},
          {"unconstrained", unconstrained},
          {"training", training.to_json()},
          {"max_sampling_seconds", max_sampling_seconds},
          {"summary", summary},
          {"device", device_string(device)}};
}

NpeConfig NpeConfig::from_json(const nlohmann::json& j) {
  NpeConfig c;
  if (j.is_null()) return c;
  if (!j.is_object()) throw ValueError("npe: configuration must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const auto& v = it.value();
    if (k == "estimator") {
      if (!v.is_string()) throw ValueError("npe: 'estimator' must be a string");
      c.estimator = v.get<std::string>();
    } else if (k == "estimator_options") {
      if (!v.is_object()) throw ValueError("npe: 'estimator_options' must be a JSON object");
      c.estimator_options = v;
    } else if (k == "unconstrained") {
      if (!v.is_boolean()) throw ValueError("npe: 'unconstrained' must be true or false");
      c.unconstrained = v.get<bool>();
    } else if (k == "training") {
      c.training = FlowTrainingOptions::from_json(v);
    } else if (k == "max_sampling_seconds") {
      if (!v.is_number() || !(v.get<double>() > 0)) throw ValueError("npe: 'max_sampling_seconds' must be positive");
      c.max_sampling_seconds = v.get<double>();
    } else if (k == "summary") {
      if (!v.is_null() && !v.is_string() && !v.is_object())
        throw ValueError("npe: 'summary' must be null, a network name or an object with a \"type\"");
      c.summary = v;
    } else if (k == "device") {
      c.device = device_from_json(v, "npe");
    } else {
      throw ValueError("npe: unknown configuration key '" + k + "'");
    }
  }
  c.training.device = c.device;
  bool known = false;
  for (const auto& e : estimator_names()) known = known || e == c.estimator;
  if (!known) throw ValueError("npe: unknown estimator '" + c.estimator + "' (maf, nsf or coupling)");
  if (!c.summary.is_null()) {
    // The network's own options are checked here; the layout needs x_dim (checked in train).
    nlohmann::json net = c.summary;
    if (net.is_object()) {
      net.erase("input_shape");
      net.erase("channels_first");
    }
    summary::build_summary_network(net, 1, 0);
  }
  return c;
}

Tensor observation_row(const Tensor& x_o, int64_t dim, const char* who) {
  const Tensor x = x_o.dim() == 1 ? x_o.reshape({1, x_o.size(0)}) : x_o;
  if (x.dim() != 2 || x.size(0) != 1 || x.size(1) != dim)
    throw ShapeError(std::string(who) + ": the observation must be [1, " + std::to_string(dim) + "], got " +
                     x_o.shape().str());
  const Tensor x64 = x.to(Device::cpu()).to(DType::F64).contiguous();  // checked on the host
  for (int64_t j = 0; j < dim; ++j)
    if (!std::isfinite(x64.data<double>()[j]))
      throw ValueError(std::string(who) + ": observation entry " + std::to_string(j + 1) + " is not finite");
  return x64;
}

NpePosterior::NpePosterior(flows::ConditionalFlowPtr flow, NpeConfig config, std::string task_name, Support support)
    : flow_(std::move(flow)), config_(std::move(config)), task_(std::move(task_name)), support_(std::move(support)) {
  x_dim_ = flow_->context_features();
}

NpePosterior::NpePosterior(summary::SummaryFlowPtr model, summary::FlatInputLayout layout, NpeConfig config,
                           std::string task_name, Support support)
    : flow_(model->flow_ptr()),
      summary_(std::move(model)),
      layout_(std::move(layout)),
      config_(std::move(config)),
      task_(std::move(task_name)),
      support_(std::move(support)) {
  x_dim_ = layout_.length * layout_.features;
}

Tensor NpePosterior::context_for(const Tensor& x_o, const char* who) {
  const Tensor row = observation_row(x_o, x_dim(), who);  // host
  if (!summary_) return row.to(flow_->dtype()).to(device());
  summary_->eval();
  NoGradGuard ng;
  summary::SetBatch obs;
  obs.x = summary::unflatten_input(row, layout_).to(device());
  return summary_->context(obs);
}

Tensor NpePosterior::sample(const Tensor& x_o, int64_t n, uint64_t seed) {
  if (n <= 0) throw ValueError("npe: number of samples must be positive, got " + std::to_string(n));
  const int64_t d = theta_dim();
  const Tensor context = context_for(x_o, "npe sample");
  Generator gen(seed, 0x5A4E);
  flow_->eval();
  NoGradGuard ng;
  const bool reject = !config_.unconstrained && !support_.lower.empty() && support_.bounded();
  if (!reject) {
    last_acceptance_ = 1.0;
    return flow_->sample(n, context, gen).to(Device::cpu()).to(DType::F64).contiguous();
  }
  RejectionOptions ro;
  ro.min_batch = 100;
  ro.max_batch = 10000;  // sbi's max_sampling_batch_size
  ro.warn_below = 0.01;
  ro.max_seconds = config_.max_sampling_seconds;
  ro.who = "npe";
  ro.hint = "; raise max_sampling_seconds or train with \"unconstrained\": true";
  return sample_within_support([&](int64_t count) { return flow_->sample(count, context, gen).to(Device::cpu()); },
                               support_, n, d, ro, &last_acceptance_);
}

void NpePosterior::to(Device device) {
  if (summary_) summary_->to(device);  // holds the flow
  flow_->to(device);
}

Tensor NpePosterior::log_prob(const Tensor& theta, const Tensor& x_o) {
  const Tensor context = context_for(x_o, "npe log_prob");
  if (theta.dim() != 2 || theta.size(1) != theta_dim())
    throw ShapeError("npe log_prob: θ must be [n, " + std::to_string(theta_dim()) + "], got " + theta.shape().str());
  flow_->eval();
  NoGradGuard ng;
  Tensor lp = flow_->log_prob(theta.to(flow_->dtype()).to(device()), context).to(Device::cpu()).to(DType::F64).contiguous();
  if (!support_.lower.empty()) {
    const Tensor th = theta.to(Device::cpu()).to(DType::F64).contiguous();
    for (int64_t i = 0; i < th.size(0); ++i)
      if (!support_.contains(th.data<double>() + i * theta_dim()))
        lp.data<double>()[i] = -std::numeric_limits<double>::infinity();
  }
  return lp;
}

namespace {

nlohmann::json support_to_json(const Support& s) {
  if (s.lower.empty()) return nullptr;
  return {{"lower", flows::bounds_to_json(s.lower)}, {"upper", flows::bounds_to_json(s.upper)}};
}

Support support_from_json(const nlohmann::json& j) {
  Support s;
  if (j.is_null()) return s;
  s.lower = flows::bounds_from_json(j.at("lower"), "lower");
  s.upper = flows::bounds_from_json(j.at("upper"), "upper");
  return s;
}

}  // namespace

void NpePosterior::save(const std::string& path) const {
  nlohmann::json meta = {{"format", "amor"},
                         {"method", "npe"},
                         {"task", task_},
                         {"theta_dim", theta_dim()},
                         {"x_dim", x_dim()},
                         {"npe", config_.to_json()},
                         {"flow_options", flow_->options().to_json()},
                         {"support", support_to_json(support_)}};
  if (summary_) {
    meta["summary_flow"] = summary_->config().to_json();
    meta["summary_layout"] = layout_.to_json();
    nn::save_checkpoint(*summary_, path, meta);
    return;
  }
  nn::save_checkpoint(*flow_, path, meta);
}

PosteriorPtr NpeMethod::train(const Task& task, const Dataset& data, const TrainOptions& options,
                              TrainReport* report) const {
  const NpeConfig config = NpeConfig::from_json(options.config);
  require_device(config.device);  // before any work: DeviceError when it cannot be used here
  if (data.theta.dim() != 2 || data.x.dim() != 2 || data.theta.size(0) != data.x.size(0) ||
      data.theta.size(1) != task.theta_dim() || data.x.size(1) != task.x_dim())
    throw ShapeError("npe: dataset θ " + data.theta.shape().str() + " and x " + data.x.shape().str() +
                     " do not match task '" + task.name() + "' (θ " + std::to_string(task.theta_dim()) + ", x " +
                     std::to_string(task.x_dim()) + ")");
  const Support support = task.prior()->support();
  flows::FlowOptions fo;
  if (config.unconstrained && support.bounded()) fo.support = support;
  const auto on_epoch = epoch_progress(options.on_progress);
  if (!config.summary.is_null()) {
    // Joint training of the summary network and the flow on x read as sets / series.
    summary::FlatInputLayout layout = summary::flat_input_layout(config.summary, task.x_dim());
    summary::SummaryFlowConfig sc;
    sc.summary = layout.network;
    sc.estimator = config.estimator;
    sc.estimator_options = config.estimator_options;
    sc.theta_dim = task.theta_dim();
    sc.input_dim = layout.features;
    sc.flow_options = fo;
    sc.seed = options.seed;
    auto model = std::make_shared<summary::SummaryFlow>(sc);
    summary::SetBatch set;
    set.theta = data.theta;
    set.x = summary::unflatten_input(data.x, layout);
    fill_train_report(report, summary::train_offline(*model, set, config.training, options.seed, on_epoch, options.stop), data);
    return std::make_unique<NpePosterior>(std::move(model), std::move(layout), config, task.name(), support);
  }
  auto flow = build_estimator(config.estimator, task.theta_dim(), task.x_dim(), config.estimator_options, fo,
                              options.seed);
  fill_train_report(report, train_flow(*flow, data.theta, data.x, config.training, options.seed, on_epoch, options.stop),
                    data);
  return std::make_unique<NpePosterior>(std::move(flow), config, task.name(), support);
}

PosteriorPtr NpeMethod::load(const std::string& path) const {
  const nlohmann::json meta = nn::read_checkpoint_config(path);
  if (!meta.is_object() || meta.value("method", "") != "npe" || !meta.contains("npe") || !meta.contains("theta_dim"))
    throw IOError("npe: " + path + " is not an NPE checkpoint");
  try {
    const NpeConfig config = NpeConfig::from_json(meta["npe"]);
    const flows::FlowOptions fo = flows::FlowOptions::from_json(meta.at("flow_options"));
    const int64_t theta_dim = meta.at("theta_dim").get<int64_t>(), x_dim = meta.at("x_dim").get<int64_t>();
    const uint64_t seed = meta.value("seed", uint64_t(0));
    if (meta.contains("summary_flow")) {
      auto model = std::make_shared<summary::SummaryFlow>(summary::SummaryFlowConfig::from_json(meta.at("summary_flow")));
      nn::load_checkpoint(*model, path);
      model->eval();
      summary::FlatInputLayout layout = summary::flat_input_layout(meta.at("summary_layout"), x_dim);
      return std::make_unique<NpePosterior>(std::move(model), std::move(layout), config,
                                            meta.at("task").get<std::string>(),
                                            support_from_json(meta.value("support", nlohmann::json())));
    }
    auto flow = build_estimator(config.estimator, theta_dim, x_dim, config.estimator_options, fo, seed);
    nn::load_checkpoint(*flow, path);
    return std::make_unique<NpePosterior>(std::move(flow), config, meta.at("task").get<std::string>(),
                                          support_from_json(meta.value("support", nlohmann::json())));
  } catch (const nlohmann::json::exception& e) {
    throw IOError("npe: " + path + " has malformed metadata: " + e.what());
  }
}

}  // namespace amor::sbi::npe
