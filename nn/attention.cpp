#include "nn/attention.h"

#include "core/ops.h"

namespace amor::nn {

MultiHeadAttention::MultiHeadAttention(int64_t d_model, Generator& gen, AttentionOptions o)
    : d_model_(d_model), heads_(o.heads), head_dim_(o.head_dim ? o.head_dim : (o.heads ? d_model / o.heads : 0)) {
  AMOR_CHECK(d_model > 0 && heads_ > 0 && head_dim_ > 0, ValueError, "MultiHeadAttention: invalid sizes d_model=",
             d_model, " heads=", o.heads, " head_dim=", o.head_dim);
  AMOR_CHECK(o.head_dim || d_model % o.heads == 0, ValueError, "MultiHeadAttention: d_model ", d_model,
             " is not divisible by heads ", o.heads, "; give head_dim explicitly");
  qkv_proj_ = register_module("qkv_proj", std::make_shared<Linear>(d_model, 3 * heads_ * head_dim_, gen,
                                                                   LinearOptions{.dtype = o.dtype}));
  out_proj_ = register_module("out_proj", std::make_shared<Linear>(heads_ * head_dim_, d_model, gen,
                                                                   LinearOptions{.dtype = o.dtype}));
}

Tensor MultiHeadAttention::forward(const Tensor& x, const Tensor& mask) const {
  AMOR_CHECK(x.dim() == 3 && x.shape()[2] == d_model_, ShapeError, "MultiHeadAttention: input ", x.shape(),
             " must be [B, T, ", d_model_, "]");
  const int64_t B = x.shape()[0], T = x.shape()[1];
  // qkv: [B, T, 3, H, D], q, k, v at index 0, 1, 2 of axis 2
  Tensor qkv = qkv_proj_->forward(x).view(Shape{B, T, 3, heads_, head_dim_});
  Tensor o = attention_qkv(qkv, mask);  // [B, T, H, D]
  return out_proj_->forward(o.view(Shape{B, T, heads_ * head_dim_}));
}

}  // namespace amor::nn
