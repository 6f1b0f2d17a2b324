#include "sbi/summary/summary_flow.h"

#include <algorithm>
#include <cmath>

#include "core/autograd.h"
#include "core/error.h"
#include "core/ops.h"
#include "nn/checkpoint.h"
#include "sbi/npe/estimator_factory.h"

namespace amor::sbi::summary {

nlohmann::json SummaryFlowConfig::to_json() const {
  return {{"summary", summary},
          {"estimator", estimator},
          {"estimator_options", estimator_options},
          {"theta_dim", theta_dim},
          {"input_dim", input_dim},
          {"condition_dim", condition_dim},
          {"flow_options", flow_options.to_json()},
          {"standardize_inputs", standardize_inputs},
          {"seed", seed}};
}

SummaryFlowConfig SummaryFlowConfig::from_json(const nlohmann::json& j) {
  flows::check_json_keys(j,
                         {"summary", "estimator", "estimator_options", "theta_dim", "input_dim", "condition_dim",
                          "flow_options", "standardize_inputs", "seed"},
                         "summary flow");
  SummaryFlowConfig c;
  try {
    if (j.contains("summary")) c.summary = j.at("summary");
    if (j.contains("estimator")) c.estimator = j.at("estimator").get<std::string>();
    if (j.contains("estimator_options")) c.estimator_options = j.at("estimator_options");
    c.theta_dim = j.value("theta_dim", int64_t(0));
    c.input_dim = j.value("input_dim", int64_t(0));
    c.condition_dim = j.value("condition_dim", int64_t(0));
    if (j.contains("flow_options")) c.flow_options = flows::FlowOptions::from_json(j.at("flow_options"));
    c.standardize_inputs = j.value("standardize_inputs", true);
    c.seed = j.value("seed", uint64_t(0));
  } catch (const nlohmann::json::exception& e) {
    throw ValueError(std::string("summary flow: malformed configuration: ") + e.what());
  }
  return c;
}

SummaryFlow::SummaryFlow(const SummaryFlowConfig& config) : config_(config) {
  AMOR_CHECK(config.theta_dim >= 1 && config.input_dim >= 1 && config.condition_dim >= 0, ValueError,
             "SummaryFlow: need theta_dim >= 1, input_dim >= 1 and condition_dim >= 0, got ", config.theta_dim, ", ",
             config.input_dim, ", ", config.condition_dim);
  config_.flow_options.standardize_context = false;
  const DType dt = config_.flow_options.dtype;
  summary_ = register_module("summary", build_summary_network(config_.summary, config_.input_dim, config_.seed, dt));
  flow_ = register_module("flow", npe::build_estimator(config_.estimator, config_.theta_dim,
                                                       summary_->summary_dim() + config_.condition_dim,
                                                       config_.estimator_options, config_.flow_options,
                                                       config_.seed + 1));
  input_mean = zeros(Shape{config_.input_dim}, {.dtype = dt});
  input_std = ones(Shape{config_.input_dim}, {.dtype = dt});
  register_buffer("input_mean", &input_mean);
  register_buffer("input_std", &input_std);
  if (config_.condition_dim > 0) {
    condition_mean = zeros(Shape{config_.condition_dim}, {.dtype = dt});
    condition_std = ones(Shape{config_.condition_dim}, {.dtype = dt});
    register_buffer("condition_mean", &condition_mean);
    register_buffer("condition_std", &condition_std);
  }
}

Tensor SummaryFlow::standardized_inputs(const SetBatch& batch) const {
  return (batch.x.to(dtype()) - input_mean) / input_std;
}

Tensor SummaryFlow::context(const SetBatch& batch) {
  batch.check("SummaryFlow", false);
  AMOR_CHECK(batch.x.size(2) == config_.input_dim, ShapeError, "SummaryFlow: x ", batch.x.shape(),
             " must have ", config_.input_dim, " features per element");
  AMOR_CHECK(batch.conditions.defined() == (config_.condition_dim > 0), ValueError, "SummaryFlow: expects ",
             config_.condition_dim, " direct conditions, got ",
             batch.conditions.defined() ? batch.conditions.shape().str() : std::string("none"));
  Tensor h = summary_->forward(standardized_inputs(batch), batch.mask);  // [B, S]
  if (config_.condition_dim == 0) return h;
  AMOR_CHECK(batch.conditions.size(1) == config_.condition_dim, ShapeError, "SummaryFlow: conditions ",
             batch.conditions.shape(), " must be [B, ", config_.condition_dim, "]");
  const Tensor c = (batch.conditions.to(dtype()) - condition_mean) / condition_std;
  return concat({h, c}, 1);
}

Tensor SummaryFlow::log_prob(const SetBatch& batch) {
  batch.check("SummaryFlow.log_prob", true);
  AMOR_CHECK(batch.theta.size(1) == config_.theta_dim, ShapeError, "SummaryFlow.log_prob: θ ", batch.theta.shape(),
             " must be [B, ", config_.theta_dim, "]");
  return flow_->log_prob(batch.theta.to(dtype()), context(batch));
}

Tensor SummaryFlow::sample(int64_t n, const SetBatch& observation, Generator& gen) {
  AMOR_CHECK(observation.size() == 1, ShapeError, "SummaryFlow.sample: expects one data set (x [1, N, F]), got x ",
             observation.x.defined() ? observation.x.shape().str() : std::string("undefined"));
  AMOR_CHECK(n >= 1, ValueError, "SummaryFlow.sample: number of samples must be >= 1, got ", n);
  const bool was_training = is_training();
  eval();
  NoGradGuard ng;
  Tensor s = flow_->sample(n, context(observation), gen);
  train(was_training);
  return s;
}

Tensor SummaryFlow::sample_batched(int64_t n, const SetBatch& observations, Generator& gen, int64_t max_rows) {
  AMOR_CHECK(n >= 1, ValueError, "SummaryFlow.sample_batched: number of samples must be >= 1, got ", n);
  observations.check("SummaryFlow.sample_batched", false);
  const bool was_training = is_training();
  eval();
  NoGradGuard ng;
  const int64_t m = observations.size();
  const int64_t chunk = std::max<int64_t>(1, max_rows / n);
  std::vector<Tensor> parts;
  for (int64_t start = 0; start < m; start += chunk) {
    const int64_t len = std::min(chunk, m - start);
    const SetBatch part = observations.rows(arange(start, start + len, 1.0, {.dtype = DType::I64, .device = observations.x.device()}));
    parts.push_back(flow_->sample_batched(n, context(part), gen));
  }
  train(was_training);
  return parts.size() == 1 ? parts[0] : concat(parts, 0);
}

namespace {

// Per-feature mean and unbiased std of the real, finite values of x [B, N, F] (mask [B, N] or
// undefined); std 1 for constant features. ValueError with fewer than 2 values in a feature.
std::pair<std::vector<double>, std::vector<double>> masked_feature_stats(const Tensor& x, const Tensor& mask,
                                                                         const char* what) {
  const Tensor x64 = x.to(Device::cpu()).to(DType::F64).contiguous();  // fitted on the host
  const int64_t B = x.size(0), N = x.size(1), F = x.size(2);
  const std::vector<uint8_t> m =
      mask.defined() ? mask.to(Device::cpu()).contiguous().to_vector<uint8_t>() : std::vector<uint8_t>();
  const double* p = x64.data<double>();
  std::vector<double> mean(size_t(F), 0.0), sd(size_t(F), 1.0);
  for (int64_t f = 0; f < F; ++f) {
    double s = 0, s2 = 0;
    int64_t count = 0;
    for (int64_t i = 0; i < B * N; ++i) {
      if (!m.empty() && !m[size_t(i)]) continue;
      const double v = p[i * F + f];
      if (!std::isfinite(v)) continue;
      s += v;
      ++count;
    }
    AMOR_CHECK(count >= 2, ValueError, "SummaryFlow.initialize_from_data: ", what, " feature ", f, " has ", count,
               " finite real values (need 2)");
    const double mu = s / double(count);
    for (int64_t i = 0; i < B * N; ++i) {
      if (!m.empty() && !m[size_t(i)]) continue;
      const double v = p[i * F + f];
      if (std::isfinite(v)) s2 += (v - mu) * (v - mu);
    }
    const double var = s2 / double(count - 1);
    mean[size_t(f)] = mu;
    sd[size_t(f)] = std::sqrt(var) < 1e-12 ? 1.0 : std::sqrt(var);
  }
  return {mean, sd};
}

}  // namespace

void SummaryFlow::initialize_from_data(const SetBatch& data) {
  data.check("SummaryFlow.initialize_from_data", true);
  {
    NoGradGuard ng;
    if (config_.standardize_inputs) {
      auto [mu, sd] = masked_feature_stats(data.x, data.mask, "input");
      input_mean.copy_(from_vector(mu).to(input_mean.device()));
      input_std.copy_(from_vector(sd).to(input_std.device()));
      if (config_.condition_dim > 0) {
        AMOR_CHECK(data.conditions.defined(), ValueError, "SummaryFlow.initialize_from_data: no conditions given");
        auto [cm, cs] = masked_feature_stats(data.conditions.unsqueeze(1), Tensor(), "condition");
        condition_mean.copy_(from_vector(cm).to(condition_mean.device()));
        condition_std.copy_(from_vector(cs).to(condition_std.device()));
      }
    }
  }
  Tensor ctx;
  {
    const bool was_training = is_training();
    eval();
    NoGradGuard ng;
    ctx = context(data);
    train(was_training);
  }
  flow_->initialize_from_data(data.theta.to(dtype()), ctx);
}

void SummaryFlow::save(const std::string& path, const nlohmann::json& extra_metadata) const {
  nlohmann::json meta = extra_metadata.is_object() ? extra_metadata : nlohmann::json::object();
  if (!meta.contains("format")) meta["format"] = "amor-summary-flow";
  meta["summary_flow"] = config_.to_json();
  nn::save_checkpoint(*this, path, meta);
}

std::shared_ptr<SummaryFlow> SummaryFlow::load(const std::string& path) {
  const nlohmann::json meta = nn::read_checkpoint_config(path);
  AMOR_CHECK(meta.is_object() && meta.contains("summary_flow"), IOError, "SummaryFlow.load: ", path,
             " has no \"summary_flow\" configuration (not a summary-flow checkpoint)");
  SummaryFlowConfig cfg;
  try {
    cfg = SummaryFlowConfig::from_json(meta.at("summary_flow"));
  } catch (const ValueError& e) {
    throw IOError("SummaryFlow.load: " + path + ": " + e.what());
  }
  auto model = std::make_shared<SummaryFlow>(cfg);
  nn::load_checkpoint(*model, path);
  model->eval();
  return model;
}

}  // namespace amor::sbi::summary
