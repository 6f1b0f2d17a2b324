#include "sbi/simformer/score_network.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.h"
#include "core/ops.h"
#include "nn/init.h"

namespace amor::sbi::simformer {

namespace {

// A random [rows, cols] matrix with orthonormal rows (rows <= cols) or orthonormal columns
// (rows > cols), times `scale`: haiku's Orthogonal initialiser. Gram–Schmidt in float64 on the
// shorter side of a standard-normal draw.
Tensor orthogonal(int64_t rows, int64_t cols, double scale, Generator& gen) {
  const bool by_rows = rows <= cols;
  const int64_t count = by_rows ? rows : cols, length = by_rows ? cols : rows;
  Tensor g = randn({count, length}, gen, {.dtype = DType::F64});
  std::vector<double> v(g.data<double>(), g.data<double>() + count * length);
  for (int64_t i = 0; i < count; ++i) {
    double* vi = v.data() + i * length;
    for (int64_t j = 0; j < i; ++j) {
      const double* vj = v.data() + j * length;
      double dot = 0;
      for (int64_t k = 0; k < length; ++k) dot += vi[k] * vj[k];
      for (int64_t k = 0; k < length; ++k) vi[k] -= dot * vj[k];
    }
    double norm = 0;
    for (int64_t k = 0; k < length; ++k) norm += vi[k] * vi[k];
    norm = std::sqrt(norm);
    for (int64_t k = 0; k < length; ++k) vi[k] /= norm;
  }
  Tensor out = Tensor::empty({rows, cols}, DType::F32);
  float* o = out.data<float>();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      o[r * cols + c] = float(scale * (by_rows ? v[size_t(r * length + c)] : v[size_t(c * length + r)]));
  return out;
}

}  // namespace

void ScoreNetworkOptions::validate() const {
  auto positive = [](int64_t v, const char* name) {
    if (v <= 0) throw ValueError(std::string("simformer: ") + name + " must be positive, got " + std::to_string(v));
  };
  positive(id_dim, "id_dim");
  positive(value_dim, "value_dim");
  positive(condition_dim, "condition_dim");
  positive(layers, "layers");
  positive(heads, "heads");
  positive(head_dim, "head_dim");
  positive(mlp_ratio, "mlp_ratio");
  positive(time_embedding_dim, "time_embedding_dim");
  if (time_embedding_dim % 2) throw ValueError("simformer: time_embedding_dim must be even");
  if (!(condition_init_std >= 0)) throw ValueError("simformer: condition_init_std must be >= 0");
  if (!(output_scale_min >= 0)) throw ValueError("simformer: output_scale_min must be >= 0");
  if (metadata_dim < 0) throw ValueError("simformer: metadata_dim must be >= 0, got " + std::to_string(metadata_dim));
  if (metadata_dim > 0) {
    positive(metadata_fourier_dim, "metadata_fourier_dim");
    if (metadata_fourier_dim % 2) throw ValueError("simformer: metadata_fourier_dim must be even");
    if (!(metadata_frequency_std > 0) || !std::isfinite(metadata_frequency_std))
      throw ValueError("simformer: metadata_frequency_std must be positive");
  }
}

nlohmann::json ScoreNetworkOptions::to_json() const {
  nlohmann::json j = {{"num_nodes", num_nodes},
          {"id_dim", id_dim},
          {"value_dim", value_dim},
          {"condition_dim", condition_dim},
          {"learn_id_embedding", learn_id_embedding},
          {"condition_init_std", condition_init_std},
          {"layers", layers},
          {"heads", heads},
          {"head_dim", head_dim},
          {"mlp_ratio", mlp_ratio},
          {"time_embedding_dim", time_embedding_dim},
          {"output_scale_min", output_scale_min},
          {"seed", seed}};
  if (precondition) j["precondition"] = true;  // absent when off: older models read as before
  if (metadata_dim > 0) {  // absent when off: a model without metadata is described as before
    j["metadata_dim"] = metadata_dim;
    j["metadata_fourier_dim"] = metadata_fourier_dim;
    j["metadata_frequency_std"] = metadata_frequency_std;
  }
  return j;
}

ScoreNetworkOptions ScoreNetworkOptions::from_json(const nlohmann::json& j, ScoreNetworkOptions o) {
  if (!j.is_object()) throw ValueError("simformer: network configuration must be a JSON object");
  // "size" picks a preset first, so the other keys refine it whatever their order.
  if (j.contains("size")) {
    const auto& v = j.at("size");
    const std::string size = v.is_string() ? v.get<std::string>() : std::string();
    if (size == "small") o.layers = 6, o.mlp_ratio = 3;
    else if (size == "large") o.layers = 8, o.mlp_ratio = 4;
    else throw ValueError("simformer: network 'size' must be \"small\" or \"large\", got " + v.dump());
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    if (k == "size") continue;
    const auto& v = it.value();
    auto integer = [&]() {
      if (!v.is_number_integer()) throw ValueError("simformer: network '" + k + "' must be an integer");
      return v.get<int64_t>();
    };
    auto number = [&]() {
      if (!v.is_number()) throw ValueError("simformer: network '" + k + "' must be a number");
      return v.get<double>();
    };
    if (k == "num_nodes") o.num_nodes = integer();
    else if (k == "id_dim") o.id_dim = integer();
    else if (k == "value_dim") o.value_dim = integer();
    else if (k == "condition_dim") o.condition_dim = integer();
    else if (k == "learn_id_embedding") {
      if (!v.is_boolean()) throw ValueError("simformer: network 'learn_id_embedding' must be true or false");
      o.learn_id_embedding = v.get<bool>();
    } else if (k == "precondition") {
      if (!v.is_boolean()) throw ValueError("simformer: network 'precondition' must be true or false");
      o.precondition = v.get<bool>();
    } else if (k == "condition_init_std") o.condition_init_std = number();
    else if (k == "layers") o.layers = integer();
    else if (k == "heads") o.heads = integer();
    else if (k == "head_dim") o.head_dim = integer();
    else if (k == "mlp_ratio") o.mlp_ratio = integer();
    else if (k == "time_embedding_dim") o.time_embedding_dim = integer();
    else if (k == "output_scale_min") o.output_scale_min = number();
    else if (k == "seed") o.seed = v.get<uint64_t>();
    else if (k == "metadata_dim") o.metadata_dim = integer();
    else if (k == "metadata_fourier_dim") o.metadata_fourier_dim = integer();
    else if (k == "metadata_frequency_std") o.metadata_frequency_std = number();
    else throw ValueError("simformer: unknown network option '" + k + "'");
  }
  o.validate();
  return o;
}

ScoreNetwork::ScoreNetwork(const ScoreNetworkOptions& options) : o_(options) {
  o_.validate();
  if (o_.num_nodes <= 0)
    throw ValueError("simformer: num_nodes must be positive, got " + std::to_string(o_.num_nodes));
  Generator gen(o_.seed, /*stream=*/0x5C0E);
  id_embedding = orthogonal(o_.num_nodes, o_.id_dim, 0.5, gen);
  if (o_.learn_id_embedding) register_parameter("id_embedding", &id_embedding);
  else register_buffer("id_embedding", &id_embedding);
  condition_token = normal(Shape{o_.condition_dim}, 0.0, o_.condition_init_std, gen);
  register_parameter("condition_token", &condition_token);

  time_embedding_ = register_module("time_embedding",
                                    std::make_shared<nn::GaussianFourierEmbedding>(o_.time_embedding_dim, gen));
  nn::TransformerOptions t;
  t.d_model = o_.d_model();
  t.heads = o_.heads;
  t.head_dim = o_.head_dim;
  t.mlp_ratio = o_.mlp_ratio;
  t.activation = nn::Act::GeluTanh;
  t.cond_dim = o_.time_embedding_dim;
  t.layers = o_.layers;
  transformer_ = register_module("transformer", std::make_shared<nn::TransformerEncoder>(t, gen));
  head_ = register_module("head", std::make_shared<nn::Linear>(o_.d_model(), 1, gen));
  if (o_.metadata_dim > 0) {
    // A generator of its own, so the other weights do not depend on whether metadata is on.
    Generator meta_gen(o_.seed, /*stream=*/0x3E7A);
    metadata_embedding_ = register_module(
        "metadata_embedding",
        std::make_shared<nn::GaussianFourierEmbedding>(o_.metadata_fourier_dim, meta_gen, o_.metadata_frequency_std));
    // haiku's Linear initialisation (std 1/sqrt(fan_in)); fixed, as the reference's stop_gradient.
    metadata_projection = normal(Shape{o_.metadata_fourier_dim, o_.metadata_dim}, 0.0,
                                 1.0 / std::sqrt(double(o_.metadata_fourier_dim)), meta_gen);
    register_buffer("metadata_projection", &metadata_projection);
  }
}

Tensor ScoreNetwork::metadata_features(const Tensor& metadata) const {
  AMOR_CHECK(o_.metadata_dim > 0, ValueError, "SimformerScoreNetwork: metadata given to a network without "
             "metadata tokens (network.metadata_dim = 0)");
  AMOR_CHECK(metadata.dim() == 1, ShapeError, "SimformerScoreNetwork: metadata_features takes [M], got ",
             metadata.shape());
  const Tensor present = isfinite(metadata);                                             // [M] bool
  const Tensor m = where(present, metadata, 0.0);
  const Tensor f = matmul(metadata_embedding_->forward(m), metadata_projection);         // [M, metadata_dim]
  return f * present.to(f.dtype()).unsqueeze(1);
}

Tensor ScoreNetwork::forward(const Tensor& x_t, const Tensor& observed, const Tensor& t, const Tensor& std_t,
                             const Tensor& node_ids, const Tensor& mask, const Tensor& metadata,
                             const Tensor& mean_t) const {
  AMOR_CHECK(x_t.dim() == 2, ShapeError, "SimformerScoreNetwork: x_t must be [B, T], got ", x_t.shape());
  const int64_t batch = x_t.size(0), tokens = x_t.size(1);
  AMOR_CHECK(observed.shape() == x_t.shape() && observed.dtype() == DType::Bool, ShapeError,
             "SimformerScoreNetwork: condition mask must be bool ", x_t.shape(), ", got ", observed.shape());
  AMOR_CHECK(t.dim() == 1 && t.size(0) == batch && std_t.dim() == 1 && std_t.size(0) == batch, ShapeError,
             "SimformerScoreNetwork: t and std_t must be [", batch, "], got ", t.shape(), " and ", std_t.shape());

  Tensor ids;  // [T, id_dim]
  if (node_ids.defined()) {
    AMOR_CHECK(node_ids.dim() == 1 && node_ids.size(0) == tokens, ShapeError,
               "SimformerScoreNetwork: node_ids must be [", tokens, "], got ", node_ids.shape());
    ids = index_select(id_embedding, 0, node_ids);
  } else {
    AMOR_CHECK(tokens <= o_.num_nodes, ShapeError, "SimformerScoreNetwork: ", tokens,
               " tokens but the network knows ", o_.num_nodes, " node identifiers");
    ids = id_embedding.slice(0, 0, tokens);
  }
  // Preconditioning (header): total variance α² + s² per row, latent inputs scaled to unit scale.
  Tensor alpha, total_var;  // [B, 1] each
  Tensor values = x_t;
  if (o_.precondition) {
    AMOR_CHECK(!mean_t.defined() || (mean_t.dim() == 1 && mean_t.size(0) == batch), ShapeError,
               "SimformerScoreNetwork: mean_t must be [", batch, "], got ", mean_t.shape());
    const Tensor s = std_t.to(x_t.dtype()).unsqueeze(1);
    alpha = mean_t.defined() ? mean_t.to(x_t.dtype()).unsqueeze(1) : ones_like(s);
    total_var = square(alpha) + square(s);
    values = where(observed, x_t, x_t / sqrt(total_var));
  }
  const Tensor id_tokens = ids.unsqueeze(0).expand({batch, tokens, o_.id_dim});                // [B, T, id]
  const Tensor value_tokens = values.unsqueeze(2).expand({batch, tokens, o_.value_dim});       // [B, T, value]
  const Tensor cond_tokens = observed.to(x_t.dtype()).unsqueeze(2) * condition_token;           // [B, T, cond]
  std::vector<Tensor> parts = {id_tokens, value_tokens};
  if (o_.metadata_dim > 0) {
    AMOR_CHECK(metadata.defined(), ValueError, "SimformerScoreNetwork: this network has metadata tokens "
               "(metadata_dim = ", o_.metadata_dim, "): give the metadata of every token (NaN for none)");
    AMOR_CHECK((metadata.dim() == 1 && metadata.size(0) == tokens) ||
                   (metadata.dim() == 2 && metadata.size(0) == batch && metadata.size(1) == tokens),
               ShapeError, "SimformerScoreNetwork: metadata must be [", tokens, "] or [", batch, ", ", tokens,
               "], got ", metadata.shape());
    const Tensor m = metadata.to(x_t.dtype());
    if (m.dim() == 1) {
      parts.push_back(metadata_features(m).unsqueeze(0).expand({batch, tokens, o_.metadata_dim}));
    } else {
      parts.push_back(metadata_features(m.reshape({batch * tokens})).reshape({batch, tokens, o_.metadata_dim}));
    }
  } else {
    AMOR_CHECK(!metadata.defined(), ValueError, "SimformerScoreNetwork: metadata given to a network without "
               "metadata tokens (network.metadata_dim = 0)");
  }
  parts.push_back(cond_tokens);
  const Tensor h = concat(parts, 2);                                                           // [B, T, d]

  const Tensor temb = time_embedding_->forward(t);                                             // [B, 128]
  const Tensor out = head_->forward(transformer_->forward(h, mask, temb)).squeeze(2);          // [B, T]
  const Tensor n = out / clamp(std_t, o_.output_scale_min, std::nullopt).unsqueeze(1);
  if (!o_.precondition) return n;
  // α / sqrt(α² + s²) · n − x_t / (α² + s²); observed entries' outputs are never read.
  return alpha / sqrt(total_var) * n - x_t / total_var;
}

}  // namespace amor::sbi::simformer
