// Training progress on stderr.
//
// On a terminal: one status line redrawn in place ("\r" + clear-to-end; cut to the terminal's
// width, since a wrapped line could not be redrawn), at most every 0.1 s of training time: the
// epoch or step (of the total when known, with a bar), the training loss, the validation loss
// and the best one, the recent rate (a moving average over about 10 s of
// training time, so the ETA follows changes of pace), and the time left when the total is known.
// Otherwise (a pipe, a log file): a plain line at the first report, then whenever `interval_s`
// of training time has passed since the last line, and at the last report; nothing is redrawn.
// The times come from the reports (TrainProgress::elapsed_s), so the output is reproducible.
#pragma once

#include <cmath>
#include <cstdio>
#include <string>

#include "sbi/method.h"

namespace amor::apps {

class ProgressReporter {
 public:
  struct Options {
    bool terminal = false;
    double interval_s = 5.0;    // between plain lines
    double redraw_s = 0.1;      // between terminal redraws
    int bar_width = 20;
    int columns = 0;            // terminal width: the status line is cut to fit (0: no limit)
  };
  ProgressReporter(std::FILE* out, Options options);
  // Whether `out` is a terminal (isatty on its descriptor).
  static bool is_terminal(std::FILE* out);
  // The width of the terminal `out` writes to, or 0 when unknown.
  static int terminal_columns(std::FILE* out);

  void update(const sbi::TrainProgress& p);
  // Ends the status line (terminal) and prints the final plain line if it was held back.
  void finish();

  // The status text for one report, without "\r" or a newline (also used by the plain lines).
  std::string format(const sbi::TrainProgress& p) const;

 private:
  std::string fit(std::string line) const;

  std::FILE* out_;
  Options opt_;
  bool printed_any_ = false, line_open_ = false, pending_ = false, seen_any_ = false;
  double rate_ = NAN;  // recent units per second (moving average over about 10 s)
  double last_print_s_ = 0.0;
  sbi::TrainProgress last_;
};

}  // namespace amor::apps
