#include "apps/plot/ticks.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace amor::plot {

namespace {

constexpr const char* kMinus = "\u2212";

std::string with_minus(std::string s) {
  if (!s.empty() && s[0] == '-') s = kMinus + s.substr(1);
  return s;
}

// "1.5e-05" -> "1.5e−5"
std::string format_scientific(double v, int decimals) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*e", decimals, v);
  std::string s = buf;
  const size_t e = s.find('e');
  std::string mant = s.substr(0, e), exp = s.substr(e + 1);
  const bool neg = exp[0] == '-';
  exp = exp.substr(1);
  exp.erase(0, std::min(exp.find_first_not_of('0'), exp.size() - 1));
  return with_minus(mant) + "e" + (neg ? kMinus : "") + exp;
}

}  // namespace

std::string format_fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", std::clamp(decimals, 0, 12), v);
  std::string s = buf;
  if (s.find_first_not_of("-0.") == std::string::npos && s[0] == '-') s = s.substr(1);
  return with_minus(s);
}

Ticks nice_ticks(double lo, double hi, int max_ticks) {
  Ticks t;
  if (!std::isfinite(lo) || !std::isfinite(hi)) return t;
  if (hi < lo) std::swap(lo, hi);
  max_ticks = std::max(max_ticks, 2);
  const double span = hi - lo;
  if (span <= 0) {
    t.values = {lo};
    t.labels = {format_fixed(lo, 2)};
    return t;
  }
  static const double kMantissas[] = {1.0, 2.0, 2.5, 5.0};
  const double raw = span / max_ticks;
  double exponent = std::floor(std::log10(raw));
  double step = 0, mantissa = 1;
  for (int pass = 0; pass < 3 && step == 0; ++pass, exponent += 1) {
    for (double m : kMantissas) {
      const double s = m * std::pow(10.0, exponent);
      const double first = std::ceil(lo / s - 1e-9), last = std::floor(hi / s + 1e-9);
      if (last - first + 1 <= max_ticks) {
        step = s, mantissa = m;
        break;
      }
    }
  }
  if (step == 0) return t;
  const double first = std::ceil(lo / step - 1e-9), last = std::floor(hi / step + 1e-9);
  const int step_exp = static_cast<int>(std::floor(std::log10(step) + 1e-9));
  int decimals = std::max(0, -step_exp) + (mantissa == 2.5 && step_exp <= 0 ? 1 : 0);
  const double biggest = std::max(std::abs(lo), std::abs(hi));
  const bool scientific = biggest >= 1e5 || step < 1e-3;
  for (double k = first; k <= last; k += 1.0) {
    double v = k * step;
    if (std::abs(v) < step * 1e-9) v = 0;
    t.values.push_back(v);
    if (scientific) {
      // Enough mantissa digits to tell neighbouring ticks apart.
      const int vexp = v == 0 ? step_exp : static_cast<int>(std::floor(std::log10(std::abs(v))));
      const int digits = std::clamp(vexp - step_exp + (mantissa == 2.5 ? 1 : 0), 0, 6);
      t.labels.push_back(v == 0 ? "0" : format_scientific(v, digits));
    } else {
      t.labels.push_back(format_fixed(v, decimals));
    }
  }
  return t;
}

}  // namespace amor::plot
