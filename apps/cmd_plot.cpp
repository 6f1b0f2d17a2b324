// `amor plot`: pair plots of sample CSVs, SBC rank histograms and coverage curves, as SVG or
// PNG by the extension of --out. Input formats: apps/cli.cpp's help text and
// apps/plot/diagnostic_plots.h.
#include <cstdio>
#include <optional>

#include "apps/cli_support.h"
#include "apps/commands.h"
#include "apps/plot/diagnostic_plots.h"
#include "apps/plot/output.h"
#include "apps/plot/pair_plot.h"
#include "core/error.h"

namespace amor::apps {

int run_plot(const PlotArgs& a) {
  const int inputs = !a.samples.empty() + !a.sbc.empty() + !a.coverage.empty();
  AMOR_CHECK(inputs == 1, ValueError,
             "give exactly one of --samples FILE, --sbc FILE and --coverage FILE");
  AMOR_CHECK(a.reference.empty() || !a.samples.empty(), ValueError,
             "--reference goes with --samples");
  AMOR_CHECK(plot::is_figure_path(a.out), ValueError, "--out: '", a.out,
             "' must end in .svg or .png");
  check_output_file("--out", a.out);

  std::optional<plot::Figure> fig;
  if (!a.samples.empty()) {
    const plot::SampleTable samples = read_sample_table(a.samples);
    plot::PairPlotOptions opt;
    if (a.reference.empty()) {
      fig = plot::pair_plot(samples, nullptr, opt);
    } else {
      const plot::SampleTable ref = read_sample_table(a.reference);
      AMOR_CHECK(ref.names.size() == samples.names.size(), ValueError, "--reference '",
                 a.reference, "' has ", ref.names.size(), " columns but --samples '", a.samples,
                 "' has ", samples.names.size());
      fig = plot::pair_plot(samples, &ref, opt);
    }
  } else {
    const std::string& path = a.sbc.empty() ? a.coverage : a.sbc;
    const char* flag = a.sbc.empty() ? "--coverage" : "--sbc";
    const plot::SampleTable t = read_sample_table(path);
    try {
      fig = a.sbc.empty() ? plot::coverage_plot(t) : plot::sbc_plot(t);
    } catch (const ValueError& e) {
      throw ValueError(detail::concat(flag, " '", path, "': ", e.what()));
    }
  }
  plot::save_figure(*fig, a.out);
  std::fprintf(stderr, "amor plot: wrote %s\n", a.out.c_str());
  return 0;
}

}  // namespace amor::apps
