// Calibration plots.
//
// sbc_plot: simulation-based calibration rank histograms, one panel per parameter. Input: one
// column per parameter, one row per SBC round, each cell the normalised rank of the true value
// among the posterior draws (rank / number of draws, in [0, 1]). Under calibration the ranks are
// uniform, so each of the B bins holds Binomial(N, 1/B) counts; the grey band spans that
// distribution's central 99% and the line its mean.
//
// coverage_plot: expected coverage. Input: the first column is the credibility level in [0, 1];
// each further column is one curve (named by its header): the fraction of true values inside
// the highest-posterior-density region of that level. The diagonal is perfect calibration;
// above it the posterior is conservative, below it overconfident.
#pragma once

#include "apps/plot/figure.h"
#include "apps/plot/pair_plot.h"

namespace amor::plot {

// ValueError (naming the row and column) for a rank outside [0, 1] or not finite.
Figure sbc_plot(const SampleTable& ranks, int bins = 0);  // 0: about N / 20, in [4, 50]

// ValueError for fewer than 2 columns or a value outside [0, 1] or not finite.
Figure coverage_plot(const SampleTable& coverage);

// The q-quantile of Binomial(n, p) (the smallest k with P(X <= k) >= q).
int64_t binomial_quantile(int64_t n, double p, double q);

}  // namespace amor::plot
