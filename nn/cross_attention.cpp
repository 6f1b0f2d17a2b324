#include "nn/cross_attention.h"

#include <cmath>

#include "core/ops.h"

namespace amor::nn {

MultiHeadCrossAttention::MultiHeadCrossAttention(int64_t d_query, int64_t d_kv, Generator& gen, AttentionOptions o)
    : d_query_(d_query),
      d_kv_(d_kv),
      heads_(o.heads),
      head_dim_(o.head_dim ? o.head_dim : (o.heads > 0 ? d_query / o.heads : 0)) {
  AMOR_CHECK(d_query > 0 && d_kv > 0 && heads_ > 0 && head_dim_ > 0, ValueError,
             "MultiHeadCrossAttention: invalid sizes d_query=", d_query, " d_kv=", d_kv, " heads=", o.heads,
             " head_dim=", o.head_dim);
  AMOR_CHECK(o.head_dim || d_query % o.heads == 0, ValueError, "MultiHeadCrossAttention: d_query ", d_query,
             " is not divisible by heads ", o.heads, "; give head_dim explicitly");
  const LinearOptions lo{.dtype = o.dtype};
  q_proj_ = register_module("q_proj", std::make_shared<Linear>(d_query, heads_ * head_dim_, gen, lo));
  kv_proj_ = register_module("kv_proj", std::make_shared<Linear>(d_kv, 2 * heads_ * head_dim_, gen, lo));
  out_proj_ = register_module("out_proj", std::make_shared<Linear>(heads_ * head_dim_, d_query, gen, lo));
}

Tensor MultiHeadCrossAttention::forward(const Tensor& x_q, const Tensor& x_kv, const Tensor& key_mask) const {
  AMOR_CHECK(x_q.dim() == 3 && x_q.size(2) == d_query_, ShapeError, "MultiHeadCrossAttention: queries ",
             x_q.shape(), " must be [B, T_q, ", d_query_, "]");
  AMOR_CHECK(x_kv.dim() == 3 && x_kv.size(2) == d_kv_ && x_kv.size(0) == x_q.size(0), ShapeError,
             "MultiHeadCrossAttention: keys/values ", x_kv.shape(), " must be [", x_q.size(0), ", T_k, ", d_kv_,
             "]");
  const int64_t B = x_q.size(0), Tq = x_q.size(1), Tk = x_kv.size(1), H = heads_, D = head_dim_;
  if (key_mask.defined())
    AMOR_CHECK(key_mask.dtype() == DType::Bool && key_mask.shape() == (Shape{B, Tk}), ShapeError,
               "MultiHeadCrossAttention: key_mask must be bool [", B, ", ", Tk, "], got ", key_mask.dtype(), " ",
               key_mask.shape());
  const Tensor q = q_proj_->forward(x_q).reshape(Shape{B, Tq, H, D}).permute(Shape{0, 2, 1, 3});  // [B, H, Tq, D]
  const Tensor kv = kv_proj_->forward(x_kv).reshape(Shape{B, Tk, 2, H, D});
  const Tensor kt = kv.select(2, 0).permute(Shape{0, 2, 3, 1});  // [B, H, D, Tk]
  const Tensor v = kv.select(2, 1).permute(Shape{0, 2, 1, 3});   // [B, H, Tk, D]
  Tensor scores = matmul(q, kt) * (1.0 / std::sqrt(double(D)));   // [B, H, Tq, Tk]
  Tensor p;
  if (key_mask.defined()) {
    const Tensor m = key_mask.reshape(Shape{B, 1, 1, Tk});
    // A large finite fill keeps an all-masked row finite (uniform), and the second where zeroes it.
    p = where(m, softmax(where(m, scores, -1e30), -1), 0.0);
  } else {
    p = softmax(scores, -1);
  }
  const Tensor o = matmul(p, v).permute(Shape{0, 2, 1, 3}).reshape(Shape{B, Tq, H * D});  // [B, Tq, H·D]
  return out_proj_->forward(o);
}

}  // namespace amor::nn
