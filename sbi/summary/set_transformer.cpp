#include "sbi/summary/set_transformer.h"

#include <cmath>

#include "core/ops.h"
#include "nn/init.h"
#include "sbi/summary/options_json.h"

namespace amor::sbi::summary {

nlohmann::json SetTransformerOptions::to_json() const {
  return {{"type", "set_transformer"}, {"summary_dim", summary_dim}, {"embed_dims", embed_dims},
          {"num_heads", num_heads},    {"num_seeds", num_seeds},     {"mlp_widths", mlp_widths},
          {"activation", activation},  {"dropout", dropout},         {"layer_norm", layer_norm},
          {"kernel_initializer", kernel_initializer}};
}

SetTransformerOptions SetTransformerOptions::from_json(const nlohmann::json& j) {
  SetTransformerOptions o;
  const detail::OptionReader r(j, "set_transformer",
                               {"summary_dim", "embed_dims", "num_heads", "num_seeds", "mlp_widths", "activation",
                                "dropout", "layer_norm", "kernel_initializer"});
  r.integer("summary_dim", o.summary_dim, 1);
  r.integers("embed_dims", o.embed_dims, 1);
  r.integers("num_heads", o.num_heads, 1);
  r.integer("num_seeds", o.num_seeds, 1);
  r.integers("mlp_widths", o.mlp_widths, 1);
  r.string("activation", o.activation);
  r.number("dropout", o.dropout, 0.0, 1.0);
  r.boolean("layer_norm", o.layer_norm);
  r.string("kernel_initializer", o.kernel_initializer);
  check_initializer(o.kernel_initializer, "set_transformer");
  if (o.num_heads.size() != o.embed_dims.size())
    throw ValueError("set_transformer: 'num_heads' needs one entry per block of 'embed_dims' (" +
                     std::to_string(o.embed_dims.size()) + "), got " + std::to_string(o.num_heads.size()));
  for (size_t i = 0; i < o.embed_dims.size(); ++i)
    if (o.embed_dims[i] % o.num_heads[i] != 0)
      throw ValueError("set_transformer: embed_dims[" + std::to_string(i) + "] = " + std::to_string(o.embed_dims[i]) +
                       " is not divisible by num_heads[" + std::to_string(i) + "] = " + std::to_string(o.num_heads[i]));
  nn::activation_from_name(o.activation);
  return o;
}

RowFeedForward::RowFeedForward(int64_t in, int64_t width, const SetTransformerOptions& o, Generator& gen,
                               uint64_t dropout_seed, DType dtype) {
  hidden_ = register_module("hidden", std::make_shared<DenseStack>(in, o.mlp_widths, nn::activation_from_name(o.activation),
                                                                   o.dropout, gen, dropout_seed, dtype,
                                                                   o.kernel_initializer));
  out_ = register_module("out", std::make_shared<nn::Linear>(hidden_->out_features(), width, gen,
                                                             nn::LinearOptions{.dtype = dtype}));
}

Tensor RowFeedForward::forward(const Tensor& x) { return out_->forward(hidden_->forward(x)); }

namespace {
Tensor maybe_norm(const std::shared_ptr<nn::LayerNorm>& ln, const Tensor& x) { return ln ? ln->forward(x) : x; }
}  // namespace

SetAttentionBlock::SetAttentionBlock(int64_t width, int64_t heads, const SetTransformerOptions& o, Generator& gen,
                                     uint64_t dropout_seed, DType dtype) {
  attn_ = register_module("attn", std::make_shared<nn::MultiHeadAttention>(
                                      width, gen, nn::AttentionOptions{.heads = heads, .dtype = dtype}));
  ff_ = register_module("ff", std::make_shared<RowFeedForward>(width, width, o, gen, dropout_seed, dtype));
  if (o.layer_norm) {
    ln1_ = register_module("ln1", std::make_shared<nn::LayerNorm>(width, 1e-5, true, dtype));
    ln2_ = register_module("ln2", std::make_shared<nn::LayerNorm>(width, 1e-5, true, dtype));
  }
}

Tensor SetAttentionBlock::forward(const Tensor& h, const Tensor& key_mask) const {
  const Tensor m = maybe_norm(ln1_, h + attn_->forward(h, key_mask));
  return maybe_norm(ln2_, m + ff_->forward(m));
}

PoolingByAttention::PoolingByAttention(int64_t width, int64_t heads, const SetTransformerOptions& o, Generator& gen,
                                       uint64_t dropout_seed, DType dtype)
    : num_seeds_(o.num_seeds), width_(width) {
  seeds = nn::init::xavier_uniform(Shape{num_seeds_, width}, width, num_seeds_, gen, 1.0, dtype);
  register_parameter("seeds", &seeds);
  set_ff_ = register_module("set_ff", std::make_shared<RowFeedForward>(width, width, o, gen, dropout_seed, dtype));
  attn_ = register_module("attn", std::make_shared<nn::MultiHeadCrossAttention>(
                                      width, width, gen, nn::AttentionOptions{.heads = heads, .dtype = dtype}));
  ff_ = register_module("ff", std::make_shared<RowFeedForward>(width, width, o, gen, dropout_seed + 32, dtype));
  if (o.layer_norm) {
    ln1_ = register_module("ln1", std::make_shared<nn::LayerNorm>(width, 1e-5, true, dtype));
    ln2_ = register_module("ln2", std::make_shared<nn::LayerNorm>(width, 1e-5, true, dtype));
  }
}

Tensor PoolingByAttention::forward(const Tensor& h, const Tensor& mask) const {
  const int64_t B = h.size(0);
  const Tensor s = seeds.unsqueeze(0).expand(Shape{B, num_seeds_, width_});  // [B, k, e]
  const Tensor m = maybe_norm(ln1_, s + attn_->forward(s, set_ff_->forward(h), mask));
  const Tensor out = maybe_norm(ln2_, m + ff_->forward(m));  // [B, k, e]
  return out.reshape(Shape{B, num_seeds_ * width_});
}

SetTransformer::SetTransformer(int64_t input_dim, const SetTransformerOptions& options, uint64_t seed, DType dtype)
    : input_dim_(input_dim), o_(SetTransformerOptions::from_json(options.to_json())) {
  AMOR_CHECK(input_dim > 0, ValueError, "set_transformer: input_dim must be positive, got ", input_dim);
  Generator gen(seed, 0x5E77);
  const nn::LinearOptions lo{.dtype = dtype};
  input_proj_ = register_module("input_proj", std::make_shared<nn::Linear>(input_dim, o_.embed_dims[0], gen, lo));
  width_projs_ = register_module("width_projs", std::make_shared<nn::ModuleList<nn::Linear>>());
  blocks_ = register_module("blocks", std::make_shared<nn::ModuleList<SetAttentionBlock>>());
  int64_t width = o_.embed_dims[0];
  for (size_t i = 0; i < o_.embed_dims.size(); ++i) {
    const int64_t e = o_.embed_dims[i];
    if (e != width) {
      width_projs_->push_back(std::make_shared<nn::Linear>(width, e, gen, lo));
      proj_of_block_.push_back(int(width_projs_->size()) - 1);
    } else {
      proj_of_block_.push_back(-1);
    }
    blocks_->push_back(std::make_shared<SetAttentionBlock>(e, o_.num_heads[i], o_, gen, seed * 1000 + i * 64, dtype));
    width = e;
  }
  pool_ = register_module("pool", std::make_shared<PoolingByAttention>(width, o_.num_heads.back(), o_, gen,
                                                                       seed * 1000 + 999, dtype));
  output_ = register_module("output", std::make_shared<nn::Linear>(o_.num_seeds * width, o_.summary_dim, gen, lo));
}

Tensor SetTransformer::forward(const Tensor& x, const Tensor& mask) {
  check_input("set_transformer", x, mask);
  const int64_t B = x.size(0), N = x.size(1);
  // Self-attention key mask: row i may attend column j when j is a real element.
  const Tensor key_mask = mask.defined() ? mask.unsqueeze(1).expand(Shape{B, N, N}) : Tensor();
  Tensor h = input_proj_->forward(x);
  for (size_t i = 0; i < blocks_->size(); ++i) {
    if (proj_of_block_[i] >= 0) h = (*width_projs_)[size_t(proj_of_block_[i])].forward(h);
    h = (*blocks_)[i].forward(h, key_mask);
  }
  return output_->forward(pool_->forward(h, mask));
}

}  // namespace amor::sbi::summary
