#include "sbi/nle/nle.h"

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "core/autograd.h"
#include "core/error.h"
#include "core/ops.h"
#include "nn/checkpoint.h"
#include "sbi/device_option.h"
#include "sbi/npe/estimator_factory.h"
#include "sbi/task.h"

namespace amor::sbi::nle {

nlohmann::json NleConfig::to_json() const {
  return {{"estimator", estimator},
          {"estimator_options", estimator_options},
          {"training", training.to_json()},
          {"mcmc", mcmc.to_json()},
          {"device", device_string(device)}};
}

NleConfig NleConfig::from_json(const nlohmann::json& j) {
  NleConfig c;
  if (j.is_null()) return c;
  AMOR_CHECK(j.is_object(), ValueError, "nle: configuration must be a JSON object, got ", j.dump());
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const auto& v = it.value();
    if (k == "estimator") {
      AMOR_CHECK(v.is_string(), ValueError, "nle: 'estimator' must be a string");
      c.estimator = v.get<std::string>();
    } else if (k == "estimator_options") {
      AMOR_CHECK(v.is_object(), ValueError, "nle: 'estimator_options' must be a JSON object");
      c.estimator_options = v;
    } else if (k == "training") {
      c.training = npe::FlowTrainingOptions::from_json(v);
    } else if (k == "mcmc") {
      c.mcmc = McmcOptions::from_json(v);
    } else if (k == "device") {
      c.device = device_from_json(v, "nle");
    } else {
      throw ValueError("nle: unknown configuration key '" + k +
                       "' (estimator, estimator_options, training, mcmc, device)");
    }
  }
  c.training.device = c.device;
  bool known = false;
  for (const auto& e : npe::estimator_names()) known = known || e == c.estimator;
  AMOR_CHECK(known, ValueError, "nle: unknown estimator '", c.estimator, "' (maf, nsf or coupling)");
  return c;
}

// ---- prior fingerprint --------------------------------------------------------------------------

namespace {

constexpr uint64_t kFingerprintSeed = 0x5EED;
constexpr int64_t kFingerprintDraws = 4;

bool close(double a, double b, double rel) {
  if (a == b) return true;  // also equal infinities
  return std::abs(a - b) <= rel * (1.0 + std::abs(a) + std::abs(b));
}

}  // namespace

nlohmann::json prior_fingerprint(const Distribution& prior) {
  const Tensor probe = prior.sample(kFingerprintDraws, kFingerprintSeed);
  const Support s = prior.support();
  nlohmann::json support = nullptr;
  if (!s.lower.empty()) support = {{"lower", flows::bounds_to_json(s.lower)}, {"upper", flows::bounds_to_json(s.upper)}};
  return {{"name", prior.name()},
          {"dim", prior.dim()},
          {"support", support},
          {"probe", flows::bounds_to_json(probe.to_vector<double>())},
          {"log_prob", flows::bounds_to_json(prior.log_prob(probe).to_vector<double>())}};
}

void check_prior_fingerprint(const Distribution& prior, const nlohmann::json& fp, const std::string& where) {
  try {
    const std::string name = fp.at("name").get<std::string>();
    AMOR_CHECK(name == prior.name() && fp.at("dim").get<int64_t>() == prior.dim(), ValueError, where,
               ": the checkpoint was trained with prior '", name, "' of dimension ", fp.at("dim").get<int64_t>(),
               ", the prior given is '", prior.name(), "' of dimension ", prior.dim());
    const nlohmann::json now = prior_fingerprint(prior);
    AMOR_CHECK(now.at("support") == fp.at("support"), ValueError, where,
               ": the prior's support differs from the checkpoint's: ", now.at("support").dump(), " vs ",
               fp.at("support").dump());
    const std::vector<double> a = flows::bounds_from_json(fp.at("probe"), "probe"),
                              b = flows::bounds_from_json(now.at("probe"), "probe");
    const std::vector<double> la = flows::bounds_from_json(fp.at("log_prob"), "log_prob"),
                              lb = flows::bounds_from_json(now.at("log_prob"), "log_prob");
    AMOR_CHECK(a.size() == b.size() && la.size() == lb.size(), ValueError, where, ": malformed prior fingerprint");
    for (size_t i = 0; i < a.size(); ++i)
      AMOR_CHECK(close(a[i], b[i], 1e-12), ValueError, where,
                 ": the prior draws differently from the one the checkpoint was trained with (probe value ", i + 1,
                 ": ", a[i], " vs ", b[i], ")");
    for (size_t i = 0; i < la.size(); ++i)
      AMOR_CHECK(close(la[i], lb[i], 1e-9), ValueError, where,
                 ": the prior's density differs from the one the checkpoint was trained with (log p at probe ",
                 i + 1, ": ", la[i], " vs ", lb[i], ")");
  } catch (const nlohmann::json::exception& e) {
    throw IOError(where + ": malformed prior fingerprint: " + e.what());
  }
}

// ---- posterior ------------------------------------------------------------------------------------

NlePosterior::NlePosterior(flows::ConditionalFlowPtr flow, NleConfig config, std::string task_name,
                           DistributionPtr prior, uint64_t seed)
    : flow_(std::move(flow)), config_(std::move(config)), task_(std::move(task_name)), prior_(std::move(prior)),
      seed_(seed) {
  AMOR_CHECK(flow_ != nullptr && prior_ != nullptr, ValueError, "nle: the posterior needs a flow and a prior");
  AMOR_CHECK(prior_->dim() == flow_->context_features(), ShapeError, "nle: the prior has dimension ", prior_->dim(),
             " but the likelihood flow conditions on θ of dimension ", flow_->context_features());
  config_.mcmc.validate();
}

void NlePosterior::set_mcmc(const McmcOptions& mcmc) {
  mcmc.validate();
  config_.mcmc = mcmc;
}

Tensor NlePosterior::observation_rows(const Tensor& x_o, const char* who) const {
  const int64_t d = x_dim();
  AMOR_CHECK(x_o.defined(), ShapeError, who, ": the observation is undefined");
  const Tensor x = x_o.dim() == 1 ? x_o.reshape({1, x_o.size(0)}) : x_o;
  AMOR_CHECK(x.dim() == 2 && x.size(0) >= 1 && x.size(1) == d, ShapeError, who, ": the observation must be [", d,
             "], [1, ", d, "] or k iid trials [k, ", d, "], got ", x_o.shape().str());
  AMOR_CHECK(x.dtype() == DType::F32 || x.dtype() == DType::F64, DTypeError, who,
             ": the observation must be float32 or float64");
  const Tensor x64 = x.to(Device::cpu()).to(DType::F64).contiguous();  // checked on the host
  const double* p = x64.data<double>();
  for (int64_t i = 0; i < x64.numel(); ++i)
    AMOR_CHECK(std::isfinite(p[i]), ValueError, who, ": observation row ", i / d + 1, " entry ", i % d + 1,
               " is not finite");
  return x64.to(flow_->dtype()).contiguous().to(device());  // copied to the flow's device once
}

// θ: [m, theta_dim] (any float dtype, any device), x_rows: [k, x_dim] in the flow's dtype on its
// device -> [m] float64 on the host. One θ copy to the device and one result copy back per batch
// of MCMC proposals.
Tensor NlePosterior::log_likelihood_rows(const Tensor& theta, const Tensor& x_rows) {
  const int64_t m = theta.size(0), k = x_rows.size(0), dt = theta_dim(), dx = x_dim();
  const Tensor th = theta.to(flow_->dtype()).to(device());
  flow_->eval();
  NoGradGuard no_grad;
  if (k == 1)
    return flow_->log_prob(x_rows.expand({m, dx}).contiguous(), th).to(Device::cpu()).to(DType::F64).contiguous();
  // Every θ against every trial: rows (i, t) -> i·k + t.
  const Tensor context = th.unsqueeze(1).expand({m, k, dt}).reshape({m * k, dt});
  const Tensor inputs = x_rows.unsqueeze(0).expand({m, k, dx}).reshape({m * k, dx});
  return sum(flow_->log_prob(inputs, context).to(DType::F64).reshape({m, k}), {1}).to(Device::cpu()).contiguous();
}

Tensor NlePosterior::log_likelihood(const Tensor& theta, const Tensor& x_o) {
  AMOR_CHECK(theta.defined() && theta.dim() == 2 && theta.size(1) == theta_dim(), ShapeError,
             "nle log_likelihood: θ must be [m, ", theta_dim(), "], got ",
             theta.defined() ? theta.shape().str() : std::string("an undefined tensor"));
  return log_likelihood_rows(theta, observation_rows(x_o, "nle log_likelihood"));
}

Tensor NlePosterior::unnormalized_log_posterior(const Tensor& theta, const Tensor& x_o) {
  const Tensor ll = log_likelihood(theta, x_o);
  return ll + prior_->log_prob(theta.to(Device::cpu()));
}

Tensor NlePosterior::sample(const Tensor& x_o, int64_t n, uint64_t seed) {
  AMOR_CHECK(n >= 1, ValueError, "nle sample: number of samples must be positive, got ", n);
  const Tensor x_rows = observation_rows(x_o, "nle sample");
  const BatchLogLikelihood ll = [&](const Tensor& theta) { return log_likelihood_rows(theta, x_rows); };
  McmcStats st;
  Tensor out = sample_posterior_mcmc(*prior_, ll, n, config_.mcmc, seed, &st);
  last_stats_ = st;
  return out;
}

void NlePosterior::to(Device device) { flow_->to(device); }

void NlePosterior::save(const std::string& path) const {
  const nlohmann::json meta = {{"format", "amor"},
                               {"method", "nle"},
                               {"task", task_},
                               {"theta_dim", theta_dim()},
                               {"x_dim", x_dim()},
                               {"seed", seed_},
                               {"nle", config_.to_json()},
                               {"flow_options", flow_->options().to_json()},
                               {"prior", prior_fingerprint(*prior_)}};
  nn::save_checkpoint(*flow_, path, meta);
}

// ---- method -------------------------------------------------------------------------------------

PosteriorPtr NleMethod::train(const Task& task, const Dataset& data, const TrainOptions& options,
                              TrainReport* report) const {
  const NleConfig config = NleConfig::from_json(options.config);
  require_device(config.device);  // before any work: DeviceError when it cannot be used here
  AMOR_CHECK(data.theta.defined() && data.x.defined() && data.theta.dim() == 2 && data.x.dim() == 2 &&
                 data.theta.size(0) == data.x.size(0) && data.theta.size(1) == task.theta_dim() &&
                 data.x.size(1) == task.x_dim(),
             ShapeError, "nle: dataset θ ", data.theta.defined() ? data.theta.shape().str() : "undefined", " and x ",
             data.x.defined() ? data.x.shape().str() : "undefined", " do not match task '", task.name(), "' (θ ",
             task.theta_dim(), ", x ", task.x_dim(), ")");
  // The flow models x given θ; x is unbounded, so no support.
  auto flow = npe::build_estimator(config.estimator, task.x_dim(), task.theta_dim(), config.estimator_options,
                                   flows::FlowOptions{}, options.seed);
  const auto on_epoch = npe::epoch_progress(options.on_progress);
  const npe::FlowTrainingResult r =
      npe::train_flow(*flow, data.x, data.theta, config.training, options.seed, on_epoch, options.stop);
  npe::fill_train_report(report, r, data);
  return std::make_unique<NlePosterior>(std::move(flow), config, task.name(), task.prior(), options.seed);
}

namespace {

std::unique_ptr<NlePosterior> load_with_prior(const std::string& path, const nlohmann::json& meta,
                                              DistributionPtr prior) {
  try {
    const NleConfig config = NleConfig::from_json(meta.at("nle"));
    const flows::FlowOptions fo = flows::FlowOptions::from_json(meta.at("flow_options"));
    const int64_t theta_dim = meta.at("theta_dim").get<int64_t>(), x_dim = meta.at("x_dim").get<int64_t>();
    const uint64_t seed = meta.at("seed").get<uint64_t>();
    check_prior_fingerprint(*prior, meta.at("prior"), "nle: " + path);
    // estimator_options may override flow keys; the saved flow options already include them.
    auto flow = npe::build_estimator(config.estimator, x_dim, theta_dim, config.estimator_options, fo, seed);
    nn::load_checkpoint(*flow, path);
    return std::make_unique<NlePosterior>(std::move(flow), config, meta.at("task").get<std::string>(),
                                          std::move(prior), seed);
  } catch (const nlohmann::json::exception& e) {
    throw IOError("nle: " + path + " has malformed metadata: " + e.what());
  }
}

nlohmann::json read_nle_metadata(const std::string& path) {
  const nlohmann::json meta = nn::read_checkpoint_config(path);
  AMOR_CHECK(meta.is_object() && meta.value("method", "") == "nle" && meta.contains("nle") && meta.contains("task"),
             IOError, "nle: ", path, " is not an NLE checkpoint");
  return meta;
}

}  // namespace

PosteriorPtr NleMethod::load(const std::string& path) const {
  const nlohmann::json meta = read_nle_metadata(path);
  const std::string task = meta.at("task").is_string() ? meta.at("task").get<std::string>() : std::string();
  TaskPtr t;
  try {
    t = make_task(task);
  } catch (const ValueError& e) {
    throw ValueError("nle: " + path + " was trained for task '" + task +
                     "', which is not registered here; NLE needs that task's prior (register_task it, or use "
                     "load_nle_posterior(path, prior)): " + e.what());
  }
  return load_with_prior(path, meta, t->prior());
}

std::unique_ptr<NlePosterior> load_nle_posterior(const std::string& path, DistributionPtr prior) {
  AMOR_CHECK(prior != nullptr, ValueError, "load_nle_posterior: the prior is null");
  return load_with_prior(path, read_nle_metadata(path), std::move(prior));
}

}  // namespace amor::sbi::nle
