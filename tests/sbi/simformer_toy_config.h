// The small Simformer of the 1-D toy tests (a 2-layer, 2-head transformer with d = 20): trains
// in seconds on a pair (θ, x) and is what tests/sbi/test_simformer_toy.cpp validates against the
// exact conditionals at 4000 steps of 256.
#pragma once

#include "sbi/simformer/simformer.h"

namespace amor::sbi::simformer::test {

inline SimformerConfig small_toy_config() {
  SimformerConfig c;
  c.network.id_dim = 8;
  c.network.value_dim = 8;
  c.network.condition_dim = 4;
  c.network.layers = 2;
  c.network.heads = 2;
  c.network.head_dim = 6;
  c.network.mlp_ratio = 2;
  c.network.time_embedding_dim = 16;
  c.attention = AttentionMaskKind::Dense;
  c.training.batch_size = 256;
  c.training.steps = 4000;
  c.training.learning_rate = 3e-3;
  c.sampling.steps = 60;
  return c;
}

}  // namespace amor::sbi::simformer::test
