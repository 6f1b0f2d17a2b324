#include "apps/plot/pair_plot.h"

#include <algorithm>
#include <cmath>

#include "apps/plot/axes.h"
#include "apps/plot/contour.h"
#include "apps/plot/density.h"
#include "core/error.h"

namespace amor::plot {

std::vector<double> SampleTable::column(size_t j) const {
  std::vector<double> out;
  const size_t d = names.size();
  out.reserve(values.size() / std::max<size_t>(d, 1));
  for (size_t i = j; i < values.size(); i += d) out.push_back(values[i]);
  return out;
}

namespace {

// Probability masses of the drawn highest-density contours (inner first).
const std::vector<double> kContourMasses = {0.68, 0.95};

struct Layout {
  double panel, gap, left, top, tick_font, label_font;
  AxesStyle axes;
  Rect cell(size_t row, size_t col) const {
    return {left + static_cast<double>(col) * (panel + gap), top + static_cast<double>(row) * (panel + gap),
            panel, panel};
  }
};

// Marginal histogram bins: about sqrt(n) / 2.5, more when the modes are narrow for the range
// (five bins per local spread), within [12, 120].
int bins_for(int64_t n, const Range& r, double scale) {
  double bins = std::sqrt(static_cast<double>(n)) / 2.5;
  if (scale > 0) bins = std::max(bins, r.span() / (0.2 * scale));
  return static_cast<int>(std::clamp(std::lround(bins), 12L, 120L));
}

// Density grid cells along one axis: 80 (50 for small samples), more when narrow modes need
// them (five cells per local spread), within [50, 160].
int cells_for(int64_t n, const Range& r, double scale) {
  double cells = n >= 4000 ? 80.0 : 50.0;
  if (scale > 0) cells = std::max(cells, r.span() / (0.2 * scale));
  return static_cast<int>(std::clamp(std::lround(cells), 50L, 160L));
}

// The outline of a histogram as a step polyline from the baseline up and back down.
Path step_outline(const Axes& ax, const std::vector<double>& h, const Range& r) {
  Path p;
  const double w = r.span() / static_cast<double>(h.size());
  p.move_to(ax.X(r.lo), ax.Y(0));
  for (size_t k = 0; k < h.size(); ++k) {
    const double x0 = r.lo + w * static_cast<double>(k);
    p.line_to(ax.X(x0), ax.Y(h[k])).line_to(ax.X(x0 + w), ax.Y(h[k]));
  }
  p.line_to(ax.X(r.hi), ax.Y(0));
  return p;
}

// Cell standard deviation of the smoothing kernel along one axis: 0.8 of Scott's bandwidth
// computed from the local spread (apps/plot/density.h: local_scale) rather than the standard
// deviation, so separated narrow modes keep their shape; at least 0.7 cell.
double smoothing_cells(int64_t n, double scale, const Range& r, int cells) {
  const double h = 0.8 * scale * std::pow(static_cast<double>(n), -1.0 / 6.0);
  return std::max(0.7, h / (r.span() / cells));
}

void draw_density(Figure& fig, const Axes& ax, const Grid& g, Color color) {
  const double vmax = g.max();
  if (!(vmax > 0)) return;
  Image im{ax.box(), g.nx, g.ny, std::vector<Color>(g.v.size()), true};
  for (int j = 0; j < g.ny; ++j)
    for (int i = 0; i < g.nx; ++i) {
      // Perceived darkness grows with density; the power < 1 keeps the tails visible.
      const double t = std::pow(g.at(i, j) / vmax, 0.7);
      im.pixels[static_cast<size_t>(g.ny - 1 - j) * g.nx + i] =
          color.with_alpha(static_cast<float>(0.85 * t));
    }
  fig.image(std::move(im));
}

void draw_contours(Figure& fig, const Axes& ax, const Grid& g, Color color, double width) {
  const std::vector<double> levels = mass_levels(g, kContourMasses);
  for (size_t k = 0; k < levels.size(); ++k) {
    if (!(levels[k] > 0)) continue;
    Path p;
    for (const auto& line : contour_lines(g, levels[k])) {
      // Islands of a few cells are sampling noise in the tails, not structure.
      double area = 0;
      for (size_t i = 0; i + 1 < line.size(); ++i)
        area += line[i].x * line[i + 1].y - line[i + 1].x * line[i].y;
      if (std::abs(area) / 2 < 3.0) continue;
      for (size_t i = 0; i < line.size(); ++i) {
        const double x = ax.box().x + line[i].x / g.nx * ax.box().w;
        const double y = ax.box().bottom() - line[i].y / g.ny * ax.box().h;
        if (i == 0) p.move_to(x, y);
        else p.line_to(x, y);
      }
    }
    fig.stroke(std::move(p), {color, k == 0 ? width : 0.75 * width, LineCap::Round, {}});
  }
}

}  // namespace

Figure pair_plot(const SampleTable& samples, const SampleTable* reference,
                 const PairPlotOptions& opt) {
  const size_t d = samples.names.size();
  AMOR_CHECK(d > 0 && samples.rows() > 0, ValueError, "pair plot: no samples to plot");
  AMOR_CHECK(!reference || reference->names.size() == d, ValueError, "pair plot: the reference has ",
             reference ? reference->names.size() : 0, " columns but the samples have ", d);
  AMOR_CHECK(!reference || reference->rows() > 0, ValueError, "pair plot: the reference is empty");
  AMOR_CHECK(opt.truth.empty() || opt.truth.size() == d, ValueError, "pair plot: ",
             opt.truth.size(), " true values for ", d, " variables");

  Layout L;
  L.panel = opt.panel_size > 0 ? opt.panel_size : std::clamp(600.0 / static_cast<double>(d), 80.0, 200.0);
  L.gap = std::max(3.0, 0.045 * L.panel);
  L.tick_font = std::clamp(0.056 * L.panel, 6.5, 9.0);
  L.label_font = 1.25 * L.tick_font;
  L.axes = {L.tick_font, L.label_font, 0.22 * L.label_font + 1.0, 0.6};
  const int max_ticks = std::clamp(static_cast<int>(L.panel / (3.6 * L.tick_font)), 3, 5);

  std::vector<std::vector<double>> cols(d), ref_cols(reference ? d : 0);
  std::vector<Range> ranges(d);
  std::vector<Ticks> ticks(d);
  for (size_t j = 0; j < d; ++j) {
    cols[j] = samples.column(j);
    if (reference) ref_cols[j] = reference->column(j);
    std::vector<const std::vector<double>*> both{&cols[j]};
    if (reference) both.push_back(&ref_cols[j]);
    ranges[j] = display_range(both);
    if (!opt.truth.empty() && std::isfinite(opt.truth[j])) {
      const double pad = 0.04 * ranges[j].span();
      ranges[j].lo = std::min(ranges[j].lo, opt.truth[j] - pad);
      ranges[j].hi = std::max(ranges[j].hi, opt.truth[j] + pad);
    }
    // As many ticks as fit with their labels a label's height apart.
    for (int m = max_ticks; m >= 2; --m) {
      ticks[j] = nice_ticks(ranges[j].lo, ranges[j].hi, m);
      const double need = static_cast<double>(ticks[j].values.size()) *
                          (max_label_width(ticks[j], L.tick_font) + L.tick_font);
      if (need <= L.panel) break;
    }
  }

  // Margins: y tick labels and the y title on the left, x tick labels and titles below.
  double ytick_w = 0;
  for (size_t j = 1; j < d; ++j) ytick_w = std::max(ytick_w, max_label_width(ticks[j], L.tick_font));
  const double ylabel_offset = L.axes.tick_length + 3.5 + ytick_w + 0.3 * L.label_font;
  const double xlabel_offset = L.axes.tick_length + 3.0 + 1.3 * L.tick_font;
  L.left = 8.0 + ylabel_offset + 1.2 * L.label_font;
  const double title_h = opt.title.empty() ? 0.0 : 2.0 * L.label_font;
  const double legend_rows = reference ? 2.0 : 1.0;
  // With one variable there is no empty triangle for the legend: it goes on top.
  const double legend_h = d == 1 ? legend_rows * 1.5 * L.tick_font + 6.0 : 0.0;
  L.top = 10.0 + title_h + legend_h;
  const double grid = static_cast<double>(d) * L.panel + static_cast<double>(d - 1) * L.gap;
  const double bottom = xlabel_offset + 1.6 * L.label_font + 8.0;
  Figure fig(L.left + grid + 12.0, L.top + grid + bottom);

  const Color c_samples = Palette::primary(), c_ref = Palette::secondary();
  // Local spreads, and per variable the histogram bins and density-grid cells, shared by the
  // samples and the reference so both are drawn at the same resolution.
  std::vector<double> scale(d), ref_scale(d);
  std::vector<int> bins(d), cells(d);
  for (size_t j = 0; j < d; ++j) {
    scale[j] = local_scale(cols[j]);
    ref_scale[j] = reference ? local_scale(ref_cols[j]) : scale[j];
    const double finest = std::min(scale[j] > 0 ? scale[j] : ref_scale[j], ref_scale[j] > 0 ? ref_scale[j] : scale[j]);
    bins[j] = bins_for(samples.rows(), ranges[j], finest);
    cells[j] = cells_for(samples.rows(), ranges[j], finest);
  }

  for (size_t r = 0; r < d; ++r) {
    for (size_t c = 0; c <= r; ++c) {
      const Rect box = L.cell(r, c);
      if (r == c) {
        // Diagonal: marginal histograms as densities.
        const std::vector<double> h = histogram(cols[c], ranges[c], bins[c], true);
        std::vector<double> hr;
        if (reference) hr = histogram(ref_cols[c], ranges[c], bins[c], true);
        double top = 0;
        for (double v : h) top = std::max(top, v);
        for (double v : hr) top = std::max(top, v);
        if (!(top > 0)) top = 1;
        const Axes ax(box, ranges[c], {0.0, 1.1 * top});
        fig.clip(box);
        Path filled = step_outline(ax, h, ranges[c]);
        filled.close();
        fig.fill(filled, c_samples.with_alpha(0.3f));
        fig.stroke(step_outline(ax, h, ranges[c]), {c_samples, 1.0, LineCap::Butt, {}});
        if (reference)
          fig.stroke(step_outline(ax, hr, ranges[c]), {c_ref, 1.2, LineCap::Butt, {}});
        if (!opt.truth.empty() && std::isfinite(opt.truth[c]))
          fig.stroke(Path::line({ax.X(opt.truth[c]), box.y}, {ax.X(opt.truth[c]), box.bottom()}),
                     {Palette::ink(), 0.8, LineCap::Butt, {2.5, 1.5}});
        fig.unclip();
        ax.frame(fig, L.axes);
        ax.xticks(fig, ticks[c], r + 1 == d, L.axes);
        if (r + 1 == d) ax.xlabel(fig, samples.names[c], xlabel_offset, L.axes);
        continue;
      }
      // Below the diagonal: x is variable c, y is variable r.
      const Axes ax(box, ranges[c], ranges[r]);
      const int64_t n = samples.rows();
      const Grid g = density_grid(cols[c], cols[r], ranges[c], ranges[r], cells[c], cells[r],
                                  smoothing_cells(n, scale[c], ranges[c], cells[c]),
                                  smoothing_cells(n, scale[r], ranges[r], cells[r]));
      fig.clip(box);
      draw_density(fig, ax, g, c_samples);
      draw_contours(fig, ax, g, c_samples.mix(Color::rgb(0x08306b), 0.45f), 0.9);
      if (reference) {
        const int64_t m = reference->rows();
        const Grid gr = density_grid(ref_cols[c], ref_cols[r], ranges[c], ranges[r], cells[c], cells[r],
                                     smoothing_cells(m, ref_scale[c], ranges[c], cells[c]),
                                     smoothing_cells(m, ref_scale[r], ranges[r], cells[r]));
        draw_contours(fig, ax, gr, c_ref, 1.2);
      }
      if (!opt.truth.empty() && std::isfinite(opt.truth[c]) && std::isfinite(opt.truth[r])) {
        const Stroke st{Palette::ink(), 0.8, LineCap::Butt, {2.5, 1.5}};
        fig.stroke(Path::line({ax.X(opt.truth[c]), box.y}, {ax.X(opt.truth[c]), box.bottom()}), st);
        fig.stroke(Path::line({box.x, ax.Y(opt.truth[r])}, {box.right(), ax.Y(opt.truth[r])}), st);
        fig.fill(Path::circle(ax.at(opt.truth[c], opt.truth[r]), 1.8), Palette::ink());
      }
      fig.unclip();
      ax.frame(fig, L.axes);
      ax.xticks(fig, ticks[c], r + 1 == d, L.axes);
      ax.yticks(fig, ticks[r], c == 0, L.axes);
      if (r + 1 == d) ax.xlabel(fig, samples.names[c], xlabel_offset, L.axes);
      if (c == 0) ax.ylabel(fig, samples.names[r], ylabel_offset, L.axes);
    }
  }

  std::vector<LegendEntry> legend{
      {opt.samples_label + " (n = " + std::to_string(samples.rows()) + ")", c_samples, true, false}};
  if (reference)
    legend.push_back({opt.reference_label + " (n = " + std::to_string(reference->rows()) + ")",
                      c_ref, false, false});
  const double legend_font = std::max(8.0, L.tick_font * 1.1);
  if (d == 1) {
    draw_legend(fig, {L.left, 8.0 + title_h}, legend, legend_font);
  } else {
    const Rect corner = L.cell(0, d - 1);
    double w = 0;
    for (const auto& e : legend) w = std::max(w, text_width(e.text, legend_font));
    const double legend_w = w + 2.1 * legend_font;
    draw_legend(fig, {std::max(L.cell(0, 1).x, corner.right() - legend_w), corner.y + 4.0}, legend,
                legend_font);
    fig.text({std::max(L.cell(0, 1).x, corner.right() - legend_w), corner.y + 4.0 + 1.5 * legend_font * static_cast<double>(legend.size()) + 0.8 * legend_font},
             "contours: 68% and 95% mass", {0.9 * legend_font, Palette::muted(), HAlign::Left, VAlign::Top, 0.0});
  }
  if (!opt.title.empty())
    fig.text({fig.width() / 2, 8.0}, opt.title,
             {L.label_font * 1.1, Palette::ink(), HAlign::Center, VAlign::Top, 0.0});
  return fig;
}

}  // namespace amor::plot
