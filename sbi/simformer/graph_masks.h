// Attention masks for the Simformer, derived from a task's dependency graph.
//
// Tokens are the T scalars of the joint (θ, x), θ first. A mask is a T×T boolean matrix in
// row-major order with mask[i·T + j] = true when token i may attend token j. A DAG uses the same
// layout with row = child, column = parent, so a node attends its parents.
//
//  - dense: every token attends every token (the plain Simformer).
//  - undirected: the moral graph M ∨ Mᵀ ∨ (co-parents), with self-loops; it does not depend on
//    which tokens are observed.
//  - directed: a minimal faithful inverse of the DAG for the latent tokens given the observed
//    ones (Webb et al. 2018, as the Simformer's reference code builds it), recomputed for every
//    condition mask; observed tokens keep their DAG row. See directed_mask() for the steps.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace amor::sbi::simformer {

enum class AttentionMaskKind { Dense, Undirected, Directed };

AttentionMaskKind parse_attention_mask_kind(const std::string& name);  // ValueError if unknown
std::string to_string(AttentionMaskKind kind);

// A square boolean matrix, row-major, one byte per entry.
struct BoolMatrix {
  int64_t n = 0;
  std::vector<uint8_t> data;

  BoolMatrix() = default;
  explicit BoolMatrix(int64_t size) : n(size), data(size_t(size * size), 0) {}
  bool operator()(int64_t i, int64_t j) const { return data[size_t(i * n + j)] != 0; }
  void set(int64_t i, int64_t j, bool v = true) { data[size_t(i * n + j)] = v ? 1 : 0; }
  bool operator==(const BoolMatrix& o) const { return n == o.n && data == o.data; }
};

// dag: [T, T] bool tensor (row = child, column = parent). ShapeError / DTypeError otherwise;
// ValueError when the graph has a cycle.
BoolMatrix dag_from_tensor(const Tensor& dag);
Tensor to_tensor(const BoolMatrix& m);  // [T, T] bool

// M ∨ Mᵀ ∨ (MᵀM ≠ 0), plus self-loops.
BoolMatrix moralize(const BoolMatrix& dag);

// The directed mask for one condition mask (observed[i] = true when token i is conditioned on).
// Steps: start from the moral graph I; the frontier S holds the latent nodes without latent
// children; repeatedly eliminate the v ∈ S with the fewest uneliminated I-neighbours (ties: more
// eliminated DAG parents, then the larger index); v's row becomes its uneliminated I-neighbours
// (observed ones included), fill-in edges join those neighbours in I, and v's latent,
// uneliminated DAG parents join S. Finally self-loops are added, and observed rows are the
// DAG's rows. With nothing observed the DAG itself (plus self-loops) is returned.
BoolMatrix directed_mask(const BoolMatrix& dag, const uint8_t* observed);

// The attention mask of a batch: an undefined Tensor for Dense (no mask: the kernel skips the
// test), [T, T] bool for Undirected (shared by the whole batch), [B, T, T] bool for Directed.
// observed: [B, T] bool (read by Directed only).
Tensor attention_masks(AttentionMaskKind kind, const BoolMatrix& dag, const Tensor& observed);

// Function-valued variables: several tokens share a node (the time points of one series). A
// node-level graph is expanded to the tokens: token i attends token j when graph(node_i, node_j)
// or the two share a node. node_ids: one entry per token, each in [0, graph.n) (ValueError).
BoolMatrix expand_to_tokens(const BoolMatrix& node_graph, const std::vector<int64_t>& node_ids);

// The attention mask of a query whose tokens carry node ids: undefined for Dense, the expanded
// moral graph [T', T'] for Undirected; Directed is a ValueError (the expanded graph has cycles
// within a node, so the minimal faithful inverse is not defined for it).
Tensor node_attention_mask(AttentionMaskKind kind, const BoolMatrix& node_dag, const std::vector<int64_t>& node_ids);

// Random subsets of tokens (TrainingOptions::random_subsets): mask [T, T] bool (undefined:
// dense) and present [B, T] bool -> [B, T, T], the mask with each row's absent tokens removed as
// keys. Every token still attends to itself, so no softmax row is empty; a present token then sees
// exactly what it would see in a query made of the present tokens alone.
Tensor hide_absent_tokens(const Tensor& mask, const Tensor& present);

}  // namespace amor::sbi::simformer
