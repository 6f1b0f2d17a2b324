// Transform: an invertible map of a normalizing flow, optionally conditioned on a context.
//
// Direction (nflows' and BayesFlow's convention): `forward` goes from the data side to the
// noise side (θ -> u, what log_prob evaluates), `inverse` from the noise side back to the data
// side (u -> θ, what sampling runs). Both return the log absolute Jacobian determinant of the
// map they compute, per row:
//   forward(x, c) = (u, log|det ∂u/∂x|),   inverse(u, c) = (x, log|det ∂x/∂u|),
// so inverse(forward(x)) = x and the two log-dets are each other's negatives.
//
// Shapes: inputs [n, features]; context [n, context_features], or an undefined Tensor for an
// unconditional transform (a transform that ignores its context accepts either). Everything is
// built from core ops (or fused ops with their own backward), so both directions are
// differentiable through amor's autodiff with respect to the inputs, the context and the
// parameters.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "nn/module.h"
#include "nn/module_list.h"

namespace amor::sbi::flows {

struct TransformResult {
  Tensor outputs;    // [n, features]
  Tensor logabsdet;  // [n]
};

class Transform : public nn::Module {
 public:
  explicit Transform(int64_t features);

  virtual TransformResult forward(const Tensor& inputs, const Tensor& context) = 0;
  virtual TransformResult inverse(const Tensor& inputs, const Tensor& context) = 0;
  TransformResult forward(const Tensor& inputs) { return forward(inputs, Tensor()); }
  TransformResult inverse(const Tensor& inputs) { return inverse(inputs, Tensor()); }
  // The inverse when no gradient is wanted (sampling): records no graph, and a transform may
  // compute it with a faster forward-only kernel whose values differ from inverse()'s by
  // rounding (MaskedAffineAutoregressive). The default: inverse() under a NoGradGuard.
  virtual TransformResult sample_inverse(const Tensor& inputs, const Tensor& context);

  // Data-dependent initialisation (ActNorm's): `inputs` are training values as they reach this
  // transform on the data side, [n, features]. The default does nothing.
  virtual void initialize_from_data(const Tensor& inputs, const Tensor& context);

  int64_t features() const { return features_; }

 protected:
  // Throws ShapeError unless inputs is [n, features()] and context is undefined or [n, c] with
  // c == context_features (pass -1 to accept any width). `who` names the caller in messages.
  void check_inputs(const char* who, const Tensor& inputs, const Tensor& context,
                    int64_t context_features = -1) const;

 private:
  int64_t features_;
};

using TransformPtr = std::shared_ptr<Transform>;

// Applies its children in order (forward) or in reverse order (inverse), summing the log-dets.
// Children are named 0, 1, ... (checkpoint keys `transforms.3.made.…`).
class CompositeTransform : public Transform {
 public:
  explicit CompositeTransform(int64_t features);
  explicit CompositeTransform(const std::vector<TransformPtr>& transforms);
  std::string type_name() const override { return "CompositeTransform"; }

  // Appends a transform (its features must match); returns it.
  TransformPtr push_back(TransformPtr t);
  size_t size() const { return list_->size(); }
  Transform& operator[](size_t i) const { return (*list_)[i]; }

  TransformResult forward(const Tensor& inputs, const Tensor& context) override;
  TransformResult inverse(const Tensor& inputs, const Tensor& context) override;
  using Transform::forward;
  using Transform::inverse;
  // The children's sample_inverse, in reverse order.
  TransformResult sample_inverse(const Tensor& inputs, const Tensor& context) override;
  // Initialises each child in turn on the values the previous children map the data to.
  void initialize_from_data(const Tensor& inputs, const Tensor& context) override;

 private:
  std::shared_ptr<nn::ModuleList<Transform>> list_;
};

// A zero log-det of n rows in x's dtype.
Tensor zero_logabsdet(const Tensor& x);

}  // namespace amor::sbi::flows
