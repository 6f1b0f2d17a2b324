// Ctrl-C during training: the first SIGINT sets a flag (TrainOptions::stop) so training stops
// after its current step and the best weights are saved; a second SIGINT ends the process at
// once (the default action). The previous handler is restored when the guard goes away.
#pragma once

#include <atomic>
#include <csignal>

namespace amor::apps {

class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  const std::atomic<bool>* flag() const;
  bool interrupted() const;

 private:
  struct sigaction previous_;
};

}  // namespace amor::apps
