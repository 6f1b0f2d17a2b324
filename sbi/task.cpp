#include "sbi/task.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "core/error.h"
#include "sbi/parallel.h"
#include "sbi/tasks/builtin.h"

namespace amor::sbi {

std::string default_data_dir() {
  const char* env = std::getenv("AMOR_SBIBM_DIR");
  if (env != nullptr && env[0] != '\0') return env;
#ifdef AMOR_DEFAULT_SBIBM_DIR
  return AMOR_DEFAULT_SBIBM_DIR;
#else
  return "";
#endif
}

// ---- Task defaults --------------------------------------------------------------------------

namespace {

std::vector<std::string> numbered(const std::string& prefix, int64_t n) {
  std::vector<std::string> names;
  names.reserve(size_t(n));
  for (int64_t i = 1; i <= n; ++i) names.push_back(prefix + std::to_string(i));
  return names;
}

}  // namespace

std::vector<std::string> Task::theta_names() const { return numbered("theta_", theta_dim()); }
std::vector<std::string> Task::x_names() const { return numbered("x_", x_dim()); }

Tensor Task::dag() const {
  const int64_t dt = theta_dim(), dx = x_dim(), t = dt + dx;
  Tensor g = zeros({t, t}, {.dtype = DType::Bool});
  uint8_t* p = g.data<uint8_t>();
  for (int64_t i = dt; i < t; ++i)  // x rows (children) ...
    for (int64_t j = 0; j < dt; ++j) p[i * t + j] = 1;  // ... have every θ as parent
  return g;
}

Tensor Task::observation(int /*k*/) const {
  throw ValueError(detail::concat("task '", name(), "' has no reference data (no observations)"));
}
Tensor Task::true_parameters(int /*k*/) const {
  throw ValueError(detail::concat("task '", name(), "' has no reference data (no true parameters)"));
}
Tensor Task::reference_samples(int /*k*/) const {
  throw ValueError(detail::concat("task '", name(), "' has no reference data (no reference posterior samples)"));
}
Tensor Task::analytic_posterior_samples(const Tensor& /*x_o*/, int64_t /*n*/, uint64_t /*seed*/) const {
  throw NotImplementedError(detail::concat("task '", name(), "' has no analytic posterior"));
}

double Task::joint_log_density_one(const double* /*row*/) const {
  throw NotImplementedError(detail::concat("task '", name(), "' has no closed-form joint density"));
}

Tensor Task::joint_log_density(const Tensor& joint) const {
  AMOR_CHECK(has_joint_log_density(), NotImplementedError, "task '", name(),
             "' has no closed-form joint density");
  const int64_t t = theta_dim() + x_dim();
  AMOR_CHECK(joint.dim() == 2 && joint.size(1) == t, ShapeError, "task '", name(),
             "': joint_log_density takes [n, ", t, "] rows (θ then x), got ", joint.shape());
  const Tensor rows = joint.to(DType::F64).contiguous();
  const int64_t n = rows.size(0);
  std::vector<double> out(static_cast<size_t>(n));
  const double* p = rows.data<double>();
  parallel_rows(n, 0, n >= 256, [&](int64_t i) { out[size_t(i)] = joint_log_density_one(p + i * t); });
  return from_vector(out, Shape{n});
}

// ---- registry -------------------------------------------------------------------------------

namespace {

struct BuiltinTask {
  const char* name;
  TaskPtr (*make)(const TaskOptions&);
};

// The built-in tasks, one line each: {"<name>", tasks::make_<name>} (factories declared in
// sbi/tasks/builtin.h, defined in sbi/tasks/<name>.cpp). A table rather than static registrars,
// which the linker would drop from the static library. Empty until the task files land: each
// task's author adds its line here.
const std::vector<BuiltinTask>& builtin_tasks() {
  static const std::vector<BuiltinTask> table = {
      {"bernoulli_glm", tasks::make_bernoulli_glm},
      {"bernoulli_glm_raw", tasks::make_bernoulli_glm_raw},
      {"gaussian_linear", tasks::make_gaussian_linear},
      {"gaussian_linear_uniform", tasks::make_gaussian_linear_uniform},
      {"gaussian_mixture", tasks::make_gaussian_mixture},
      {"slcp", tasks::make_slcp},
      {"slcp_distractors", tasks::make_slcp_distractors},
      {"two_moons", tasks::make_two_moons},
      {"sir", tasks::make_sir},
      {"lotka_volterra", tasks::make_lotka_volterra},
      {"tree", tasks::make_tree},
      {"hmm", tasks::make_hmm},
      {"sird", tasks::make_sird},
  };
  return table;
}

struct UserTasks {
  std::mutex mutex;
  std::map<std::string, TaskFactory> factories;
};

UserTasks& user_tasks() {
  static UserTasks u;
  return u;
}

const BuiltinTask* find_builtin(const std::string& name) {
  for (const auto& b : builtin_tasks())
    if (name == b.name) return &b;
  return nullptr;
}

}  // namespace

std::vector<std::string> task_names() {
  std::vector<std::string> names;
  for (const auto& b : builtin_tasks()) names.emplace_back(b.name);
  {
    UserTasks& u = user_tasks();
    std::lock_guard<std::mutex> lock(u.mutex);
    for (const auto& [name, f] : u.factories) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

TaskPtr make_task(const std::string& name, const TaskOptions& options) {
  TaskPtr task;
  if (const BuiltinTask* b = find_builtin(name)) {
    task = b->make(options);
  } else {
    TaskFactory factory;
    {
      UserTasks& u = user_tasks();
      std::lock_guard<std::mutex> lock(u.mutex);
      const auto it = u.factories.find(name);
      if (it != u.factories.end()) factory = it->second;
    }
    if (!factory) {
      std::string known;
      for (const auto& n : task_names()) known += (known.empty() ? "" : ", ") + n;
      throw ValueError(detail::concat("unknown task '", name, "'; known tasks: ",
                                      known.empty() ? std::string("(none registered)") : known));
    }
    task = factory(options);  // outside the lock: a factory may call make_task itself
  }
  AMOR_CHECK(task != nullptr, ValueError, "the factory of task '", name, "' returned no task");
  return task;
}

void register_task(const std::string& name, TaskFactory factory) {
  AMOR_CHECK(!name.empty(), ValueError, "register_task: the task name is empty");
  AMOR_CHECK(static_cast<bool>(factory), ValueError, "register_task: the factory for '", name, "' is empty");
  AMOR_CHECK(find_builtin(name) == nullptr, ValueError, "register_task: '", name,
             "' is a built-in task and cannot be replaced");
  UserTasks& u = user_tasks();
  std::lock_guard<std::mutex> lock(u.mutex);
  u.factories[name] = std::move(factory);  // re-registering a user task replaces it
}

}  // namespace amor::sbi
