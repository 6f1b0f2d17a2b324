// `amor train` and `amor sample` for function-valued tasks (docs/function_valued.md, docs/cli.md):
// tasks whose variables are observed at any set of times, so one training row is not a fixed
// vector of x (sbi::Task) but a token list. Today: lotka_volterra_irregular and sird_irregular,
// each one row of function_valued_tasks().
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "apps/commands.h"
#include "sbi/simformer/simformer.h"

namespace amor::apps {

// The training tokens of a function-valued task: joint and metadata [n', T] float64, node_ids
// [T] int64, θ tokens (the first theta_tokens) then x tokens; `dropped` failed simulations.
struct FunctionValuedTrainingData {
  Tensor joint, metadata, node_ids;
  int64_t theta_tokens = 0, dropped = 0;
};

// One function-valued task as the command line sees it.
struct FunctionValuedTask {
  std::string name, description;
  std::vector<std::string> node_names;      // node id -> name (the `variable` of a point file)
  std::vector<std::string> function_nodes;  // the nodes whose tokens carry a time
  double time_begin = 0, time_end = 0;      // the times the model is trained on
  std::string theta_summary, x_summary;     // for `amor tasks`, e.g. "2 + β(t)"
  std::string default_times;                // e.g. "10 β times, 10 per series": what training draws
  std::function<sbi::simformer::SimformerConfig()> config;  // the recipe
  std::function<sbi::simformer::ValueBounds()> bounds;      // what "bounds": "prior" means
  std::function<Tensor()> node_dag;                         // [nodes, nodes] bool
  // n simulations at the default random times from `seed`.
  std::function<FunctionValuedTrainingData(int64_t n, uint64_t seed)> training_data;
};

// The table, in the order `amor tasks` lists it.
const std::vector<FunctionValuedTask>& function_valued_tasks();
// The entry of `name`, or nullptr.
const FunctionValuedTask* find_function_valued_task(const std::string& name);

// True for the function-valued tasks `amor train --task` accepts.
bool is_function_valued_task(const std::string& name);
// True when the checkpoint at `path` is a Simformer with metadata tokens (sampled from point lists).
bool is_function_valued_checkpoint(const std::string& path);

// `amor train --task <function-valued task> --method simformer`: the task's recipe
// (sbi/simformer/function_valued.h) with --config's keys written over it, trained on simulations
// at the task's default random times (lotka_volterra_irregular: 20 per series; sird_irregular:
// 10 β times and 10 per series).
int run_train_function_valued(const TrainArgs& args);

// `amor sample --model M --observation FILE` for such a checkpoint. FILE is a CSV with the header
// `variable,time,value` and one row per point: a value observes the point, an empty (or nan)
// value asks for samples of it; the time is empty for scalar variables (parameters). Scalar
// variables not listed are sampled. Output: one column per sampled point ("alpha", or
// "prey@7.5" for a series at time 7.5, "beta@12" for SIRD's contact rate at day 12).
int run_sample_function_valued(const SampleArgs& args);

}  // namespace amor::apps
