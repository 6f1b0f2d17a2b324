// Reverse-mode autodiff: recording ops and running backward.
//
// Note [Recording]
// An op first computes its output without touching autodiff. If grad mode is on and any input
// requires grad, it creates its Node subclass (the backward, defined right beside the forward in
// core/ops/*.cpp), stores what the backward needs as SavedTensors, points the node's edges at the
// inputs (`collect_edges`) and attaches the node to the output (`set_history`). Nothing else is
// kept: the graph lives exactly as long as the outputs that reference it.
//
// Note [Saved tensors]
// A SavedTensor keeps a data-only alias (no grad_fn, so saving an op's own output creates no
// reference cycle) and the storage version at save time. Every in-place write bumps the
// storage's version; unpacking a tensor whose version moved throws AutogradError, because its
// gradient would silently be wrong.
//
// Note [Backward]
// backward(roots) walks the graph once to count, for each node, how many edges point at it;
// then runs nodes whose gradients are complete, latest-created first, summing the gradients of
// fanned-out uses. Leaves accumulate into .grad. Each node's saved tensors are released after it
// runs (unless retain_graph), so a second backward through the same graph throws.
// Backward formulas run with grad mode off: there is no double backward.
#pragma once

#include <initializer_list>
#include <vector>

#include "core/node.h"
#include "core/tensor.h"

namespace amor {

class SavedTensor {
 public:
  SavedTensor() = default;
  explicit SavedTensor(const Tensor& t);
  // Returns the saved data; throws AutogradError if it was released or modified in place.
  Tensor unpack(const Node& owner) const;
  void reset() { data_ = Tensor(); }
  bool defined() const { return data_.defined(); }

 private:
  Tensor data_;
  uint64_t version_ = 0;
};

// True when grad mode is on and any of the tensors requires grad.
inline bool any_requires_grad(std::initializer_list<const Tensor*> ts) {
  if (!GradMode::enabled()) return false;
  for (const Tensor* t : ts)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}
bool any_requires_grad(const std::vector<Tensor>& ts);

// Points node.edges at the inputs, in order. An input that does not require grad gets an invalid
// edge (its gradient is not computed).
void collect_edges(Node& node, std::initializer_list<const Tensor*> inputs);
void collect_edges(Node& node, const std::vector<Tensor>& inputs);
// Makes `out` the output number `output_nr` of `node`.
void set_history(Tensor& out, const Ptr<Node>& node, uint32_t output_nr = 0);

// Creates NodeT, wires it to `inputs` and attaches it to `out`. Returns it to save tensors on.
template <class NodeT, class... Args>
NodeT* record(Tensor& out, std::initializer_list<const Tensor*> inputs, Args&&... args) {
  auto* n = new NodeT(std::forward<Args>(args)...);
  Ptr<Node> p(n);
  collect_edges(*n, inputs);
  set_history(out, p);
  return n;
}

// Runs backward from `roots` with the given upstream gradients (one per root; an undefined
// entry means ones for a one-element root). Accumulates into leaves' .grad.
void backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& grad_roots = {},
              bool retain_graph = false);

// Gradients of `outputs` with respect to `inputs` (leaves or intermediate tensors), without
// touching any .grad. An input the outputs do not depend on gets an undefined tensor unless
// allow_unused is false, in which case that throws AutogradError.
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {}, bool retain_graph = false,
                         bool allow_unused = false);

}  // namespace amor
