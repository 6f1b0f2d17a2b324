#include "sbi/summary/deep_set.h"

#include "core/ops.h"
#include "sbi/summary/options_json.h"

namespace amor::sbi::summary {

nn::Pool pool_from_name(const std::string& name, const char* who) {
  if (name == "mean") return nn::Pool::Mean;
  if (name == "sum") return nn::Pool::Sum;
  if (name == "max") return nn::Pool::Max;
  throw ValueError(std::string(who) + ": pooling must be \"mean\", \"sum\" or \"max\", got \"" + name + "\"");
}

nlohmann::json DeepSetOptions::to_json() const {
  return {{"type", "deepset"},
          {"summary_dim", summary_dim},
          {"depth", depth},
          {"inner_pooling", inner_pooling},
          {"output_pooling", output_pooling},
          {"equivariant_widths", equivariant_widths},
          {"invariant_inner_widths", invariant_inner_widths},
          {"invariant_outer_widths", invariant_outer_widths},
          {"invariant_last_widths", invariant_last_widths},
          {"activation", activation},
          {"dropout", dropout},
          {"layer_norm", layer_norm},
          {"kernel_initializer", kernel_initializer}};
}

DeepSetOptions DeepSetOptions::from_json(const nlohmann::json& j) {
  DeepSetOptions o;
  const detail::OptionReader r(j, "deepset",
                               {"summary_dim", "depth", "inner_pooling", "output_pooling", "equivariant_widths",
                                "invariant_inner_widths", "invariant_outer_widths", "invariant_last_widths",
                                "activation", "dropout", "layer_norm", "kernel_initializer"});
  r.integer("summary_dim", o.summary_dim, 1);
  r.integer("depth", o.depth, 0);
  r.string("inner_pooling", o.inner_pooling);
  r.string("output_pooling", o.output_pooling);
  r.integers("equivariant_widths", o.equivariant_widths, 1);
  r.integers("invariant_inner_widths", o.invariant_inner_widths, 1);
  r.integers("invariant_outer_widths", o.invariant_outer_widths, 1);
  r.integers("invariant_last_widths", o.invariant_last_widths, 1);
  r.string("activation", o.activation);
  r.number("dropout", o.dropout, 0.0, 1.0);
  r.boolean("layer_norm", o.layer_norm);
  r.string("kernel_initializer", o.kernel_initializer);
  check_initializer(o.kernel_initializer, "deepset");
  pool_from_name(o.inner_pooling, "deepset");
  pool_from_name(o.output_pooling, "deepset");
  nn::activation_from_name(o.activation);
  return o;
}

InvariantBlock::InvariantBlock(int64_t in_features, const std::vector<int64_t>& inner,
                               const std::vector<int64_t>& outer, nn::Pool pooling, const DeepSetOptions& o,
                               Generator& gen, uint64_t dropout_seed, DType dtype)
    : pooling_(pooling) {
  const nn::Act act = nn::activation_from_name(o.activation);
  inner_ = register_module("inner", std::make_shared<DenseStack>(in_features, inner, act, o.dropout, gen,
                                                                 dropout_seed, dtype, o.kernel_initializer));
  outer_ = register_module("outer", std::make_shared<DenseStack>(inner.back(), outer, act, o.dropout, gen,
                                                                 dropout_seed + 64, dtype, o.kernel_initializer));
}

Tensor InvariantBlock::forward(const Tensor& x, const Tensor& mask) const {
  return outer_->forward(nn::set_pool(inner_->forward(x), pooling_, mask));
}

EquivariantLayer::EquivariantLayer(int64_t in_features, const DeepSetOptions& o, Generator& gen,
                                   uint64_t dropout_seed, DType dtype)
    : width_(o.equivariant_widths.back()) {
  input_proj_ = register_module("input_proj",
                                std::make_shared<nn::Linear>(in_features, width_, gen, nn::LinearOptions{.dtype = dtype}));
  invariant_ = register_module(
      "invariant", std::make_shared<InvariantBlock>(width_, o.invariant_inner_widths, o.invariant_outer_widths,
                                                    pool_from_name(o.inner_pooling, "deepset"), o, gen,
                                                    dropout_seed, dtype));
  fc_ = register_module("fc", std::make_shared<DenseStack>(width_ + invariant_->out_features(), o.equivariant_widths,
                                                           nn::activation_from_name(o.activation), o.dropout, gen,
                                                           dropout_seed + 128, dtype, o.kernel_initializer));
  if (o.layer_norm) norm_ = register_module("norm", std::make_shared<nn::LayerNorm>(width_, 1e-5, true, dtype));
}

Tensor EquivariantLayer::forward(const Tensor& x, const Tensor& mask) const {
  const int64_t B = x.size(0), N = x.size(1);
  const Tensor p = input_proj_->forward(x);                          // [B, N, W]
  const Tensor s = invariant_->forward(p, mask);                     // [B, O]
  const Tensor tiled = s.unsqueeze(1).expand(Shape{B, N, s.size(1)});  // [B, N, O]
  Tensor h = p + fc_->forward(concat({p, tiled}, 2));                // [B, N, W]
  return norm_ ? norm_->forward(h) : h;
}

DeepSet::DeepSet(int64_t input_dim, const DeepSetOptions& options, uint64_t seed, DType dtype)
    : input_dim_(input_dim), o_(options) {
  AMOR_CHECK(input_dim > 0, ValueError, "deepset: input_dim must be positive, got ", input_dim);
  o_ = DeepSetOptions::from_json(o_.to_json());  // validates
  Generator gen(seed, 0xDEE9);
  equivariant_ = register_module("equivariant", std::make_shared<nn::ModuleList<EquivariantLayer>>());
  int64_t width = input_dim;
  for (int64_t i = 0; i < o_.depth; ++i) {
    auto layer = std::make_shared<EquivariantLayer>(width, o_, gen, seed * 1000 + uint64_t(i) * 256, dtype);
    width = layer->out_features();
    equivariant_->push_back(layer);
  }
  invariant_ = register_module(
      "invariant", std::make_shared<InvariantBlock>(width, o_.invariant_last_widths, o_.invariant_last_widths,
                                                    pool_from_name(o_.output_pooling, "deepset"), o_, gen,
                                                    seed * 1000 + 999, dtype));
  output_ = register_module("output", std::make_shared<nn::Linear>(invariant_->out_features(), o_.summary_dim, gen,
                                                                   nn::LinearOptions{.dtype = dtype}));
}

Tensor DeepSet::forward(const Tensor& x, const Tensor& mask) {
  check_input("deepset", x, mask);
  Tensor h = x;
  for (const auto& layer : *equivariant_) h = layer->forward(h, mask);
  return output_->forward(invariant_->forward(h, mask));
}

}  // namespace amor::sbi::summary
