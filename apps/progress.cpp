#include "apps/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace amor::apps {

namespace {

std::string clock_text(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const long t = std::lround(s);
  char buf[32];
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%ld:%02ld", t / 60, t % 60);
  return buf;
}

std::string loss_text(double v) {
  if (std::isnan(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

}  // namespace

ProgressReporter::ProgressReporter(std::FILE* out, Options options) : out_(out), opt_(options) {}

bool ProgressReporter::is_terminal(std::FILE* out) { return ::isatty(fileno(out)) == 1; }

int ProgressReporter::terminal_columns(std::FILE* out) {
  struct winsize ws {};
  if (::ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 0;
}

std::string ProgressReporter::format(const sbi::TrainProgress& p) const {
  std::string s = p.unit;
  s += ' ';
  s += std::to_string(p.done);
  if (p.total > 0) {
    s += '/';
    s += std::to_string(p.total);
    if (opt_.terminal) {
      const double frac = std::clamp(static_cast<double>(p.done) / static_cast<double>(p.total), 0.0, 1.0);
      const int filled = static_cast<int>(std::lround(frac * opt_.bar_width));
      s += " [";
      s.append(static_cast<size_t>(filled), '#');
      s.append(static_cast<size_t>(opt_.bar_width - filled), '.');
      s += ']';
    }
  }
  s += "  loss " + loss_text(p.train_loss);
  s += "  val " + loss_text(p.val_loss);
  s += "  best " + loss_text(p.best_val_loss);
  // The recent rate when known (epochs often speed up or slow down), else the average.
  const double rate = std::isfinite(rate_)  ? rate_
                      : p.elapsed_s > 0     ? static_cast<double>(p.done) / p.elapsed_s
                                            : NAN;
  char buf[64];
  if (std::isfinite(rate)) {
    if (rate >= 1.0 || rate == 0.0) std::snprintf(buf, sizeof buf, "  %.1f %s/s", rate, p.unit.c_str());
    else std::snprintf(buf, sizeof buf, "  %.1f s/%s", 1.0 / rate, p.unit.c_str());
    s += buf;
  }
  s += "  elapsed " + clock_text(p.elapsed_s);
  if (p.total > 0 && std::isfinite(rate) && rate > 0)
    s += "  ETA " + clock_text(static_cast<double>(p.total - p.done) / rate);
  return s;
}

std::string ProgressReporter::fit(std::string line) const {
  // Columns = UTF-8 characters (the status line is plain ASCII plus digits, but be safe).
  if (opt_.columns <= 1) return line;
  size_t chars = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    if ((static_cast<unsigned char>(line[i]) & 0xc0) == 0x80) continue;
    if (++chars == static_cast<size_t>(opt_.columns)) return line.substr(0, i);  // leave one free
  }
  return line;
}

void ProgressReporter::update(const sbi::TrainProgress& p) {
  // Exponential moving average of the rate with a 10 s time constant.
  const double dt = p.elapsed_s - last_.elapsed_s;
  if (seen_any_ && dt > 0 && p.done >= last_.done) {
    const double inst = static_cast<double>(p.done - last_.done) / dt;
    const double w = 1.0 - std::exp(-dt / 10.0);
    rate_ = std::isfinite(rate_) ? rate_ + w * (inst - rate_) : inst;
  }
  seen_any_ = true;
  last_ = p;
  const bool last_report = p.total > 0 && p.done >= p.total;
  if (opt_.terminal) {
    if (printed_any_ && !last_report && p.elapsed_s - last_print_s_ < opt_.redraw_s) {
      pending_ = true;
      return;
    }
    std::fprintf(out_, "\r%s\033[K", fit(format(p)).c_str());
    line_open_ = true;
  } else {
    if (printed_any_ && !last_report && p.elapsed_s - last_print_s_ < opt_.interval_s) {
      pending_ = true;
      return;
    }
    std::fprintf(out_, "%s\n", format(p).c_str());
  }
  std::fflush(out_);
  printed_any_ = true;
  pending_ = false;
  last_print_s_ = p.elapsed_s;
}

void ProgressReporter::finish() {
  if (pending_) {
    if (opt_.terminal) {
      std::fprintf(out_, "\r%s\033[K", fit(format(last_)).c_str());
      line_open_ = true;
    } else {
      std::fprintf(out_, "%s\n", format(last_).c_str());
    }
    pending_ = false;
  }
  if (line_open_) std::fprintf(out_, "\n");
  line_open_ = false;
  std::fflush(out_);
}

}  // namespace amor::apps
