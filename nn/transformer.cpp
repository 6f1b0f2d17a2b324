#include "nn/transformer.h"

#include "core/ops.h"

namespace amor::nn {

TransformerEncoderLayer::TransformerEncoderLayer(const TransformerOptions& o, Generator& gen) : o_(o) {
  AMOR_CHECK(o.mlp_ratio > 0 && o.cond_dim >= 0, ValueError, "TransformerEncoderLayer: invalid options");
  const LinearOptions lo{.dtype = o.dtype};
  ln1_ = register_module("ln1", std::make_shared<LayerNorm>(o.d_model, 1e-5, true, o.dtype));
  attn_ = register_module("attn", std::make_shared<MultiHeadAttention>(
                                      o.d_model, gen, AttentionOptions{o.heads, o.head_dim, o.dtype}));
  ln2_ = register_module("ln2", std::make_shared<LayerNorm>(o.d_model, 1e-5, true, o.dtype));
  fc1_ = register_module("fc1", std::make_shared<Linear>(o.d_model, o.mlp_ratio * o.d_model, gen, lo));
  fc2_ = register_module("fc2", std::make_shared<Linear>(o.mlp_ratio * o.d_model, o.d_model, gen, lo));
  if (o.cond_dim > 0) cond_proj_ = register_module("cond_proj", std::make_shared<Linear>(o.cond_dim, o.d_model, gen, lo));
}

Tensor TransformerEncoderLayer::forward(const Tensor& x, const Tensor& mask, const Tensor& cond) const {
  Tensor h = x + attn_->forward(ln1_->forward(x), mask);
  Tensor z = fc2_->forward(apply_activation(o_.activation, fc1_->forward(ln2_->forward(h))));
  if (cond_proj_) {
    AMOR_CHECK(cond.defined() && cond.dim() == 2 && cond.shape()[0] == x.shape()[0] &&
                   cond.shape()[1] == o_.cond_dim,
               ShapeError, "TransformerEncoderLayer: conditioning must be [B, ", o_.cond_dim, "] for input ",
               x.shape(), ", got ", cond.defined() ? cond.shape().str() : std::string("none"));
    z = z + apply_activation(o_.activation, cond_proj_->forward(cond)).unsqueeze(1);
  } else {
    AMOR_CHECK(!cond.defined(), ValueError, "TransformerEncoderLayer: built without conditioning (cond_dim 0) "
               "but a conditioning vector was given");
  }
  return h + z;
}

TransformerEncoder::TransformerEncoder(const TransformerOptions& o, Generator& gen) : o_(o) {
  AMOR_CHECK(o.layers > 0, ValueError, "TransformerEncoder: layers must be positive, got ", o.layers);
  blocks_ = register_module("blocks", std::make_shared<ModuleList<TransformerEncoderLayer>>());
  for (int64_t i = 0; i < o.layers; ++i) blocks_->push_back(std::make_shared<TransformerEncoderLayer>(o, gen));
  final_ln_ = register_module("final_ln", std::make_shared<LayerNorm>(o.d_model, 1e-5, true, o.dtype));
}

Tensor TransformerEncoder::forward(const Tensor& x, const Tensor& mask, const Tensor& cond) const {
  Tensor h = x;
  for (const auto& b : *blocks_) h = b->forward(h, mask, cond);
  return final_ln_->forward(h);
}

}  // namespace amor::nn
