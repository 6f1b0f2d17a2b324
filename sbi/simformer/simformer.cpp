#include "sbi/simformer/simformer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/ops.h"
#include "core/random.h"
#include "nn/checkpoint.h"
#include "sbi/device_option.h"
#include "nn/clip.h"
#include "nn/optim.h"
#include "nn/schedule.h"
#include "sbi/simformer/reverse_sampler.h"

namespace amor::sbi::simformer {

// ---- configuration ------------------------------------------------------------------------

namespace {

template <class F>
void for_each_key(const nlohmann::json& j, const char* what, F&& f) {
  if (!j.is_object()) throw ValueError(std::string("simformer: ") + what + " must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) f(it.key(), it.value());
}

int64_t as_int(const nlohmann::json& v, const std::string& key) {
  if (!v.is_number_integer()) throw ValueError("simformer: '" + key + "' must be an integer");
  return v.get<int64_t>();
}
double as_number(const nlohmann::json& v, const std::string& key) {
  if (!v.is_number()) throw ValueError("simformer: '" + key + "' must be a number");
  return v.get<double>();
}

}  // namespace

void TrainingOptions::validate() const {
  if (batch_size <= 0) throw ValueError("simformer: training.batch_size must be positive");
  if (steps < 0) throw ValueError("simformer: training.steps must be >= 0");
  if (min_steps <= 0 || max_steps < min_steps)
    throw ValueError("simformer: need 0 < training.min_steps <= training.max_steps");
  if (!(steps_per_simulation > 0)) throw ValueError("simformer: training.steps_per_simulation must be positive");
  if (!(learning_rate > 0) || !(final_learning_rate >= 0))
    throw ValueError("simformer: learning rates must be positive");
  if (!(agc_clip >= 0)) throw ValueError("simformer: training.agc_clip must be >= 0");
  if (!(validation_fraction >= 0 && validation_fraction < 1))
    throw ValueError("simformer: training.validation_fraction must lie in [0, 1)");
  if (validation_checks <= 0 || validation_repeats <= 0 || patience < 0)
    throw ValueError("simformer: validation_checks and validation_repeats must be positive, patience >= 0");
  if (!(divergence_ratio > 0)) throw ValueError("simformer: training.divergence_ratio must be positive");
  time_sampling.validate();
}

nlohmann::json TrainingOptions::to_json() const {
  nlohmann::json j = {{"batch_size", batch_size},
          {"steps", steps},
          {"steps_per_simulation", steps_per_simulation},
          {"min_steps", min_steps},
          {"max_steps", max_steps},
          {"learning_rate", learning_rate},
          {"final_learning_rate", final_learning_rate},
          {"agc_clip", agc_clip},
          {"validation_fraction", validation_fraction},
          {"validation_checks", validation_checks},
          {"validation_repeats", validation_repeats},
          {"divergence_ratio", divergence_ratio},
          {"patience", patience},
          {"z_score", z_score},
          {"random_subsets", random_subsets}};
  if (time_sampling.kind == TimeSampling::Kind::LogNormal) {  // absent when uniform: older models read as before
    j["time_sampling"] = "log_normal";
    j["log_std_mean"] = time_sampling.log_std_mean;
    j["log_std_sd"] = time_sampling.log_std_sd;
  }
  return j;
}

TrainingOptions TrainingOptions::from_json(const nlohmann::json& j, TrainingOptions o) {
  for_each_key(j, "training", [&](const std::string& k, const nlohmann::json& v) {
    if (k == "batch_size") o.batch_size = as_int(v, k);
    else if (k == "steps") o.steps = as_int(v, k);
    else if (k == "steps_per_simulation") o.steps_per_simulation = as_number(v, k);
    else if (k == "min_steps") o.min_steps = as_int(v, k);
    else if (k == "max_steps") o.max_steps = as_int(v, k);
    else if (k == "learning_rate") o.learning_rate = as_number(v, k);
    else if (k == "final_learning_rate") o.final_learning_rate = as_number(v, k);
    else if (k == "agc_clip") o.agc_clip = as_number(v, k);
    else if (k == "validation_fraction") o.validation_fraction = as_number(v, k);
    else if (k == "validation_checks") o.validation_checks = as_int(v, k);
    else if (k == "validation_repeats") o.validation_repeats = as_int(v, k);
    else if (k == "divergence_ratio") o.divergence_ratio = as_number(v, k);
    else if (k == "patience") o.patience = as_int(v, k);
    else if (k == "z_score") {
      if (!v.is_boolean()) throw ValueError("simformer: training.z_score must be true or false");
      o.z_score = v.get<bool>();
    } else if (k == "random_subsets") {
      if (!v.is_boolean()) throw ValueError("simformer: training.random_subsets must be true or false");
      o.random_subsets = v.get<bool>();
    } else if (k == "time_sampling") {
      const std::string kind = v.is_string() ? v.get<std::string>() : std::string();
      if (kind == "uniform") o.time_sampling.kind = TimeSampling::Kind::Uniform;
      else if (kind == "log_normal") o.time_sampling.kind = TimeSampling::Kind::LogNormal;
      else throw ValueError("simformer: training.time_sampling must be \"uniform\" or \"log_normal\", got " + v.dump());
    } else if (k == "log_std_mean") o.time_sampling.log_std_mean = as_number(v, k);
    else if (k == "log_std_sd") o.time_sampling.log_std_sd = as_number(v, k);
    else throw ValueError("simformer: unknown training option '" + k + "'");
  });
  o.validate();
  return o;
}

void SamplingOptions::validate() const {
  parse_sampler_kind(method);  // ValueError naming the choices
  if (steps <= 0) throw ValueError("simformer: sampling.steps must be positive");
  if (chunk <= 0) throw ValueError("simformer: sampling.chunk must be positive");
  guidance.validate();
}

nlohmann::json SamplingOptions::to_json() const {
  return {{"method", method}, {"steps", steps}, {"chunk", chunk}, {"guidance", guidance.to_json()}};
}

SamplingOptions SamplingOptions::from_json(const nlohmann::json& j, SamplingOptions o) {
  for_each_key(j, "sampling", [&](const std::string& k, const nlohmann::json& v) {
    if (k == "method") {
      if (!v.is_string()) throw ValueError("simformer: sampling.method must be a string");
      o.method = v.get<std::string>();
    } else if (k == "steps") o.steps = as_int(v, k);
    else if (k == "chunk") o.chunk = as_int(v, k);
    else if (k == "guidance") o.guidance = GuidanceOptions::from_json(v, o.guidance);
    else throw ValueError("simformer: unknown sampling option '" + k + "'");
  });
  o.validate();
  return o;
}

nlohmann::json SimformerConfig::to_json() const {
  return {{"network", network.to_json()},
          {"sde", sde.to_json()},
          {"attention", to_string(attention)},
          {"condition_masks", condition_masks.to_json()},
          {"training", training.to_json()},
          {"sampling", sampling.to_json()},
          {"bounds", bounds.to_json()},
          {"device", device_string(device)}};
}

SimformerConfig SimformerConfig::from_json(const nlohmann::json& j) {
  SimformerConfig c;
  if (j.is_null()) return c;
  for_each_key(j, "configuration", [&](const std::string& k, const nlohmann::json& v) {
    if (k == "network") {
      // num_nodes comes from the task (SimformerModel sets it); a saved value is read back.
      c.network = ScoreNetworkOptions::from_json(v);
    } else if (k == "sde") c.sde = Sde::from_json(v);
    else if (k == "attention") {
      if (!v.is_string()) throw ValueError("simformer: 'attention' must be a string");
      c.attention = parse_attention_mask_kind(v.get<std::string>());
    } else if (k == "condition_masks") c.condition_masks = ConditionMaskDistribution::from_json(v);
    else if (k == "training") c.training = TrainingOptions::from_json(v);
    else if (k == "sampling") c.sampling = SamplingOptions::from_json(v);
    else if (k == "bounds") c.bounds = ValueBounds::from_json(v);
    else if (k == "device") c.device = device_from_json(v, "simformer");
    else throw ValueError("simformer: unknown configuration key '" + k + "'");
  });
  return c;
}

// ---- model -------------------------------------------------------------------------------

Standardizer::Standardizer(int64_t nodes) {
  mean = zeros({nodes});
  std = ones({nodes});
  register_buffer("mean", &mean);
  register_buffer("std", &std);
}

namespace {

// The checkpoint's root module: the score network and the standardisation.
struct SimformerState : nn::Module {
  SimformerState(std::shared_ptr<nn::Module> net, std::shared_ptr<nn::Module> norm) {
    register_module("score_network", std::move(net));
    register_module("standardizer", std::move(norm));
  }
  std::string type_name() const override { return "Simformer"; }
};

}  // namespace

SimformerModel::SimformerModel(SimformerConfig config, int64_t theta_dim, int64_t x_dim, const Tensor& dag)
    : config_(std::move(config)), theta_dim_(theta_dim), x_dim_(x_dim), dag_(dag_from_tensor(dag)) {
  if (theta_dim <= 0 || x_dim < 0)
    throw ValueError("simformer: theta_dim must be positive and x_dim >= 0");
  if (dag_.n != num_tokens())
    throw ShapeError("simformer: the DAG is " + std::to_string(dag_.n) + "x" + std::to_string(dag_.n) +
                     " but θ and x have " + std::to_string(num_tokens()) + " entries");
  if (has_metadata())
    throw ValueError("simformer: network.metadata_dim > 0 needs the node id of every token (the SimformerModel "
                     "constructor with node_ids)");
  config_.network.num_nodes = num_tokens();
  config_.sde.validate();
  config_.training.validate();
  config_.sampling.validate();
  config_.condition_masks.validate();
  for (int64_t i = 0; i < num_tokens(); ++i) node_ids_.push_back(i);
  transform_ = ValueTransform(config_.bounds, num_tokens());
  net_ = std::make_shared<ScoreNetwork>(config_.network);
  norm_ = std::make_shared<Standardizer>(num_tokens());
}

SimformerModel::SimformerModel(SimformerConfig config, int64_t theta_dim, int64_t x_dim, const Tensor& node_dag,
                               const Tensor& node_ids)
    : config_(std::move(config)), theta_dim_(theta_dim), x_dim_(x_dim), dag_(dag_from_tensor(node_dag)) {
  if (theta_dim <= 0 || x_dim < 0)
    throw ValueError("simformer: theta_dim must be positive and x_dim >= 0");
  if (!has_metadata())
    throw ValueError("simformer: node ids are for models with metadata tokens: set network.metadata_dim > 0");
  if (!node_ids.defined() || node_ids.dim() != 1 || node_ids.size(0) != num_tokens() ||
      node_ids.dtype() != DType::I64)
    throw ShapeError("simformer: node_ids must be int64 [" + std::to_string(num_tokens()) + "] (theta_dim + x_dim), got " +
                     (node_ids.defined() ? node_ids.shape().str() : std::string("nothing")));
  node_ids_ = node_ids.to(Device::cpu()).contiguous().to_vector<int64_t>();
  for (int64_t id : node_ids_)
    if (id < 0 || id >= dag_.n)
      throw ValueError("simformer: node id " + std::to_string(id) + " outside the node DAG's [0, " +
                       std::to_string(dag_.n) + ")");
  config_.network.num_nodes = dag_.n;
  config_.sde.validate();
  config_.training.validate();
  config_.sampling.validate();
  config_.condition_masks.validate();
  train_attention_ = node_attention_mask(config_.attention, dag_, node_ids_);  // ValueError for directed
  train_node_ids_ = from_vector(node_ids_, {num_tokens()});
  transform_ = ValueTransform(config_.bounds, dag_.n);
  net_ = std::make_shared<ScoreNetwork>(config_.network);
  norm_ = std::make_shared<Standardizer>(dag_.n);
}

namespace {
// The [.., T, T] attention masks are built on the host from the condition masks and copied once.
Tensor on_device(const Tensor& t, Device device) { return t.defined() ? t.to(device) : t; }
}  // namespace

void SimformerModel::to(Device device) {
  net_->to(device);
  norm_->to(device);
  if (train_node_ids_.defined()) train_node_ids_ = train_node_ids_.to(device);
}

SimformerModel::Query SimformerModel::resolve(const TokenLayout* tokens) const {
  Query q;
  if (!tokens) {
    if (has_metadata())
      throw ValueError("simformer: this model has metadata tokens (function-valued variables): give the query's "
                       "node ids and metadata (TokenLayout)");
    q.node_ids = node_ids_;
    q.node_ids_tensor = from_vector(node_ids_, {int64_t(node_ids_.size())});
    // Dense and undirected masks do not depend on the condition mask: built once per query, not
    // once per score call (every step of every sampler).
    if (config_.attention != AttentionMaskKind::Directed) q.attention = attention_masks(config_.attention, dag_, Tensor());
    return q;
  }
  if (!has_metadata())
    throw ValueError("simformer: node ids and metadata (TokenLayout) given to a model without metadata tokens "
                     "(network.metadata_dim = 0)");
  if (!tokens->node_ids.defined() || tokens->node_ids.dim() != 1 || tokens->node_ids.size(0) == 0 ||
      tokens->node_ids.dtype() != DType::I64)
    throw ShapeError("simformer: the query's node_ids must be a non-empty int64 [T'] tensor");
  const int64_t n = tokens->node_ids.size(0);
  if (!tokens->metadata.defined() || tokens->metadata.dim() != 1 || tokens->metadata.size(0) != n)
    throw ShapeError("simformer: the query's metadata must be [" + std::to_string(n) + "] (one per token), got " +
                     (tokens->metadata.defined() ? tokens->metadata.shape().str() : std::string("nothing")));
  q.node_ids = tokens->node_ids.to(Device::cpu()).contiguous().to_vector<int64_t>();
  for (size_t i = 0; i < q.node_ids.size(); ++i)
    if (q.node_ids[i] < 0 || q.node_ids[i] >= num_nodes())
      throw ValueError("simformer: token " + std::to_string(i) + " has node id " + std::to_string(q.node_ids[i]) +
                       " outside [0, " + std::to_string(num_nodes()) + ")");
  const std::vector<double> meta = tokens->metadata.to(Device::cpu()).to(DType::F64).contiguous().to_vector<double>();
  for (size_t i = 0; i < meta.size(); ++i)
    if (std::isinf(meta[i]))
      throw ValueError("simformer: token " + std::to_string(i) + " has infinite metadata (NaN marks none)");
  q.node_ids_tensor = from_vector(q.node_ids, {n});
  q.metadata = tokens->metadata.to(Device::cpu()).to(DType::F32).contiguous();
  q.attention = node_attention_mask(config_.attention, dag_, q.node_ids);
  return q;
}

Tensor SimformerModel::score(const Tensor& x_t, const Tensor& observed, const Tensor& t) const {
  return score_query(resolve(nullptr), x_t, observed, t);
}

Tensor SimformerModel::score(const TokenLayout& tokens, const Tensor& x_t, const Tensor& observed,
                             const Tensor& t) const {
  return score_query(resolve(&tokens), x_t, observed, t);
}

Tensor SimformerModel::score_query(const Query& q, const Tensor& x_t, const Tensor& observed, const Tensor& t) const {
  const int64_t batch = x_t.size(0);
  const Device dev = device();
  std::vector<float> stds(static_cast<size_t>(batch)), means(static_cast<size_t>(batch));
  const Tensor tc = t.to(Device::cpu()).to(DType::F32).contiguous();  // the SDE's σ(t), α(t) on the host
  for (int64_t b = 0; b < batch; ++b) {
    stds[size_t(b)] = float(config_.sde.std(tc.data<float>()[b]));
    means[size_t(b)] = float(config_.sde.mean_factor(tc.data<float>()[b]));
  }
  const Tensor std_t = from_vector(stds, {batch}).to(dev);
  const Tensor mean_t = from_vector(means, {batch}).to(dev);
  if (!has_metadata()) {
    // Only the directed mask follows each row's condition mask.
    const Tensor mask = config_.attention == AttentionMaskKind::Directed
                            ? attention_masks(config_.attention, dag_, observed.to(Device::cpu()))
                            : q.attention;
    return net_->forward(x_t, observed.to(dev), tc.to(dev), std_t, Tensor(), on_device(mask, dev), Tensor(), mean_t);
  }
  return net_->forward(x_t, observed.to(dev), tc.to(dev), std_t, q.node_ids_tensor.to(dev), on_device(q.attention, dev),
                       q.metadata.to(dev), mean_t);
}

Tensor SimformerModel::training_attention(const Tensor& observed, const Tensor& present) const {
  if (!has_metadata()) return attention_masks(config_.attention, dag_, observed.to(Device::cpu()));
  if (!present.defined()) return train_attention_;
  return hide_absent_tokens(train_attention_, present);
}

Tensor SimformerModel::loss(const Tensor& x0, const Tensor& observed, const Tensor& t, const Tensor& eps) const {
  return loss(x0, observed, t, eps, Tensor());
}

Tensor SimformerModel::loss(const Tensor& x0, const Tensor& observed, const Tensor& t, const Tensor& eps,
                            const Tensor& metadata) const {
  return loss_impl(x0, observed, t, eps, metadata, Tensor());
}

Tensor SimformerModel::loss_impl(const Tensor& x0, const Tensor& observed_in, const Tensor& t, const Tensor& eps,
                                 const Tensor& metadata, const Tensor& present) const {
  // Absent tokens (random subsets) count as observed: not noised, no loss; the mask hides them.
  const Tensor observed = present.defined() ? logical_or(observed_in.to(Device::cpu()), logical_not(present)) : observed_in;
  // x0: [B, T] float32 standardised, on the model's device; eps: [B, T] float32; observed: [B, T]
  // bool; t: [B] float32; metadata [B, T] float32 with metadata tokens (these on any device:
  // copied to x0's).
  if (has_metadata() != metadata.defined())
    throw ValueError(has_metadata() ? "simformer loss: this model has metadata tokens: give the batch's metadata"
                                    : "simformer loss: metadata given to a model without metadata tokens");
  const int64_t batch = x0.size(0);
  const size_t nb = static_cast<size_t>(batch);
  const Device dev = x0.device();
  std::vector<float> mean_f(nb), std_f(nb), weight(nb);
  const Tensor t_host = t.to(Device::cpu()).contiguous();  // the SDE's factors on the host
  const float* tp = t_host.data<float>();
  for (int64_t b = 0; b < batch; ++b) {
    mean_f[size_t(b)] = float(config_.sde.mean_factor(tp[b]));
    std_f[size_t(b)] = float(config_.sde.std(tp[b]));
    weight[size_t(b)] = float(config_.sde.loss_weight(tp[b]));
  }
  const Tensor mean_t = from_vector(mean_f, {batch, 1}).to(dev);
  const Tensor std_t = from_vector(std_f, {batch, 1}).to(dev);
  const Tensor lambda = from_vector(weight, {batch}).to(dev);
  const Tensor obs = observed.to(dev), noise = eps.to(dev);
  // Latent entries are noised, observed ones stay clean.
  const Tensor x_t = where(obs, x0, x0 * mean_t + noise * std_t);
  const Tensor mask = on_device(training_attention(observed, present), dev);
  const Tensor alpha = mean_t.reshape({batch});
  const Tensor s = has_metadata()
                       ? net_->forward(x_t, obs, t.to(dev), std_t.reshape({batch}), train_node_ids_.to(dev), mask,
                                       metadata.to(dev), alpha)
                       : net_->forward(x_t, obs, t.to(dev), std_t.reshape({batch}), Tensor(), mask, Tensor(), alpha);
  const Tensor target = -noise / std_t;
  const Tensor sq = where(obs, zeros_like(s), square(s - target));  // [B, T]
  return mean(sum(sq, {1}) * lambda);
}

TrainingSummary SimformerModel::train(const Tensor& joint, uint64_t seed,
                                      const std::function<void(const TrainingProgress&)>& on_progress,
                                      const std::atomic<bool>* stop) {
  if (has_metadata())
    throw ValueError("simformer: this model has metadata tokens: train(joint, metadata, seed) takes the metadata "
                     "of every training token");
  return train_impl(joint, nullptr, seed, on_progress, stop);
}

TrainingSummary SimformerModel::train(const Tensor& joint, const Tensor& metadata, uint64_t seed,
                                      const std::function<void(const TrainingProgress&)>& on_progress,
                                      const std::atomic<bool>* stop) {
  if (!has_metadata())
    throw ValueError("simformer: metadata given to a model without metadata tokens (network.metadata_dim = 0)");
  if (metadata.dim() != 2 || joint.dim() != 2 || metadata.size(0) != joint.size(0) ||
      metadata.size(1) != num_tokens())
    throw ShapeError("simformer: training metadata must be [N, " + std::to_string(num_tokens()) +
                     "] like the rows, got " + metadata.shape().str() + " for rows " + joint.shape().str());
  const Tensor m64 = metadata.to(Device::cpu()).to(DType::F64).contiguous();
  const double* m = m64.data<double>();
  for (int64_t k = 0; k < m64.numel(); ++k)
    if (std::isinf(m[k])) throw ValueError("simformer: training metadata contain inf (NaN marks a token without)");
  return train_impl(joint, &m64, seed, on_progress, stop);
}

TrainingSummary SimformerModel::train_impl(const Tensor& joint, const Tensor* metadata, uint64_t seed,
                                           const std::function<void(const TrainingProgress&)>& on_progress,
                                           const std::atomic<bool>* stop) {
  const auto t_start = std::chrono::steady_clock::now();
  const TrainingOptions& o = config_.training;
  if (joint.dim() != 2 || joint.size(1) != num_tokens())
    throw ShapeError("simformer: training data must be [N, " + std::to_string(num_tokens()) + "], got " +
                     joint.shape().str());
  const Device device = this->device();
  const auto host_value = [](const Tensor& scalar) { return scalar.to(Device::cpu()).item<double>(); };
  const Tensor raw64 = joint.to(Device::cpu()).to(DType::F64).contiguous();  // checked and fitted on the host
  if (sum(isfinite(raw64).to(DType::F64)).item<double>() != double(raw64.numel()))
    throw ValueError("simformer: training data contain NaN or inf (drop invalid simulations first)");
  // Bounded values are mapped to R first (value_transform.h); standardisation is of the result.
  const Tensor data64 = transform_.forward(raw64, node_ids_, Tensor(), "training data");
  const int64_t n = data64.size(0), tokens = num_tokens();
  if (n < 2) throw ValueError("simformer: need at least 2 simulations to train, got " + std::to_string(n));

  // Split: the first validation_fraction of a seeded permutation is held out.
  Generator split_gen(seed, 0x5B17);
  const Tensor perm = randperm(n, split_gen);
  int64_t n_val = int64_t(std::floor(o.validation_fraction * double(n)));
  if (o.validation_fraction > 0 && n_val == 0 && n >= 20) n_val = 1;
  const Tensor val_idx = perm.slice(0, 0, n_val), train_idx = perm.slice(0, n_val, n);
  const int64_t n_train = n - n_val;

  // Standardisation from the training part.
  {
    NoGradGuard ng;
    const Tensor train_rows = index_select(data64, 0, train_idx);
    Tensor mu = mean(train_rows, {0});
    Tensor sd = n_train > 1 ? sqrt(var(train_rows, {0})) : ones({tokens}, {.dtype = DType::F64});
    sd = where(gt(sd, 1e-8), sd, ones_like(sd));  // constant tokens keep their scale
    if (has_metadata()) {
      // Per node: pool the values of every token of a node (the time points of one series).
      const int64_t nodes = num_nodes();
      std::vector<double> sum_v(size_t(nodes), 0.0), count(size_t(nodes), 0.0);
      const Tensor rows = train_rows.contiguous();
      const double* r = rows.data<double>();
      for (int64_t i = 0; i < n_train; ++i)
        for (int64_t j = 0; j < tokens; ++j) {
          sum_v[size_t(node_ids_[size_t(j)])] += r[i * tokens + j];
          count[size_t(node_ids_[size_t(j)])] += 1;
        }
      std::vector<double> mu_v(size_t(nodes), 0.0), sd_v(size_t(nodes), 1.0), ss(size_t(nodes), 0.0);
      for (int64_t k = 0; k < nodes; ++k)
        if (count[size_t(k)] > 0) mu_v[size_t(k)] = sum_v[size_t(k)] / count[size_t(k)];
      for (int64_t i = 0; i < n_train; ++i)
        for (int64_t j = 0; j < tokens; ++j) {
          const size_t k = size_t(node_ids_[size_t(j)]);
          ss[k] += (r[i * tokens + j] - mu_v[k]) * (r[i * tokens + j] - mu_v[k]);
        }
      for (int64_t k = 0; k < nodes; ++k) {
        const double c = count[size_t(k)];
        const double s = c > 1 ? std::sqrt(ss[size_t(k)] / (c - 1)) : 1.0;
        sd_v[size_t(k)] = s > 1e-8 ? s : 1.0;
      }
      mu = from_vector(mu_v, {nodes});
      sd = from_vector(sd_v, {nodes});
    }
    if (!o.z_score) {
      mu = zeros({num_nodes()}, {.dtype = DType::F64});
      sd = ones({num_nodes()}, {.dtype = DType::F64});
    }
    norm_->mean.copy_(mu.to(DType::F32).to(device));
    norm_->std.copy_(sd.to(DType::F32).to(device));
  }
  // Per token of the training layout (the identity without metadata tokens).
  const Tensor layout = from_vector(node_ids_, {tokens});
  const Tensor mean_host = index_select(norm_->mean.to(Device::cpu()), 0, layout);
  const Tensor std_host = index_select(norm_->std.to(Device::cpu()), 0, layout);
  const Tensor data = ((data64.to(DType::F32) - mean_host) / std_host).contiguous();  // [N, T]
  // Both splits on the training device once; each step gathers its rows there.
  const Tensor train_data = index_select(data, 0, train_idx).to(device);
  const Tensor val_data = index_select(data, 0, val_idx).to(device);
  Tensor train_meta, val_meta;  // [N_train, T], [N_val, T] float32 (metadata tokens only)
  if (metadata) {
    const Tensor meta32 = metadata->to(DType::F32).contiguous();
    train_meta = index_select(meta32, 0, train_idx).to(device);
    val_meta = index_select(meta32, 0, val_idx).to(device);
  }

  const int64_t total = o.steps > 0 ? o.steps
                                    : std::clamp<int64_t>(int64_t(o.steps_per_simulation * double(n)),
                                                          o.min_steps, o.max_steps);
  const int64_t half = total / 2;
  const nn::Schedule lr = nn::constant(o.learning_rate).then(nn::linear(o.learning_rate, o.final_learning_rate, total - half), half);
  const auto params = net_->parameters();
  nn::Adam opt(params, o.learning_rate);
  Generator gen(seed, 0x7EA1);
  Generator val_gen(seed, 0x7A11);
  const int64_t batch = std::min(o.batch_size, std::max<int64_t>(n_train, 1));
  const int64_t check_every = std::max<int64_t>(1, total / o.validation_checks);

  // Random subsets: the token lists of the nodes with several tokens.
  if (o.random_subsets && !has_metadata())
    throw ValueError("simformer: training.random_subsets needs a model with metadata tokens (network.metadata_dim > 0)");
  std::vector<std::vector<int64_t>> subset_groups;
  if (o.random_subsets) {
    std::vector<std::vector<int64_t>> by_node(static_cast<size_t>(num_nodes()));
    for (int64_t j = 0; j < tokens; ++j) by_node[size_t(node_ids_[size_t(j)])].push_back(j);
    for (auto& g : by_node)
      if (g.size() > 1) subset_groups.push_back(std::move(g));
  }
  // present [b, T]: per row and group, k ~ U{1..K} tokens kept, a uniform k-subset (partial
  // Fisher–Yates on uniform draws from g).
  auto draw_present = [&](int64_t b, Generator& g) {
    Tensor present = ones({b, tokens}).to(DType::Bool);
    bool* p = present.data<bool>();
    for (const auto& group : subset_groups) {
      const int64_t k_all = int64_t(group.size());
      const Tensor u = rand({b, k_all + 1}, g, {.dtype = DType::F64});
      const double* up = u.data<double>();
      std::vector<int64_t> order(group.size());
      for (int64_t r = 0; r < b; ++r) {
        const double* ur = up + r * (k_all + 1);
        const int64_t keep = std::min<int64_t>(k_all, 1 + int64_t(ur[0] * double(k_all)));
        order = group;
        for (int64_t i = 0; i < keep; ++i) {
          const int64_t pick = i + std::min<int64_t>(k_all - i - 1, int64_t(ur[1 + i] * double(k_all - i)));
          std::swap(order[size_t(i)], order[size_t(pick)]);
        }
        for (int64_t i = keep; i < k_all; ++i) p[r * tokens + order[size_t(i)]] = false;
      }
    }
    return present;
  };
  auto batch_loss = [&](const Tensor& rows, const Tensor& meta, Generator& g) {
    const int64_t b = rows.size(0);
    const Tensor observed = sample_condition_masks(config_.condition_masks, b, theta_dim_, x_dim_, g);
    const Tensor t = o.time_sampling.sample(config_.sde, b, g);
    const Tensor eps = randn({b, tokens}, g);
    const Tensor present = subset_groups.empty() ? Tensor() : draw_present(b, g);
    return loss_impl(rows, observed, t, eps, meta, present);
  };
  auto validation_loss = [&]() {
    NoGradGuard ng;
    Generator g = val_gen;  // the same noise at every check, so checks are comparable
    double total_loss = 0;
    for (int64_t r = 0; r < o.validation_repeats; ++r) total_loss += host_value(batch_loss(val_data, val_meta, g));
    return total_loss / double(o.validation_repeats);
  };

  TrainingSummary summary;
  summary.total_steps = total;
  double ema = std::numeric_limits<double>::quiet_NaN();
  double best_val = std::numeric_limits<double>::infinity();
  std::vector<std::pair<std::string, Tensor>> best_state;
  int64_t diverging = 0;
  for (int64_t step = 0; step < total; ++step) {
    if (stop && stop->load()) {
      summary.interrupted = true;
      break;
    }
    const Tensor idx = randint(0, n_train, {batch}, gen).to(device);  // drawn on the host: same rows everywhere
    const Tensor rows = index_select(train_data, 0, idx);
    const Tensor meta = metadata ? index_select(train_meta, 0, idx) : Tensor();
    opt.set_lr(lr(step));
    net_->zero_grad();
    const Tensor l = batch_loss(rows, meta, gen);
    l.backward();
    if (o.agc_clip > 0) nn::adaptive_clip_grad(params, o.agc_clip);
    opt.step();
    const double step_loss = host_value(l);
    if (!std::isfinite(step_loss))
      throw ValueError("simformer: training loss became " + std::to_string(step_loss) + " at step " +
                       std::to_string(step) + " (lower training.learning_rate?)");
    ema = std::isnan(ema) ? step_loss : 0.9 * ema + 0.1 * step_loss;
    summary.steps = step + 1;

    const bool check = (step + 1) % check_every == 0 || step + 1 == total;
    double val = std::numeric_limits<double>::quiet_NaN();
    if (check && n_val > 0) {
      val = validation_loss();
      if (val < best_val) {
        best_val = val;
        best_state.clear();
        for (auto& [name, tensor] : net_->state()) best_state.emplace_back(name, tensor.clone());
      }
      diverging = (step >= 50 && val / ema > o.divergence_ratio) ? diverging + 1 : 0;
      if (diverging > o.patience) summary.stopped_early = true;
    }
    if (check && on_progress) {
      TrainingProgress p;
      p.step = step + 1;
      p.total_steps = total;
      p.train_loss = ema;
      p.val_loss = val;
      p.best_val_loss = best_val;
      p.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
      on_progress(p);
    }
    if (summary.stopped_early) break;
  }
  // As the reference: the best-validation weights when training stopped early (or was
  // interrupted), the final ones otherwise.
  if ((summary.stopped_early || summary.interrupted) && !best_state.empty()) {
    NoGradGuard ng;
    for (auto& [name, tensor] : best_state) net_->find_state(name)->copy_(tensor);
  }
  summary.best_val_loss = best_val;
  summary.final_train_loss = ema;
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  return summary;
}

void SimformerModel::save(const std::string& path, const nlohmann::json& extra_metadata) const {
  SimformerState root(net_, norm_);
  nlohmann::json meta = extra_metadata.is_null() ? nlohmann::json::object() : extra_metadata;
  meta["simformer"] = config_.to_json();
  meta["theta_dim"] = theta_dim_;
  meta["x_dim"] = x_dim_;
  meta["dag"] = dag_.data;  // over the nodes
  if (has_metadata()) meta["node_ids"] = node_ids_;
  nn::save_checkpoint(root, path, meta);
}

std::unique_ptr<SimformerModel> SimformerModel::load(const std::string& path, nlohmann::json* extra_metadata) {
  const nlohmann::json meta = nn::read_checkpoint_config(path);
  if (!meta.is_object() || !meta.contains("simformer") || !meta.contains("theta_dim") ||
      !meta.contains("x_dim") || !meta.contains("dag"))
    throw IOError("simformer: " + path + " is not a Simformer checkpoint (metadata lacks the model description)");
  SimformerConfig config = SimformerConfig::from_json(meta["simformer"]);
  const int64_t theta_dim = meta["theta_dim"].get<int64_t>(), x_dim = meta["x_dim"].get<int64_t>();
  const auto dag_bytes = meta["dag"].get<std::vector<uint8_t>>();
  const int64_t tokens = theta_dim + x_dim;
  const bool with_metadata = meta.contains("node_ids");
  const int64_t nodes = with_metadata ? config.network.num_nodes : tokens;
  if (theta_dim <= 0 || x_dim < 0 || nodes <= 0 || int64_t(dag_bytes.size()) != nodes * nodes ||
      with_metadata != (config.network.metadata_dim > 0))
    throw IOError("simformer: " + path + " has an inconsistent model description");
  Tensor dag = Tensor::empty({nodes, nodes}, DType::Bool);
  for (int64_t k = 0; k < nodes * nodes; ++k) dag.data<bool>()[k] = dag_bytes[size_t(k)] != 0;
  std::unique_ptr<SimformerModel> model;
  if (with_metadata) {
    const auto ids = meta["node_ids"].get<std::vector<int64_t>>();
    if (int64_t(ids.size()) != tokens) throw IOError("simformer: " + path + " has an inconsistent model description");
    model = std::make_unique<SimformerModel>(config, theta_dim, x_dim, dag, from_vector(ids, {tokens}));
  } else {
    model = std::make_unique<SimformerModel>(config, theta_dim, x_dim, dag);
  }
  SimformerState root(model->net_, model->norm_);
  nn::load_checkpoint(root, path);
  if (extra_metadata) *extra_metadata = meta;
  return model;
}

}  // namespace amor::sbi::simformer
