// `amor tasks`: the registered tasks with their dimensions and whether their sbibm reference
// data (observations, reference posterior samples) can be read, then the function-valued tasks
// (apps/function_valued.h: observed at any times, trained with --method simformer only).
#include <cstdio>
#include <string>

#include "apps/cli_support.h"
#include "apps/commands.h"
#include "apps/function_valued.h"
#include "core/error.h"
#include "sbi/task.h"

namespace amor::apps {

int run_tasks(const std::string& data_dir) {
  std::vector<std::vector<std::string>> rows{{"task", "θ dim", "x dim", "reference data", "description"}};
  bool missing_data = false;
  for (const std::string& name : sbi::task_names()) {
    try {
      const sbi::TaskPtr task = sbi::make_task(name, {.data_dir = data_dir});
      std::string ref = "no";
      if (task->num_observations() > 0) {
        try {
          (void)task->observation(1);  // reads one small file: is the data directory there?
          ref = "yes (" + std::to_string(task->num_observations()) + " observations)";
        } catch (const IOError&) {
          ref = "missing";
          missing_data = true;
        }
      }
      rows.push_back({name, std::to_string(task->theta_dim()), std::to_string(task->x_dim()), ref,
                      one_line(task->description())});
    } catch (const Error& e) {
      rows.push_back({name, "?", "?", "?", "cannot be built: " + one_line(e.what())});
    }
  }
  for (const FunctionValuedTask& t : function_valued_tasks())
    rows.push_back({t.name, t.theta_summary, t.x_summary, "no",
                     one_line(t.description + " (function-valued: --method simformer only)")});
  print_table(stdout, rows);
  if (missing_data)
    std::printf("\nreference data is read from %s (--data-dir or AMOR_SBIBM_DIR change it)\n",
                data_dir.empty() ? sbi::default_data_dir().c_str() : data_dir.c_str());
  return 0;
}

}  // namespace amor::apps
