#include "sbi/flows/maf.h"

#include <cstring>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "kernels/cpu/made_inverse.h"
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

TransformResult MaskedAffineAutoregressive::sample_inverse(const Tensor& inputs, const Tensor& context) {
  check_inputs("MaskedAffineAutoregressive.sample_inverse", inputs, context, made_->options().context_features);
  NoGradGuard no_grad;
  TransformResult r = fused_inverse(inputs, context);
  return r.outputs.defined() ? r : inverse(inputs, context);
}

namespace {

template <class T>
void run_made_inverse(const MADE::MaskedWeights& mw, int64_t features, kernels::cpu::MadeActivation act,
                      const Tensor& u, const Tensor& context, int64_t ldc, const Tensor& theta, const Tensor& logdet) {
  std::vector<const T*> bw, bb;
  for (size_t b = 0; b < mw.block_weights.size(); ++b) {
    bw.push_back(mw.block_weights[b].data<T>());
    bb.push_back(mw.block_biases[b].data<T>());
  }
  kernels::cpu::MadeInverseWeights<T> w;
  w.features = features;
  w.hidden = mw.initial_weight.shape()[0];
  w.num_blocks = int64_t(bw.size());
  w.context_features = mw.context_weight.defined() ? mw.context_weight.shape()[1] : 0;
  w.activation = act;
  w.hidden_degrees = mw.hidden_degrees.data();
  w.initial_weight = mw.initial_weight.data<T>();
  w.initial_bias = mw.initial_bias.data<T>();
  if (w.context_features > 0) {
    w.context_weight = mw.context_weight.data<T>();
    w.context_bias = mw.context_bias.data<T>();
  }
  w.block_weights = bw.data();
  w.block_biases = bb.data();
  w.final_weight = mw.final_weight.data<T>();
  w.final_bias = mw.final_bias.data<T>();
  w.scale_eps = T(MaskedAffineAutoregressive::kScaleEps);
  kernels::cpu::made_affine_inverse<T>(w, u.data<T>(), context.defined() ? context.data<T>() : nullptr, ldc,
                                       u.shape()[0], theta.data<T>(), logdet.data<T>());
}

// Row stride of a contiguous context [n, c] for the kernel: 0 when every row equals the first
// (sampling broadcasts one observation to all rows), so the context layer runs once.
int64_t context_row_stride(const Tensor& context) {
  const int64_t n = context.shape()[0], c = context.shape()[1];
  const size_t row_bytes = size_t(c) * dtype_size(context.dtype());
  const char* p = static_cast<const char*>(context.raw_data());
  for (int64_t i = 1; i < n; ++i)
    if (std::memcmp(p, p + size_t(i) * row_bytes, row_bytes) != 0) return c;
  return 0;
}

}  // namespace

TransformResult MaskedAffineAutoregressive::fused_inverse(const Tensor& inputs, const Tensor& context) const {
  const MADEOptions& o = made_->options();
  const DType dt = inputs.dtype();
  if (!inputs.device().is_cpu() || (dt != DType::F32 && dt != DType::F64)) return {};
  if (o.activation != nn::Act::Tanh && o.activation != nn::Act::Relu) return {};
  const MADE::MaskedWeights mw = made_->masked_weights();
  if (mw.initial_weight.dtype() != dt || !mw.initial_weight.device().is_cpu()) return {};
  const Tensor u = inputs.contiguous();
  Tensor c;
  int64_t ldc = 0;
  if (o.context_features > 0) {
    if (context.dtype() != dt) return {};
    c = context.contiguous();
    ldc = context_row_stride(c);
  }
  const int64_t n = u.shape()[0];
  Tensor theta = Tensor::empty({n, features()}, dt), logdet = Tensor::empty({n}, dt);
  const auto act = o.activation == nn::Act::Tanh ? kernels::cpu::MadeActivation::Tanh : kernels::cpu::MadeActivation::Relu;
  if (dt == DType::F32)
    run_made_inverse<float>(mw, features(), act, u, c, ldc, theta, logdet);
  else
    run_made_inverse<double>(mw, features(), act, u, c, ldc, theta, logdet);
  return {theta, logdet};
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
