// Data for estimators conditioned through a summary network: batches of (θ, a set or series
// per simulation, optional direct conditions), how a GenerativeModel batch becomes one
// (BayesFlow's adapter, for the common cases), and in-memory datasets of padded sets.
//
//   theta       [B, d]         what the estimator models (BayesFlow's inference_variables)
//   x           [B, N, F]      what the summary network reads (summary_variables, as_set)
//   mask        bool [B, N]    true = a real element; undefined = every element is real
//   conditions  [B, c]         passed to the estimator beside the summary (inference_conditions)
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/tensor.h"
#include "sbi/generative_model.h"

namespace amor::sbi::summary {

struct SetBatch {
  Tensor theta;       // [B, d] (undefined when only observations are given)
  Tensor x;           // [B, N, F]
  Tensor mask;        // bool [B, N] or undefined
  Tensor conditions;  // [B, c] or undefined

  int64_t size() const { return x.defined() ? x.size(0) : 0; }
  // Rows `index` (int64 [k]) of every defined tensor.
  SetBatch rows(const Tensor& index) const;
  // Every defined tensor copied to `device` (the same tensors when already there).
  SetBatch to(Device device) const;
  // ShapeError / DTypeError naming the field unless the shapes agree as above (θ required when
  // `need_theta`). `who` names the caller.
  void check(const char* who, bool need_theta) const;
};

// A condition taken from a model variable, with an optional elementwise transform
// (BayesFlow's sqrt("N") gives the tutorial's √N).
struct ConditionSpec {
  std::string name;
  std::string transform = "identity";  // "identity", "sqrt" or "log"
};

// Turns GenerativeModel batches into SetBatches:
//   θ          = concat(inference_variables), each [B] or [B, k], on the last axis
//   x          = concat(summary_variables), each [B, N] or [B, N, k], on the last axis
//   conditions = concat(transform(condition)), each [B] or [B, k]
// All tensors become `dtype`. Every simulation of a batch shares N (GenerativeModel draws N in
// meta), so the batch has no padding (mask undefined).
struct BatchAdapter {
  std::vector<std::string> inference_variables;
  std::vector<std::string> summary_variables;
  std::vector<ConditionSpec> conditions;
  DType dtype = DType::F32;

  // ValueError for a missing variable, a variable of the wrong rank, summary variables of
  // different N, or a transform of a non-positive value (sqrt of < 0, log of <= 0).
  SetBatch operator()(const Batch& batch) const;
  nlohmann::json to_json() const;
  static BatchAdapter from_json(const nlohmann::json& j);
};

// Stacks batches with possibly different N into one dataset: x padded with zeros to the largest
// N along axis 1 and a mask marking the real elements. θ and conditions must have the same width
// in every batch. ShapeError otherwise; ValueError for an empty list.
SetBatch concat_padded(const std::vector<SetBatch>& batches);

// Pads a list of sets x_i [N_i, F] into x [M, max N, F] and mask [M, max N] (zeros in the padding).
SetBatch pad_sets(const std::vector<Tensor>& sets);

// Simulates `num_batches` batches of `batch_size` from the model (N drawn per batch, batch
// indices first_batch, first_batch + 1, ...) and stacks them with concat_padded: an offline
// dataset in which N varies between simulations.
SetBatch simulate_set_dataset(const GenerativeModel& model, const std::function<SetBatch(const Batch&)>& adapter,
                              int64_t num_batches, int64_t batch_size, uint64_t seed, uint64_t first_batch = 0,
                              int num_threads = 0);

}  // namespace amor::sbi::summary
