// `amor train` and `amor sample` for function-valued tasks (docs/function_valued.md, docs/cli.md):
// tasks whose variables are observed at any set of times, so one training row is not a fixed
// vector of x (sbi::Task) but a token list. Today: lotka_volterra_irregular.
#pragma once

#include <string>

#include "apps/commands.h"

namespace amor::apps {

// True for the function-valued tasks `amor train --task` accepts.
bool is_function_valued_task(const std::string& name);
// True when the checkpoint at `path` is a Simformer with metadata tokens (sampled from point lists).
bool is_function_valued_checkpoint(const std::string& path);

// `amor train --task lotka_volterra_irregular --method simformer`: the recipe
// (sbi/simformer/function_valued.h) with --config's keys written over it; 20 random times per
// series per simulation.
int run_train_function_valued(const TrainArgs& args);

// `amor sample --model M --observation FILE` for such a checkpoint. FILE is a CSV with the header
// `variable,time,value` and one row per point: a value observes the point, an empty (or nan)
// value asks for samples of it; the time is empty for scalar variables (parameters). Scalar
// variables not listed are sampled. Output: one column per sampled point ("alpha", or
// "prey@7.5" for a series at time 7.5).
int run_sample_function_valued(const SampleArgs& args);

}  // namespace amor::apps
