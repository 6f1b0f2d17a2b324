#include "apps/interrupt.h"

#include <unistd.h>

namespace amor::apps {

namespace {

// A lock-free atomic is safe to store from a signal handler.
std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void on_sigint(int) {
  if (g_stop.exchange(true)) {
    // Second Ctrl-C: the default action (terminate) right away.
    std::signal(SIGINT, SIG_DFL);
    std::raise(SIGINT);
    return;
  }
  static const char kMsg[] =
      "\namor: interrupted; stopping after the current step and saving the best model so far "
      "(Ctrl-C again to abort)\n";
  const ssize_t ignored = ::write(STDERR_FILENO, kMsg, sizeof kMsg - 1);
  (void)ignored;
}

}  // namespace

InterruptGuard::InterruptGuard() {
  g_stop.store(false);
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, &previous_);
}

InterruptGuard::~InterruptGuard() { sigaction(SIGINT, &previous_, nullptr); }

const std::atomic<bool>* InterruptGuard::flag() const { return &g_stop; }

bool InterruptGuard::interrupted() const { return g_stop.load(); }

}  // namespace amor::apps
