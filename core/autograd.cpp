// The backward engine. See Note [Backward] in core/autograd.h.
#include "core/autograd.h"

#include <atomic>
#include <queue>
#include <unordered_map>
#include <vector>

#include "core/ops.h"

namespace amor {

namespace {
thread_local bool t_grad_enabled = true;
thread_local uint64_t t_next_sequence_nr = 0;
std::atomic<uint32_t> g_next_pass{1};
}  // namespace

bool GradMode::enabled() { return t_grad_enabled; }
void GradMode::set_enabled(bool on) { t_grad_enabled = on; }

Node::Node() : sequence_nr(t_next_sequence_nr++) {}

// Tearing down a graph: destroying a node drops its edges, which may destroy the next node, and
// so on. Done recursively, a long chain (a 10^5-step simulation loop) overflows the stack. So
// the outermost ~Node on a thread collects the nodes it would free into a local list and frees
// them in a loop; nested ~Node calls only append to that list.
namespace {
thread_local std::vector<Ptr<Node>>* t_dying_nodes = nullptr;
}  // namespace

Node::~Node() {
  std::vector<Ptr<Node>> dying;
  const bool outermost = t_dying_nodes == nullptr;
  if (outermost) t_dying_nodes = &dying;
  for (Edge& e : edges)
    if (e.node && e.node->use_count() == 1) t_dying_nodes->push_back(std::move(e.node));
  if (outermost) {
    while (!dying.empty()) {
      Ptr<Node> n = std::move(dying.back());
      dying.pop_back();
      n.reset();  // its ~Node appends its own last-reference children to `dying`
    }
    t_dying_nodes = nullptr;
  }
}

// ---- recording ----------------------------------------------------------------------------------

SavedTensor::SavedTensor(const Tensor& t) {
  if (!t.defined()) return;
  data_ = t.detach();
  version_ = t.storage()->version();
}

Tensor SavedTensor::unpack(const Node& owner) const {
  AMOR_CHECK(data_.defined(), AutogradError, owner.name(),
             ": saved tensors were already freed; to backward through the graph a second time, "
             "pass retain_graph=true the first time");
  AMOR_CHECK(data_.storage()->version() == version_, AutogradError, owner.name(),
             ": a tensor ", data_.shape(), " needed for its gradient was modified in place "
             "after it was saved (version ", version_, " -> ", data_.storage()->version(), ")");
  return data_;
}

bool any_requires_grad(const std::vector<Tensor>& ts) {
  if (!GradMode::enabled()) return false;
  for (const Tensor& t : ts)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

static Edge edge_to(const Tensor& t) {
  Edge e;
  if (!t.defined() || !t.requires_grad()) return e;
  if (t.grad_fn()) {
    e.node = t.grad_fn();
    e.output_nr = t.impl()->output_nr;
  } else {
    e.leaf = t.impl_ptr();
  }
  return e;
}

void collect_edges(Node& node, std::initializer_list<const Tensor*> inputs) {
  node.edges.reserve(inputs.size());
  for (const Tensor* t : inputs) node.edges.push_back(edge_to(*t));
}

void collect_edges(Node& node, const std::vector<Tensor>& inputs) {
  node.edges.reserve(inputs.size());
  for (const Tensor& t : inputs) node.edges.push_back(edge_to(t));
}

void set_history(Tensor& out, const Ptr<Node>& node, uint32_t output_nr) {
  TensorImpl* impl = out.impl();
  impl->grad_fn = node;
  impl->output_nr = output_nr;
  impl->requires_grad = true;
}

// ---- the engine ---------------------------------------------------------------------------------

namespace {

// Where the gradients asked for by amor::grad() are collected.
struct Capture {
  std::unordered_map<const TensorImpl*, size_t> leaves;
  std::unordered_map<const Node*, std::vector<std::pair<uint32_t, size_t>>> nodes;
  std::vector<Tensor> grads;
};

// acc + g for a gradient reaching the same slot twice (a tensor used by several ops). When nothing
// else can see acc's memory (this slot holds the only reference to its impl and storage, e.g. a
// gradient an op just allocated) g is added into it in place, saving a full-size allocation per
// fan-in; otherwise (a gradient shared with another slot, or saved by a node) a new tensor.
// Same bits either way (x + 1·y == x + y).
Tensor accumulate(const Tensor& acc, const Tensor& g) {
  if (!acc.defined()) return g;
  const bool exclusive = acc.impl()->use_count() == 1 && acc.storage()->use_count() == 1 &&
                         acc.storage()->owns() && acc.is_contiguous();
  if (exclusive && acc.shape() == g.shape() && acc.dtype() == g.dtype() && acc.impl() != g.impl()) {
    Tensor out = acc;
    out.add_(g);
    return out;
  }
  return add(acc, g);
}

void accumulate_into_leaf(TensorImpl* leaf, const Tensor& g) {
  AMOR_INTERNAL_CHECK(g.shape() == leaf->shape, "gradient ", g.shape(), " for leaf ", leaf->shape);
  if (!leaf->grad) {
    // Steal the gradient when nothing else can see its memory; otherwise copy it, so that later
    // in-place accumulation never writes into another tensor's (or a broadcast) buffer.
    bool exclusive = g.impl()->use_count() == 1 && g.storage()->use_count() == 1 &&
                     g.is_contiguous() && g.storage()->owns();
    leaf->grad = exclusive ? g.impl_ptr() : g.clone().impl_ptr();
  } else {
    Tensor(leaf->grad).add_(g);
  }
}

struct PendingNode {
  Node* node;
  std::vector<Tensor> grads;  // one per output
  uint32_t dependencies = 0;
};

void run_backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& grad_roots,
                  bool retain_graph, Capture* capture) {
  AMOR_CHECK(grad_roots.empty() || grad_roots.size() == roots.size(), ValueError,
             "backward: got ", grad_roots.size(), " gradients for ", roots.size(), " outputs");
  NoGradGuard no_grad;
  const uint32_t pass = g_next_pass.fetch_add(1, std::memory_order_relaxed);
  std::vector<PendingNode> pending;
  auto slot_of = [&](Node* n) -> PendingNode* {
    return n->engine_pass == pass ? &pending[n->engine_slot] : nullptr;
  };

  // 1. Discover the graph and count the edges pointing at every node.
  std::vector<Node*> stack;
  auto discover = [&](Node* n) {
    if (slot_of(n)) return;
    n->engine_pass = pass;
    n->engine_slot = static_cast<uint32_t>(pending.size());
    pending.push_back({n, std::vector<Tensor>(n->num_outputs), 0});
    stack.push_back(n);
  };
  for (const Tensor& r : roots) {
    AMOR_CHECK(r.defined(), ValueError, "backward: undefined output tensor");
    AMOR_CHECK(r.requires_grad(), AutogradError, "backward: output ", r.shape(),
               " does not require grad (no input that requires grad was used to compute it, "
               "or it was computed under NoGradGuard)");
    if (r.grad_fn()) discover(r.grad_fn().get());
  }
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (Edge& e : n->edges) {
      if (!e.node) continue;
      discover(e.node.get());
      ++slot_of(e.node.get())->dependencies;
    }
  }

  // 2. Seed the roots' gradients.
  for (size_t i = 0; i < roots.size(); ++i) {
    const Tensor& r = roots[i];
    Tensor g = grad_roots.empty() ? Tensor() : grad_roots[i];
    if (!g.defined()) {
      AMOR_CHECK(r.numel() == 1, AutogradError, "backward: output has shape ", r.shape(),
                 "; a gradient must be given for outputs with more than one element");
      g = ones_like(r);
    }
    AMOR_CHECK(g.shape() == r.shape() && g.dtype() == r.dtype(), ShapeError,
               "backward: gradient ", g.dtype(), " ", g.shape(), " does not match output ",
               r.dtype(), " ", r.shape());
    if (r.grad_fn()) {
      PendingNode* p = slot_of(r.grad_fn().get());
      Tensor& buf = p->grads[r.impl()->output_nr];
      buf = accumulate(buf, g);
    } else if (capture) {
      auto it = capture->leaves.find(r.impl());
      if (it != capture->leaves.end()) capture->grads[it->second] = accumulate(capture->grads[it->second], g);
    } else {
      accumulate_into_leaf(r.impl(), g);
    }
  }

  // 3. Run nodes whose gradients are complete, latest-created first.
  auto later = [&](uint32_t a, uint32_t b) {
    return pending[a].node->sequence_nr < pending[b].node->sequence_nr;
  };
  std::priority_queue<uint32_t, std::vector<uint32_t>, decltype(later)> ready(later);
  for (uint32_t i = 0; i < pending.size(); ++i)
    if (pending[i].dependencies == 0) ready.push(i);

  std::vector<Tensor> grad_inputs;
  while (!ready.empty()) {
    PendingNode& p = pending[ready.top()];
    ready.pop();
    Node* n = p.node;
    AMOR_CHECK(!n->released, AutogradError, n->name(),
               ": backward through a graph a second time; pass retain_graph=true the first time");
    bool any = false;
    for (const Tensor& g : p.grads) any = any || g.defined();
    if (capture) {
      if (auto it = capture->nodes.find(n); it != capture->nodes.end())
        for (auto [output_nr, idx] : it->second) capture->grads[idx] = p.grads[output_nr];
    }
    grad_inputs.assign(n->edges.size(), Tensor());
    if (any) {
      // Multi-output nodes may have outputs that received no gradient: they count as zeros.
      for (uint32_t k = 0; k < p.grads.size(); ++k)
        AMOR_INTERNAL_CHECK(p.grads[k].defined() || n->num_outputs > 1, "missing gradient in ", n->name());
      n->backward(p.grads.data(), grad_inputs.data());
    }
    for (size_t i = 0; i < n->edges.size(); ++i) {
      Edge& e = n->edges[i];
      const Tensor& g = grad_inputs[i];
      if (e.node) {
        PendingNode* q = slot_of(e.node.get());
        if (g.defined()) q->grads[e.output_nr] = accumulate(q->grads[e.output_nr], g);
        if (--q->dependencies == 0) ready.push(q->node->engine_slot);
      } else if (e.leaf && g.defined()) {
        if (capture) {
          auto it = capture->leaves.find(e.leaf.get());
          if (it != capture->leaves.end())
            capture->grads[it->second] = accumulate(capture->grads[it->second], g);
        } else {
          accumulate_into_leaf(e.leaf.get(), g);
        }
      }
    }
    p.grads.clear();
    if (!retain_graph) {
      n->release();
      n->released = true;
    }
  }
}

}  // namespace

void backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& grad_roots,
              bool retain_graph) {
  run_backward(roots, grad_roots, retain_graph, nullptr);
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, bool retain_graph,
                         bool allow_unused) {
  Capture capture;
  capture.grads.resize(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = inputs[i];
    AMOR_CHECK(t.defined() && t.requires_grad(), AutogradError, "grad: input ", i,
               " does not require grad");
    if (t.grad_fn())
      capture.nodes[t.grad_fn().get()].push_back({t.impl()->output_nr, i});
    else
      capture.leaves[t.impl()] = i;
  }
  run_backward(outputs, grad_outputs, retain_graph, &capture);
  for (size_t i = 0; i < inputs.size(); ++i) {
    AMOR_CHECK(allow_unused || capture.grads[i].defined(), AutogradError, "grad: input ", i, " ",
               inputs[i].shape(), " was not used to compute the outputs (pass allow_unused=true)");
    // A gradient handed back must not alias engine buffers that are still shared.
    if (capture.grads[i].defined() && capture.grads[i].impl()->use_count() > 1)
      capture.grads[i] = capture.grads[i].clone();
  }
  return capture.grads;
}

}  // namespace amor
