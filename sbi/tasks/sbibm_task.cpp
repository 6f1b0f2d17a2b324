#include "sbi/tasks/sbibm_task.h"

#include <sys/stat.h>

#include <utility>

#include "core/error.h"
#include "sbi/io/csv.h"

namespace amor::sbi::tasks {

namespace {

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

SbibmTask::SbibmTask(std::string folder, const TaskOptions& options, std::string observation_file)
    : folder_(std::move(folder)),
      data_dir_(options.data_dir.empty() ? default_data_dir() : options.data_dir),
      observation_file_(std::move(observation_file)) {}

std::string SbibmTask::observation_dir(int k) const {
  AMOR_CHECK(k >= 1 && k <= kNumObservations, ValueError, "task '", name(),
             "': the observation number must be in 1..", kNumObservations, ", got ", k);
  return data_dir_ + "/" + folder_ + "/num_observation_" + std::to_string(k);
}

Tensor SbibmTask::load(Kind kind, int k) const {
  const std::string dir = observation_dir(k);  // checks k
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const Tensor& cached = cache_[size_t(kind)][size_t(k - 1)];
    if (cached.defined()) return cached.clone();
  }
  static const char* const kFiles[] = {nullptr, "true_parameters.csv", "reference_posterior_samples.csv.bz2"};
  const std::string file = kind == kObservation ? observation_file_ : kFiles[kind];
  const std::string path = dir + "/" + file;
  if (!exists(path)) {
    const std::string why = data_dir_.empty()    ? "no sbibm data directory is configured"
                            : !is_directory(data_dir_) ? "the data directory '" + data_dir_ + "' does not exist"
                                                       : "the file is missing";
    throw IOError(detail::concat("task '", name(), "': cannot read '", path, "': ", why,
                                 ". Point amor at the sbibm data with the environment variable "
                                 "AMOR_SBIBM_DIR or TaskOptions::data_dir (`--data-dir`)."));
  }
  const int64_t want_cols = kind == kObservation ? x_dim() : theta_dim();
  io::CsvOptions o;
  o.expected_columns = want_cols;
  Tensor values = io::read_csv(path, o).values;
  AMOR_CHECK(kind == kReference || values.size(0) == 1, IOError, "task '", name(), "': '", path,
             "' should hold exactly one data row, found ", values.size(0));
  std::lock_guard<std::mutex> lock(mutex_);
  Tensor& slot = cache_[size_t(kind)][size_t(k - 1)];
  if (!slot.defined()) slot = values;  // another thread may have loaded it meanwhile: keep one
  return slot.clone();
}

Tensor SbibmTask::observation(int k) const { return load(kObservation, k); }
Tensor SbibmTask::true_parameters(int k) const { return load(kTrueParameters, k); }
Tensor SbibmTask::reference_samples(int k) const { return load(kReference, k); }

}  // namespace amor::sbi::tasks
