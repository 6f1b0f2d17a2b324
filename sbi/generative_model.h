// GenerativeModel: a BayesFlow-style composable simulator for research codes.
//
// A model is three user functions over *named* variables, each a float64 array with its own
// per-simulation shape:
//
//   meta(rng)                          -> Values   once per batch (e.g. a data-set size N), optional
//   prior(rng, meta)                   -> Values   once per simulation (e.g. beta [2], sigma [])
//   likelihood(rng, prior_and_meta)    -> Values   once per simulation (e.g. x [N], y [N])
//
// sample(B, seed, batch_index) runs B simulations in parallel and returns every variable stacked
// along a new leading batch axis: a variable of per-simulation shape S becomes a tensor [B, S...]
// (a scalar, shape [], becomes [B]; a one-element vector, shape [1], becomes [B, 1]). Meta values
// are drawn once and kept both ways: once in Batch::meta, and broadcast to [B, S...] among the
// tensors, so a training loop can use N as a condition directly (BayesFlow's broadcast("N")).
//
// Randomness (all Philox streams, so the batch is the same for every thread count):
//   meta:            Rng(seed, kMetaStream,      batch_index)
//   prior, row i:    Rng(seed, kPriorStream,     batch_index * 2^32 + i)
//   likelihood, i:   Rng(seed, kSimulatorStream, batch_index * 2^32 + i)
// The prior and the likelihood have separate streams, so θ of a row does not change when the
// likelihood changes; batches of any sizes never share streams (B and batch_index < 2^32).
//
// Errors (ValueError unless noted): a name returned twice (within one function, or by two of
// them); a variable whose shape or presence differs between rows (shapes must be rectangular
// within a batch: draw varying sizes in meta); a Value whose data does not match its shape. An
// exception thrown by a user function reaches the caller (the lowest failing row's).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"
#include "sbi/rng.h"

namespace amor::sbi {

// One variable of one simulation: a row-major float64 array.
struct Value {
  std::vector<int64_t> shape;  // {} for a scalar
  std::vector<double> data;    // product(shape) entries

  Value() = default;
  // ValueError unless data.size() == product(shape) and every extent is >= 0.
  Value(std::vector<int64_t> shape, std::vector<double> data);
  Value(double x) : data{x} {}                          // NOLINT: a scalar, shape {}
  Value(std::vector<double> v)                           // NOLINT: a vector, shape {v.size()}
      : shape{int64_t(v.size())}, data(std::move(v)) {}

  int64_t numel() const { return int64_t(data.size()); }
  // The value of a one-element array (ValueError otherwise).
  double item() const;
};

// Named values, in insertion order (few names: linear lookup).
class Values {
 public:
  Values() = default;
  Values(std::initializer_list<std::pair<std::string, Value>> items);

  // ValueError on an empty name or a name already present.
  void add(const std::string& name, Value value);
  bool contains(const std::string& name) const;
  // ValueError naming the missing variable and listing the present ones.
  const Value& at(const std::string& name) const;
  double scalar(const std::string& name) const { return at(name).item(); }
  // Element i of a variable (flat index); IndexError when out of range.
  double get(const std::string& name, int64_t i) const;

  int64_t size() const { return int64_t(items_.size()); }
  const std::vector<std::pair<std::string, Value>>& items() const { return items_; }
  std::vector<std::string> names() const;

 private:
  std::vector<std::pair<std::string, Value>> items_;
};

// The outputs of one sample() call.
struct Batch {
  int64_t batch_size = 0;
  Values meta;  // the per-batch values, once
  // Every variable as [batch_size, shape...] float64, meta first, then prior, then likelihood.
  std::vector<std::pair<std::string, Tensor>> tensors;
  std::vector<std::string> meta_names, prior_names, likelihood_names;

  // ValueError naming the missing variable and listing the present ones.
  const Tensor& at(const std::string& name) const;
  bool contains(const std::string& name) const;
};

class GenerativeModel {
 public:
  using MetaFn = std::function<Values(Rng& rng)>;
  using PriorFn = std::function<Values(Rng& rng, const Values& meta)>;
  using LikelihoodFn = std::function<Values(Rng& rng, const Values& prior_and_meta)>;

  // prior and likelihood are required (ValueError); meta may be empty.
  GenerativeModel(PriorFn prior, LikelihoodFn likelihood, MetaFn meta = nullptr);

  // num_threads <= 0: the OpenMP default. ValueError for batch_size < 1 or >= 2^32, or
  // batch_index >= 2^32.
  Batch sample(int64_t batch_size, uint64_t seed, uint64_t batch_index = 0, int num_threads = 0) const;

 private:
  PriorFn prior_;
  LikelihoodFn likelihood_;
  MetaFn meta_;
};

}  // namespace amor::sbi
