// The autodiff graph's vertex type. A Node is the backward of one recorded op: it receives the
// gradients of the op's outputs and produces the gradients of its differentiable inputs. Its
// edges point to where those input gradients go next: another Node (the input was produced by
// an op) or a leaf tensor (the input is a parameter or an input that requires grad).
//
// See core/autograd.h for recording ops and running backward.
#pragma once

#include <cstdint>
#include <vector>

#include "core/intrusive_ptr.h"

namespace amor {

class Tensor;
struct TensorImpl;
struct Node;

struct Edge {
  Ptr<Node> node;          // set when the input came out of a recorded op
  Ptr<TensorImpl> leaf;    // set when the input is a leaf that requires grad
  uint32_t output_nr = 0;  // which output of `node` the input is
  bool valid() const { return node || leaf; }
};

struct Node : RefCounted {
  Node();
  ~Node() override;

  // grad_outputs: [num_outputs] (each defined, shaped like the output);
  // grad_inputs: [edges.size()] to fill; leave an entry undefined for "no gradient".
  virtual void backward(const Tensor* grad_outputs, Tensor* grad_inputs) = 0;
  // Drops saved tensors after backward ran (unless the graph is retained).
  virtual void release() {}
  virtual const char* name() const = 0;

  std::vector<Edge> edges;  // one per differentiable input, in argument order
  uint32_t num_outputs = 1;
  uint64_t sequence_nr;     // creation order; later nodes run first among ready ones
  bool released = false;

  // Scratch used by the engine while a backward pass runs (see core/autograd.cpp).
  uint32_t engine_slot = 0;
  uint32_t engine_pass = 0;
};

// Grad mode is per thread: NoGradGuard turns recording off in its scope.
struct GradMode {
  static bool enabled();
  static void set_enabled(bool on);
};

class NoGradGuard {
 public:
  NoGradGuard() : prev_(GradMode::enabled()) { GradMode::set_enabled(false); }
  ~NoGradGuard() { GradMode::set_enabled(prev_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool prev_;
};

class EnableGradGuard {
 public:
  EnableGradGuard() : prev_(GradMode::enabled()) { GradMode::set_enabled(true); }
  ~EnableGradGuard() { GradMode::set_enabled(prev_); }
  EnableGradGuard(const EnableGradGuard&) = delete;
  EnableGradGuard& operator=(const EnableGradGuard&) = delete;

 private:
  bool prev_;
};

}  // namespace amor
