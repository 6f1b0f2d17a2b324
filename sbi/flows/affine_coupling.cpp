#include "sbi/flows/affine_coupling.h"

#include "core/ops.h"

namespace amor::sbi::flows {

AffineCoupling::AffineCoupling(int64_t features, int64_t begin, int64_t end, Generator& gen,
                               AffineCouplingOptions o)
    : Transform(features), begin_(begin), end_(end), context_features_(o.context_features) {
  AMOR_CHECK(0 <= begin && begin < end && end <= features, ValueError, "AffineCoupling: transformed range [",
             begin, ", ", end, ") is not a non-empty part of ", features, " features");
  const int64_t k = end - begin, in = features - k + o.context_features;
  AMOR_CHECK(in > 0, ValueError, "AffineCoupling: the conditioner has no input (all ", features,
             " features transformed and no context)");
  std::vector<int64_t> widths = {in};
  widths.insert(widths.end(), o.hidden_features.begin(), o.hidden_features.end());
  widths.push_back(2 * k);
  conditioner_ = register_module(
      "conditioner",
      std::make_shared<nn::MLP>(widths, gen, nn::MLPOptions{.activation = o.activation, .zero_init_last = true, .dtype = o.dtype}));
}

TransformResult AffineCoupling::apply(const Tensor& inputs, const Tensor& context, bool inverse) {
  check_inputs(inverse ? "AffineCoupling.inverse" : "AffineCoupling.forward", inputs, context,
               context_features_ > 0 ? context_features_ : -1);
  const int64_t d = features(), k = end_ - begin_;
  std::vector<Tensor> cond;  // [θ_rest, c]
  if (begin_ > 0) cond.push_back(inputs.narrow(1, 0, begin_));
  if (end_ < d) cond.push_back(inputs.narrow(1, end_, d - end_));
  if (context_features_ > 0) cond.push_back(context);
  Tensor params = conditioner_->forward(cond.size() == 1 ? cond[0] : concat(cond, 1));  // [n, 2k]
  auto [y, logdet] = affine_coupling(inputs.narrow(1, begin_, k), params.narrow(1, 0, k), params.narrow(1, k, k), inverse);
  std::vector<Tensor> parts;
  if (begin_ > 0) parts.push_back(inputs.narrow(1, 0, begin_));
  parts.push_back(y);
  if (end_ < d) parts.push_back(inputs.narrow(1, end_, d - end_));
  return {parts.size() == 1 ? y : concat(parts, 1), logdet};
}

TransformResult AffineCoupling::forward(const Tensor& inputs, const Tensor& context) {
  return apply(inputs, context, false);
}

TransformResult AffineCoupling::inverse(const Tensor& inputs, const Tensor& context) {
  return apply(inputs, context, true);
}

}  // namespace amor::sbi::flows
