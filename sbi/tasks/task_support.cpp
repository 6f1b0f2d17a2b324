#include "sbi/tasks/task_support.h"

#include <sys/stat.h>

#include <cmath>

#include "core/error.h"
#include "sbi/io/csv.h"
#include "sbi/parallel.h"

namespace amor::sbi::tasks {

DagBuilder::DagBuilder(int64_t theta_dim, int64_t x_dim)
    : theta_dim_(theta_dim), x_dim_(x_dim),
      adj_(size_t((theta_dim + x_dim) * (theta_dim + x_dim)), 0) {
  AMOR_CHECK(theta_dim >= 0 && x_dim >= 0, ValueError, "DagBuilder: negative dimensions (",
             theta_dim, ", ", x_dim, ")");
}

int64_t DagBuilder::theta(int64_t i) const {
  AMOR_CHECK(i >= 0 && i < theta_dim_, IndexError, "DagBuilder: θ index ", i, " out of [0, ",
             theta_dim_, ")");
  return i;
}

int64_t DagBuilder::x(int64_t j) const {
  AMOR_CHECK(j >= 0 && j < x_dim_, IndexError, "DagBuilder: x index ", j, " out of [0, ", x_dim_, ")");
  return theta_dim_ + j;
}

void DagBuilder::edge(int64_t child, int64_t parent) {
  const int64_t t = theta_dim_ + x_dim_;
  AMOR_CHECK(child >= 0 && child < t && parent >= 0 && parent < t, IndexError,
             "DagBuilder: edge ", parent, " -> ", child, " outside [0, ", t, ")");
  AMOR_CHECK(child != parent, ValueError, "DagBuilder: self-loop at node ", child);
  adj_[size_t(child * t + parent)] = 1;
}

void DagBuilder::x_on_all_theta(int64_t j) {
  for (int64_t i = 0; i < theta_dim_; ++i) edge(x(j), theta(i));
}

Tensor DagBuilder::build() const {
  const int64_t t = theta_dim_ + x_dim_;
  Tensor g = zeros({t, t}, {.dtype = DType::Bool});
  uint8_t* p = g.data<uint8_t>();
  for (size_t i = 0; i < adj_.size(); ++i) p[i] = adj_[i];
  return g;
}

Tensor read_task_constants(const std::string& task, const std::string& data_dir,
                           const std::string& relative_path, int64_t rows, int64_t columns) {
  const std::string path = data_dir + "/" + relative_path;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw IOError(::amor::detail::concat(
        "task '", task, "': cannot read its simulator constants '", path, "': ",
        data_dir.empty() ? "no sbibm data directory is configured" : "the file is missing",
        ". Point amor at the sbibm data with the environment variable AMOR_SBIBM_DIR or "
        "TaskOptions::data_dir (`--data-dir`)."));
  }
  io::CsvOptions o;
  o.expected_columns = columns;
  Tensor values;
  try {
    values = io::read_csv(path, o).values;
  } catch (const IOError& e) {
    throw IOError(::amor::detail::concat("task '", task, "': ", e.what()));
  }
  AMOR_CHECK(rows < 0 || values.size(0) == rows, IOError, "task '", task, "': '", path,
             "' should hold ", rows, " data rows, found ", values.size(0));
  return values;
}

std::vector<std::string> numbered_names(const std::string& prefix, int64_t n) {
  std::vector<std::string> names;
  names.reserve(size_t(n));
  for (int64_t i = 1; i <= n; ++i) names.push_back(prefix + std::to_string(i));
  return names;
}

Tensor sample_rows(int64_t n, int64_t d, uint64_t seed,
                   const std::function<void(Rng& rng, double* row)>& draw) {
  AMOR_CHECK(n >= 0, ValueError, "analytic posterior: the number of samples must be >= 0, got ", n);
  Tensor out = Tensor::empty({n, d}, DType::F64);
  double* p = out.data<double>();
  parallel_rows(n, 0, n * d >= 32768, [&](int64_t i) {
    Rng rng(seed, kPriorStream, uint64_t(i));
    draw(rng, p + i * d);
  });
  return out;
}

std::vector<double> observation_vector(const Tensor& x_o, int64_t d, const std::string& who) {
  const bool ok = (x_o.dim() == 1 && x_o.size(0) == d) ||
                  (x_o.dim() == 2 && x_o.size(0) == 1 && x_o.size(1) == d);
  AMOR_CHECK(ok, ShapeError, who, ": x_o must be [", d, "] or [1, ", d, "], got ", x_o.str());
  AMOR_CHECK(x_o.dtype() == DType::F32 || x_o.dtype() == DType::F64, DTypeError, who,
             ": x_o must be float32 or float64, got ", x_o.str());
  std::vector<double> v = x_o.to_vector<double>();
  for (int64_t j = 0; j < d; ++j)
    AMOR_CHECK(std::isfinite(v[size_t(j)]), ValueError, who, ": x_o[", j, "] is not finite (",
               v[size_t(j)], ")");
  return v;
}

}  // namespace amor::sbi::tasks
