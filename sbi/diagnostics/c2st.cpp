#include "sbi/diagnostics/c2st.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <numeric>

#include "core/error.h"
#include "sbi/diagnostics/numpy_random_state.h"

namespace amor::sbi {

namespace {

// A float tensor [n, d] as contiguous float64 rows; `what` names it in errors.
std::vector<double> rows_f64(const Tensor& t, const char* what, int64_t& n, int64_t& d) {
  AMOR_CHECK(t.defined(), ValueError, "c2st: ", what, " is undefined");
  AMOR_CHECK(t.dim() == 2, ShapeError, "c2st: ", what, " must be [n, d], got ", t.str());
  AMOR_CHECK(t.dtype() == DType::F32 || t.dtype() == DType::F64, DTypeError, "c2st: ", what,
             " must be float32 or float64, got ", t.str());
  n = t.size(0);
  d = t.size(1);
  std::vector<double> out = t.to(DType::F64).contiguous().to_vector<double>();
  for (size_t i = 0; i < out.size(); ++i)
    AMOR_CHECK(std::isfinite(out[i]), ValueError, "c2st: ", what, " has a non-finite value at row ",
               int64_t(i) / d, ", column ", int64_t(i) % d);
  return out;
}

template <class T>
double score_fold(const std::vector<T>& data, const std::vector<uint8_t>& labels, int64_t d,
                  const std::vector<uint8_t>& in_test, const C2stOptions& options,
                  MlpClassifierOptions classifier, int64_t& epochs) {
  const int64_t N = int64_t(labels.size());
  std::vector<T> x_train, x_test;
  std::vector<uint8_t> y_train, y_test;
  for (int64_t i = 0; i < N; ++i) {  // ascending index order, as sklearn's KFold yields them
    std::vector<T>& x = in_test[size_t(i)] ? x_test : x_train;
    (in_test[size_t(i)] ? y_test : y_train).push_back(labels[size_t(i)]);
    x.insert(x.end(), data.begin() + i * d, data.begin() + (i + 1) * d);
  }
  MlpClassifier<T> clf(std::move(classifier));
  clf.fit(x_train.data(), y_train.data(), int64_t(y_train.size()), d);
  epochs = clf.n_iter();
  const int64_t n_test = int64_t(y_test.size());
  std::vector<T> p(static_cast<size_t>(n_test));
  clf.predict_proba(x_test.data(), n_test, p.data());
  if (options.scoring == C2stScoring::RocAuc)
    return roc_auc(std::vector<double>(p.begin(), p.end()), y_test);
  int64_t correct = 0;
  for (int64_t i = 0; i < n_test; ++i)
    correct += (p[size_t(i)] > T(0.5) ? 1 : 0) == y_test[size_t(i)];
  return double(correct) / double(n_test);
}

template <class T>
C2stResult run_folds(const std::vector<double>& data64, const std::vector<uint8_t>& labels,
                     int64_t d, const C2stOptions& options) {
  const int64_t N = int64_t(labels.size());
  const int64_t K = options.n_folds;
  std::vector<T> data(data64.size());
  for (size_t i = 0; i < data.size(); ++i) data[i] = T(data64[i]);

  // KFold(shuffle=True, random_state=seed): fold k is indices[start_k, stop_k).
  std::vector<int64_t> indices(static_cast<size_t>(N));
  std::iota(indices.begin(), indices.end(), int64_t(0));
  NumpyRandomState rs(options.seed);
  rs.shuffle(indices.data(), N);
  std::vector<int64_t> fold_start(size_t(K + 1), 0);
  for (int64_t k = 0; k < K; ++k)
    fold_start[size_t(k + 1)] = fold_start[size_t(k)] + N / K + (k < N % K ? 1 : 0);

  MlpClassifierOptions classifier = options.classifier;
  classifier.random_state = options.seed;
  if (classifier.hidden_layer_sizes.empty()) classifier.hidden_layer_sizes = {10 * d, 10 * d};

  C2stResult result;
  result.fold_scores.assign(size_t(K), 0.0);
  result.fold_epochs.assign(size_t(K), 0);
  std::vector<std::exception_ptr> errors(static_cast<size_t>(K));
  const int threads = int(std::min<int64_t>(
      K, options.num_threads > 0 ? options.num_threads : omp_get_max_threads()));
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (int64_t k = 0; k < K; ++k) {
    try {
      std::vector<uint8_t> in_test(static_cast<size_t>(N), 0);
      for (int64_t j = fold_start[size_t(k)]; j < fold_start[size_t(k + 1)]; ++j)
        in_test[size_t(indices[size_t(j)])] = 1;
      result.fold_scores[size_t(k)] =
          score_fold(data, labels, d, in_test, options, classifier, result.fold_epochs[size_t(k)]);
    } catch (...) {
      errors[size_t(k)] = std::current_exception();
    }
  }
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
  double sum = 0.0;
  for (double s : result.fold_scores) sum += s;
  result.score = sum / double(K);
  return result;
}

}  // namespace

double roc_auc(const std::vector<double>& scores, const std::vector<uint8_t>& labels) {
  AMOR_CHECK(scores.size() == labels.size(), ShapeError, "roc_auc: ", scores.size(),
             " scores but ", labels.size(), " labels");
  const size_t n = scores.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t(0));
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  double rank_sum_pos = 0.0;
  int64_t n_pos = 0;
  for (size_t i = 0; i < n;) {  // midranks over runs of equal scores
    size_t j = i;
    while (j < n && scores[order[j]] == scores[order[i]]) ++j;
    const double midrank = 0.5 * double(i + 1 + j);  // mean of ranks i+1 .. j
    for (size_t k = i; k < j; ++k) {
      AMOR_CHECK(labels[order[k]] <= 1, ValueError, "roc_auc: labels must be 0 or 1");
      if (labels[order[k]]) {
        rank_sum_pos += midrank;
        ++n_pos;
      }
    }
    i = j;
  }
  const int64_t n_neg = int64_t(n) - n_pos;
  AMOR_CHECK(n_pos > 0 && n_neg > 0, ValueError,
             "roc_auc: both classes must be present, got ", n_pos, " positives and ", n_neg,
             " negatives");
  return (rank_sum_pos - 0.5 * double(n_pos) * double(n_pos + 1)) / (double(n_pos) * double(n_neg));
}

C2stResult c2st_folds(const Tensor& reference, const Tensor& samples, const C2stOptions& options) {
  int64_t n_x, d_x, n_y, d_y;
  std::vector<double> x = rows_f64(reference, "reference", n_x, d_x);
  std::vector<double> y = rows_f64(samples, "samples", n_y, d_y);
  AMOR_CHECK(d_x == d_y, ShapeError, "c2st: reference ", reference.str(), " and samples ",
             samples.str(), " have different dimensions");
  AMOR_CHECK(d_x >= 1 && n_x >= 1 && n_y >= 1, ValueError,
             "c2st: need at least one row in each set and d >= 1, got ", reference.str(), " and ",
             samples.str());
  AMOR_CHECK(options.n_folds >= 2, ValueError, "c2st: n_folds must be >= 2, got ",
             options.n_folds);
  AMOR_CHECK(n_x + n_y >= options.n_folds, ValueError, "c2st: ", n_x + n_y,
             " rows cannot be split into ", options.n_folds, " folds");
  AMOR_CHECK(options.dtype == DType::F32 || options.dtype == DType::F64, DTypeError,
             "c2st: the classifier dtype must be float32 or float64");
  const int64_t d = d_x;
  if (options.z_score) {
    AMOR_CHECK(n_x >= 2, ValueError, "c2st: z-scoring needs at least 2 reference rows, got ", n_x);
    for (int64_t j = 0; j < d; ++j) {
      double mean = 0.0;
      for (int64_t i = 0; i < n_x; ++i) mean += x[size_t(i * d + j)];
      mean /= double(n_x);
      double ss = 0.0;
      for (int64_t i = 0; i < n_x; ++i) {
        const double c = x[size_t(i * d + j)] - mean;
        ss += c * c;
      }
      double sd = std::sqrt(ss / double(n_x - 1));
      if (sd < 1e-14) sd = 1.0;
      for (int64_t i = 0; i < n_x; ++i) x[size_t(i * d + j)] = (x[size_t(i * d + j)] - mean) / sd;
      for (int64_t i = 0; i < n_y; ++i) y[size_t(i * d + j)] = (y[size_t(i * d + j)] - mean) / sd;
    }
  }
  std::vector<double> data = std::move(x);
  data.insert(data.end(), y.begin(), y.end());
  std::vector<uint8_t> labels(size_t(n_x + n_y), 0);
  std::fill(labels.begin() + n_x, labels.end(), uint8_t(1));
  if (options.dtype == DType::F32) return run_folds<float>(data, labels, d, options);
  return run_folds<double>(data, labels, d, options);
}

double c2st(const Tensor& reference, const Tensor& samples, const C2stOptions& options) {
  return c2st_folds(reference, samples, options).score;
}

}  // namespace amor::sbi
