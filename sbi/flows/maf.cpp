#include "sbi/flows/maf.h"

#include "core/autograd.h"
#include "core/ops.h"
#include "sbi/flows/config_json.h"
#include "sbi/flows/permutation.h"

namespace amor::sbi::flows {

MaskedAffineAutoregressive::MaskedAffineAutoregressive(int64_t features, Generator& gen, MADEOptions o)
    : Transform(features) {
  o.output_multiplier = 2;
  made_ = register_module("made", std::make_shared<MADE>(features, gen, o));
}

void MaskedAffineAutoregressive::scale_and_shift(const Tensor& params, Tensor* scale, Tensor* log_scale,
                                                 Tensor* shift) const {
  const int64_t n = params.shape()[0], d = features();
  Tensor p = params.reshape(Shape{n, d, 2});
  *scale = softplus(p.select(2, 0)) + kScaleEps;
  *log_scale = log(*scale);
  *shift = p.select(2, 1);
}

TransformResult MaskedAffineAutoregressive::forward(const Tensor& inputs, const Tensor& context) {
  check_inputs("MaskedAffineAutoregressive.forward", inputs, context, made_->options().context_features);
  Tensor scale, log_scale, shift;
  scale_and_shift(made_->forward(inputs, context), &scale, &log_scale, &shift);
  return {inputs * scale + shift, sum(log_scale, {1})};
}

TransformResult MaskedAffineAutoregressive::inverse(const Tensor& inputs, const Tensor& context) {
  check_inputs("MaskedAffineAutoregressive.inverse", inputs, context, made_->options().context_features);
  // Pass i fixes feature i: its parameters depend only on features < i, already final.
  Tensor outputs = zeros_like(inputs), log_scale;
  for (int64_t i = 0; i < features(); ++i) {
    Tensor scale, shift;
    scale_and_shift(made_->forward(outputs, context), &scale, &log_scale, &shift);
    outputs = (inputs - shift) / scale;
  }
  return {outputs, -sum(log_scale, {1})};
}

nlohmann::json MAFConfig::to_json() const {
  nlohmann::json j = flow.to_json();
  j["type"] = "maf";
  j["hidden_features"] = hidden_features;
  j["num_transforms"] = num_transforms;
  j["num_blocks"] = num_blocks;
  j["activation"] = activation;
  j["seed"] = seed;
  return j;
}

MAFConfig MAFConfig::from_json(const nlohmann::json& j) {
  const char* what = "MAFConfig";
  check_json_keys(j, with_flow_keys({"type", "hidden_features", "num_transforms", "num_blocks", "activation", "seed"}),
                  what);
  check_json_type(j, "maf", what);
  MAFConfig c;
  c.flow = FlowOptions::from_json(j);
  read_int(j, "hidden_features", 1, &c.hidden_features, what);
  read_int(j, "num_transforms", 1, &c.num_transforms, what);
  read_int(j, "num_blocks", 0, &c.num_blocks, what);
  read_activation(j, &c.activation, what);
  read_seed(j, &c.seed, what);
  return c;
}

ConditionalFlowPtr make_maf(int64_t features, int64_t context_features, const MAFConfig& config) {
  AMOR_CHECK(features > 0 && context_features >= 0, ValueError, "make_maf: features must be positive and ",
             "context_features >= 0, got ", features, " and ", context_features);
  AMOR_CHECK(config.hidden_features > 0 && config.num_transforms > 0 && config.num_blocks >= 0, ValueError,
             "make_maf: invalid config ", config.to_json().dump());
  Generator gen(config.seed);
  const MADEOptions made{.hidden_features = config.hidden_features,
                         .context_features = context_features,
                         .num_blocks = config.num_blocks,
                         .output_multiplier = 2,
                         .activation = nn::activation_from_name(config.activation),
                         .dtype = config.flow.dtype};
  auto chain = std::make_shared<CompositeTransform>(features);
  for (int64_t t = 0; t < config.num_transforms; ++t) {
    chain->push_back(std::make_shared<MaskedAffineAutoregressive>(features, gen, made));
    chain->push_back(random_permutation(features, gen));
  }
  return std::make_shared<ConditionalFlow>(features, context_features, chain, config.flow);
}

}  // namespace amor::sbi::flows
