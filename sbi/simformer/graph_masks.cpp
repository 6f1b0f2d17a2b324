#include "sbi/simformer/graph_masks.h"

#include <algorithm>

#include "core/error.h"

namespace amor::sbi::simformer {

AttentionMaskKind parse_attention_mask_kind(const std::string& name) {
  if (name == "dense") return AttentionMaskKind::Dense;
  if (name == "undirected") return AttentionMaskKind::Undirected;
  if (name == "directed") return AttentionMaskKind::Directed;
  throw ValueError("simformer: unknown attention mask '" + name +
                   "' (expected dense, undirected or directed)");
}

std::string to_string(AttentionMaskKind kind) {
  switch (kind) {
    case AttentionMaskKind::Dense: return "dense";
    case AttentionMaskKind::Undirected: return "undirected";
    case AttentionMaskKind::Directed: return "directed";
  }
  return "?";
}

namespace {

// Kahn's algorithm: true when the child->parent graph (self-loops ignored) has no cycle.
bool is_acyclic(const BoolMatrix& dag) {
  const int64_t n = dag.n;
  std::vector<int64_t> parents(size_t(n), 0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j)
      if (i != j && dag(i, j)) ++parents[size_t(i)];
  std::vector<int64_t> ready;
  for (int64_t i = 0; i < n; ++i)
    if (parents[size_t(i)] == 0) ready.push_back(i);
  int64_t seen = 0;
  while (!ready.empty()) {
    const int64_t p = ready.back();
    ready.pop_back();
    ++seen;
    for (int64_t c = 0; c < n; ++c)
      if (c != p && dag(c, p) && --parents[size_t(c)] == 0) ready.push_back(c);
  }
  return seen == n;
}

}  // namespace

BoolMatrix dag_from_tensor(const Tensor& dag) {
  if (dag.dim() != 2 || dag.size(0) != dag.size(1))
    throw ShapeError("simformer: the task DAG must be a square [T, T] matrix, got " +
                     dag.shape().str());
  if (dag.dtype() != DType::Bool)
    throw DTypeError("simformer: the task DAG must be bool, got " + std::string(dtype_name(dag.dtype())));
  const Tensor c = dag.contiguous();
  BoolMatrix m(dag.size(0));
  const auto* src = c.data<bool>();
  for (size_t k = 0; k < m.data.size(); ++k) m.data[k] = src[k] ? 1 : 0;
  if (!is_acyclic(m)) throw ValueError("simformer: the task DAG has a cycle");
  return m;
}

Tensor to_tensor(const BoolMatrix& m) {
  Tensor t = Tensor::empty({m.n, m.n}, DType::Bool);
  auto* dst = t.data<bool>();
  for (size_t k = 0; k < m.data.size(); ++k) dst[k] = m.data[k] != 0;
  return t;
}

BoolMatrix moralize(const BoolMatrix& dag) {
  const int64_t n = dag.n;
  BoolMatrix out(n);
  for (int64_t i = 0; i < n; ++i) {
    out.set(i, i);
    for (int64_t j = 0; j < n; ++j)
      if (dag(i, j)) {
        out.set(i, j);
        out.set(j, i);
      }
  }
  // Co-parents: j and k are both parents of some child i.
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      if (j == i || !dag(i, j)) continue;
      for (int64_t k = 0; k < n; ++k)
        if (k != i && k != j && dag(i, k)) out.set(j, k);
    }
  return out;
}

BoolMatrix directed_mask(const BoolMatrix& dag, const uint8_t* observed) {
  const int64_t n = dag.n;
  BoolMatrix h(n);
  bool any_observed = false;
  for (int64_t i = 0; i < n; ++i) any_observed = any_observed || observed[i];
  if (!any_observed) {
    h = dag;
    for (int64_t i = 0; i < n; ++i) h.set(i, i);
    return h;
  }

  BoolMatrix moral = moralize(dag);
  std::vector<uint8_t> eliminated(size_t(n), 0), in_frontier(size_t(n), 0);
  std::vector<int64_t> frontier;
  for (int64_t v = 0; v < n; ++v) {
    if (observed[v]) continue;
    bool latent_child = false;
    for (int64_t c = 0; c < n && !latent_child; ++c)
      latent_child = c != v && dag(c, v) && !observed[c];
    if (!latent_child) {
      frontier.push_back(v);
      in_frontier[size_t(v)] = 1;
    }
  }

  auto live_degree = [&](int64_t v) {
    int64_t d = 0;
    for (int64_t u = 0; u < n; ++u) d += (u != v && moral(v, u) && !eliminated[size_t(u)]);
    return d;
  };
  auto eliminated_parents = [&](int64_t v) {
    int64_t d = 0;
    for (int64_t p = 0; p < n; ++p) d += (p != v && dag(v, p) && eliminated[size_t(p)]);
    return d;
  };

  while (!frontier.empty()) {
    // Fewest live neighbours, then most eliminated parents, then the largest index.
    size_t best = 0;
    for (size_t k = 1; k < frontier.size(); ++k) {
      const int64_t a = frontier[k], b = frontier[best];
      const int64_t da = live_degree(a), db = live_degree(b);
      if (da != db) {
        if (da < db) best = k;
        continue;
      }
      const int64_t pa = eliminated_parents(a), pb = eliminated_parents(b);
      if (pa != pb) {
        if (pa > pb) best = k;
        continue;
      }
      if (a > b) best = k;
    }
    const int64_t v = frontier[best];
    frontier.erase(frontier.begin() + static_cast<std::ptrdiff_t>(best));

    std::vector<int64_t> neighbours;
    for (int64_t u = 0; u < n; ++u)
      if (u != v && moral(v, u) && !eliminated[size_t(u)]) neighbours.push_back(u);
    for (int64_t u : neighbours) h.set(v, u);
    for (int64_t a : neighbours)
      for (int64_t b : neighbours)
        if (a != b) moral.set(a, b);
    eliminated[size_t(v)] = 1;
    for (int64_t p = 0; p < n; ++p)
      if (p != v && dag(v, p) && !observed[p] && !eliminated[size_t(p)] && !in_frontier[size_t(p)]) {
        frontier.push_back(p);
        in_frontier[size_t(p)] = 1;
      }
  }

  for (int64_t i = 0; i < n; ++i) {
    if (observed[i])
      for (int64_t j = 0; j < n; ++j) h.set(i, j, dag(i, j));
    h.set(i, i);
  }
  return h;
}

Tensor attention_masks(AttentionMaskKind kind, const BoolMatrix& dag, const Tensor& observed) {
  switch (kind) {
    case AttentionMaskKind::Dense: return Tensor();
    case AttentionMaskKind::Undirected: return to_tensor(moralize(dag));
    case AttentionMaskKind::Directed: break;
  }
  const int64_t n = dag.n;
  if (observed.dim() != 2 || observed.size(1) != n || observed.dtype() != DType::Bool)
    throw ShapeError("simformer: condition mask must be bool [B, " + std::to_string(n) + "], got " +
                     observed.shape().str());
  const Tensor obs = observed.contiguous();
  const int64_t batch = obs.size(0);
  Tensor out = Tensor::empty({batch, n, n}, DType::Bool);
  const auto* src = reinterpret_cast<const uint8_t*>(obs.data<bool>());
  auto* dst = out.data<bool>();
#pragma omp parallel for schedule(static) if (batch * n * n > 65536)
  for (int64_t b = 0; b < batch; ++b) {
    const BoolMatrix m = directed_mask(dag, src + b * n);
    for (int64_t k = 0; k < n * n; ++k) dst[b * n * n + k] = m.data[size_t(k)] != 0;
  }
  return out;
}

BoolMatrix expand_to_tokens(const BoolMatrix& node_graph, const std::vector<int64_t>& node_ids) {
  const int64_t tokens = int64_t(node_ids.size());
  for (int64_t id : node_ids)
    if (id < 0 || id >= node_graph.n)
      throw ValueError("simformer: node id " + std::to_string(id) + " outside [0, " + std::to_string(node_graph.n) +
                       ")");
  BoolMatrix out(tokens);
  for (int64_t i = 0; i < tokens; ++i)
    for (int64_t j = 0; j < tokens; ++j) {
      const int64_t a = node_ids[size_t(i)], b = node_ids[size_t(j)];
      out.set(i, j, a == b || node_graph(a, b));
    }
  return out;
}

Tensor node_attention_mask(AttentionMaskKind kind, const BoolMatrix& node_dag, const std::vector<int64_t>& node_ids) {
  switch (kind) {
    case AttentionMaskKind::Dense: return Tensor();
    case AttentionMaskKind::Undirected: return to_tensor(expand_to_tokens(moralize(node_dag), node_ids));
    case AttentionMaskKind::Directed: break;
  }
  throw ValueError("simformer: directed attention is not available for tokens with node ids (function-valued "
                   "variables); use dense or undirected");
}

Tensor hide_absent_tokens(const Tensor& mask, const Tensor& present) {
  if (!present.defined() || present.dim() != 2 || present.dtype() != DType::Bool)
    throw ShapeError("simformer: present must be a bool [B, T] tensor");
  const int64_t batch = present.size(0), tokens = present.size(1);
  if (mask.defined() && (mask.dim() != 2 || mask.size(0) != tokens || mask.size(1) != tokens || mask.dtype() != DType::Bool))
    throw ShapeError("simformer: the layout's mask must be bool [" + std::to_string(tokens) + ", " +
                     std::to_string(tokens) + "], got " + mask.shape().str());
  const Tensor p = present.to(Device::cpu()).contiguous();
  const Tensor base_t = mask.defined() ? mask.to(Device::cpu()).contiguous() : Tensor();
  const bool* pp = p.data<bool>();
  const bool* base = base_t.defined() ? base_t.data<bool>() : nullptr;
  Tensor out = Tensor::empty({batch, tokens, tokens}, DType::Bool);
  bool* m = out.data<bool>();
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t i = 0; i < tokens; ++i)
      for (int64_t j = 0; j < tokens; ++j)
        m[(b * tokens + i) * tokens + j] = (i == j) || (pp[b * tokens + j] && (!base || base[i * tokens + j]));
  return out;
}

}  // namespace amor::sbi::simformer
