// Reading fixed-size observations (a Task's flat x [x_dim]) as sets or series for a summary
// network, so `amor train --method npe` can add a summary network to any task through its
// configuration: "summary": name or {"type": name, network options..., "input_shape": [N, F],
// "channels_first": false}.
//
//   input_shape [N, F]   x holds N elements of F features (N·F = x_dim); default [x_dim, 1]
//   channels_first       x holds F blocks of N values instead (e.g. Lotka–Volterra's 10 prey
//                        then 10 predator counts: input_shape [10, 2], channels_first true)
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "core/tensor.h"

namespace amor::sbi::summary {

struct FlatInputLayout {
  int64_t length = 0;             // N
  int64_t features = 1;           // F
  bool channels_first = false;
  nlohmann::json network;         // the configuration without the layout keys

  nlohmann::json to_json() const;  // the "summary" configuration back, layout keys included
};

// Splits a "summary" configuration into the network's configuration and the layout. ValueError
// for a malformed layout, N·F != x_dim, or an invalid network configuration.
FlatInputLayout flat_input_layout(const nlohmann::json& summary_config, int64_t x_dim);

// x: [M, x_dim] -> [M, N, F] (a copy in x's dtype). ShapeError when x is not [M, N·F].
Tensor unflatten_input(const Tensor& x, const FlatInputLayout& layout);

}  // namespace amor::sbi::summary
