// C2ST: the classifier two-sample test exactly as sbibm computes it (sbibm/metrics/c2st.py),
// the headline metric of the sbibm benchmark.
//
// A classifier learns to tell reference samples X (label 0) from samples Y (label 1); its
// held-out accuracy is 0.5 when the two sets come from the same distribution and 1.0 when they
// are perfectly separable. sbibm's recipe, reproduced here:
//   1. z-score both X and Y with the mean and unbiased (N - 1) standard deviation of X
//      (z_score = true). A feature whose std is < 1e-14 is divided by 1 instead, as sbi's c2st
//      does (sbibm would produce inf/NaN there).
//   2. Stack data = [X; Y], labels [0…0, 1…1].
//   3. KFold(n_splits = 5, shuffle = True, random_state = seed): the indices 0..N-1 shuffled by
//      numpy RandomState(seed), cut into 5 consecutive folds (the first N % 5 one longer).
//   4. Per fold: MLPClassifier(relu, hidden (10·d, 10·d), adam, max_iter = 10000,
//      random_state = seed), every other setting sklearn's default (see mlp_classifier.h),
//      trained on the other folds (rows in ascending index order, as sklearn slices them) and
//      scored on the held-out fold by accuracy (or ROC AUC: sbibm's c2st_auc).
//   5. The score is the mean over folds.
// The random streams (weight init, epoch shuffles, folds) are numpy's, replayed bit for bit,
// so amor and sklearn train from the same start on the same mini-batches; only floating-point
// summation order differs (tools/c2st_compare.py measures the agreement, docs/diagnostics.md).
//
// Precision: float32 by default, because sbibm hands sklearn float32 arrays and MLPClassifier
// then trains in float32; float64 (dtype = F64) is available (half the SIMD width).
// Threads: the folds train in parallel (OpenMP, one fold per thread); each fold's work is
// sequential and seeded by `seed` alone (as sklearn clones the classifier with the same
// random_state for every fold), so the result is bit-identical for any thread count.
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"
#include "sbi/diagnostics/mlp_classifier.h"

namespace amor::sbi {

enum class C2stScoring { Accuracy, RocAuc };

// sklearn's MLPClassifier defaults with sbibm's max_iter = 10000; empty hidden sizes mean
// (10·d, 10·d). random_state is ignored: C2stOptions::seed seeds both KFold and the classifier.
inline MlpClassifierOptions c2st_default_classifier() {
  MlpClassifierOptions o;
  o.hidden_layer_sizes = {};
  o.max_iter = 10000;
  return o;
}

struct C2stOptions {
  uint32_t seed = 1;
  int64_t n_folds = 5;
  bool z_score = true;
  C2stScoring scoring = C2stScoring::Accuracy;
  DType dtype = DType::F32;  // classifier precision: F32 (sbibm) or F64
  int num_threads = 0;       // 0: omp_get_max_threads(); never more than n_folds
  MlpClassifierOptions classifier = c2st_default_classifier();
};

struct C2stResult {
  double score = 0.0;                // mean over folds
  std::vector<double> fold_scores;   // held-out accuracy (or AUC) per fold
  std::vector<int64_t> fold_epochs;  // epochs each fold's classifier trained
};

// reference (X): [n_x, d], samples (Y): [n_y, d]; float32 or float64, any layout. Throws
// ShapeError / DTypeError / ValueError (non-finite values, fewer rows than folds, ...).
C2stResult c2st_folds(const Tensor& reference, const Tensor& samples,
                      const C2stOptions& options = {});
// The mean score only.
double c2st(const Tensor& reference, const Tensor& samples, const C2stOptions& options = {});

// ROC AUC of scores for labels in {0, 1} (ties get midranks, as sklearn's roc_auc_score).
double roc_auc(const std::vector<double>& scores, const std::vector<uint8_t>& labels);

}  // namespace amor::sbi
