// Factories of the built-in tasks, listed in the table in sbi/task.cpp.
#pragma once

#include "sbi/task.h"

namespace amor::sbi::tasks {

// sbibm (definitions: ../shared/reference/sbi.md, A2)
TaskPtr make_gaussian_linear(const TaskOptions& options);
TaskPtr make_gaussian_linear_uniform(const TaskOptions& options);
TaskPtr make_slcp(const TaskOptions& options);
TaskPtr make_slcp_distractors(const TaskOptions& options);
TaskPtr make_bernoulli_glm(const TaskOptions& options);
TaskPtr make_bernoulli_glm_raw(const TaskOptions& options);
TaskPtr make_gaussian_mixture(const TaskOptions& options);
TaskPtr make_two_moons(const TaskOptions& options);
TaskPtr make_sir(const TaskOptions& options);
TaskPtr make_lotka_volterra(const TaskOptions& options);
// The Simformer's tasks (../shared/reference/simformer.md §6)
TaskPtr make_tree(const TaskOptions& options);
TaskPtr make_hmm(const TaskOptions& options);
TaskPtr make_sird(const TaskOptions& options);

}  // namespace amor::sbi::tasks
