// `amor demo`: fits an MLP regression on embedded synthetic data and prints the loss falling.
#pragma once

namespace amor::apps {
int run_demo(int argc, char** argv);
}
