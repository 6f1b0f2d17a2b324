// The exact score of a joint Gaussian N(μ, Σ) over T entries, conditioned on whichever entries a
// mask marks observed, as the Simformer's network would give it: for the latent block L given the
// clean observed block O,
//   x_L | x_O ~ N(μ_c, Σ_c),  μ_c = μ_L + Σ_LO Σ_OO⁻¹ (x_O − μ_O),  Σ_c = Σ_LL − Σ_LO Σ_OO⁻¹ Σ_OL,
// and after the forward kernel x_t = α x_0 + s ε the latent block is N(α μ_c, α² Σ_c + s² I), whose
// score is −(α² Σ_c + s² I)⁻¹ (x_L − α μ_c); observed entries get 0. The score is computed with
// tensor ops (a matmul), so autodiff through it works (log_prob's divergence).
// Small dense linear algebra in float64 for the tests: inverse, Cholesky, log-determinant.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <stdexcept>
#include <vector>

#include "core/ops.h"
#include "core/tensor.h"
#include "sbi/simformer/conditional_sampling.h"
#include "sbi/simformer/sde.h"

namespace amor::sbi::simformer::test {

using Matrix = std::vector<std::vector<double>>;

inline Matrix inverse(Matrix a) {
  const size_t n = a.size();
  Matrix inv(n, std::vector<double>(n, 0.0));
  for (size_t i = 0; i < n; ++i) inv[i][i] = 1.0;
  for (size_t c = 0; c < n; ++c) {
    size_t p = c;
    for (size_t r = c + 1; r < n; ++r)
      if (std::abs(a[r][c]) > std::abs(a[p][c])) p = r;
    std::swap(a[c], a[p]);
    std::swap(inv[c], inv[p]);
    const double d = a[c][c];
    if (d == 0.0) throw std::runtime_error("singular matrix");
    for (size_t j = 0; j < n; ++j) a[c][j] /= d, inv[c][j] /= d;
    for (size_t r = 0; r < n; ++r) {
      if (r == c) continue;
      const double f = a[r][c];
      for (size_t j = 0; j < n; ++j) a[r][j] -= f * a[c][j], inv[r][j] -= f * inv[c][j];
    }
  }
  return inv;
}

inline Matrix cholesky(const Matrix& a) {
  const size_t n = a.size();
  Matrix l(n, std::vector<double>(n, 0.0));
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j <= i; ++j) {
      double s = a[i][j];
      for (size_t k = 0; k < j; ++k) s -= l[i][k] * l[j][k];
      l[i][j] = i == j ? std::sqrt(s) : s / l[j][j];
    }
  return l;
}

struct Conditional {
  std::vector<size_t> latent;  // indices of the latent entries
  std::vector<double> mean;    // μ_c, one per latent entry
  Matrix cov;                  // Σ_c
};

struct JointGaussian {
  std::vector<double> mu;
  Matrix sigma;

  size_t size() const { return mu.size(); }

  // x_L | x_O = values[O]; observed[i] marks O.
  Conditional conditional(const std::vector<bool>& observed, const std::vector<double>& values) const {
    std::vector<size_t> lat, obs;
    for (size_t i = 0; i < size(); ++i) (observed[i] ? obs : lat).push_back(i);
    Conditional c;
    c.latent = lat;
    Matrix soo(obs.size(), std::vector<double>(obs.size()));
    for (size_t a = 0; a < obs.size(); ++a)
      for (size_t b = 0; b < obs.size(); ++b) soo[a][b] = sigma[obs[a]][obs[b]];
    const Matrix soo_inv = obs.empty() ? Matrix{} : inverse(soo);
    // K = Σ_LO Σ_OO⁻¹
    Matrix k(lat.size(), std::vector<double>(obs.size(), 0.0));
    for (size_t i = 0; i < lat.size(); ++i)
      for (size_t b = 0; b < obs.size(); ++b)
        for (size_t a = 0; a < obs.size(); ++a) k[i][b] += sigma[lat[i]][obs[a]] * soo_inv[a][b];
    c.mean.resize(lat.size());
    c.cov.assign(lat.size(), std::vector<double>(lat.size()));
    for (size_t i = 0; i < lat.size(); ++i) {
      c.mean[i] = mu[lat[i]];
      for (size_t b = 0; b < obs.size(); ++b) c.mean[i] += k[i][b] * (values[obs[b]] - mu[obs[b]]);
      for (size_t j = 0; j < lat.size(); ++j) {
        c.cov[i][j] = sigma[lat[i]][lat[j]];
        for (size_t b = 0; b < obs.size(); ++b) c.cov[i][j] -= k[i][b] * sigma[obs[b]][lat[j]];
      }
    }
    return c;
  }
};

inline double log_density(const Conditional& c, const std::vector<double>& x_latent) {
  const size_t n = c.latent.size();
  const Matrix l = cholesky(c.cov);
  // Solve L y = x − μ.
  std::vector<double> y(n);
  double log_det = 0;
  for (size_t i = 0; i < n; ++i) {
    double s = x_latent[i] - c.mean[i];
    for (size_t k = 0; k < i; ++k) s -= l[i][k] * y[k];
    y[i] = s / l[i][i];
    log_det += 2.0 * std::log(l[i][i]);
  }
  double q = 0;
  for (double v : y) q += v * v;
  return -0.5 * q - 0.5 * log_det - 0.5 * double(n) * std::log(2.0 * std::numbers::pi);
}

// The exact masked score of `joint` under `sde`. Every row must carry the same mask and the same
// observed values (as in the samplers); the observed values are read from row 0.
inline MaskedScoreFunction exact_score(const JointGaussian& joint, const Sde& sde) {
  return [joint, sde](const Tensor& x_t, const Tensor& observed, double t) {
    const int64_t tokens = int64_t(joint.size());
    const Tensor obs = observed.contiguous();
    std::vector<bool> mask(static_cast<size_t>(tokens));
    for (int64_t i = 0; i < tokens; ++i) mask[size_t(i)] = obs.data<bool>()[i];
    const Tensor first = x_t.detach().slice(0, 0, 1).to(DType::F64).contiguous();
    std::vector<double> values(first.data<double>(), first.data<double>() + tokens);
    const Conditional c = joint.conditional(mask, values);
    const double a = sde.mean_factor(t), s = sde.std(t);
    Matrix noised = c.cov;
    for (size_t i = 0; i < noised.size(); ++i) {
      for (double& v : noised[i]) v *= a * a;
      noised[i][i] += s * s;
    }
    const Matrix p = inverse(noised);
    // score = (α μ_full − x) @ P_full, with P_full zero outside the latent block.
    std::vector<float> p_full(size_t(tokens * tokens), 0.0f), shift(size_t(tokens), 0.0f);
    for (size_t i = 0; i < c.latent.size(); ++i) {
      shift[c.latent[i]] = float(a * c.mean[i]);
      for (size_t j = 0; j < c.latent.size(); ++j) p_full[c.latent[i] * size_t(tokens) + c.latent[j]] = float(p[i][j]);
    }
    const Tensor pm = from_vector(p_full, {tokens, tokens});
    const Tensor mu = from_vector(shift, {1, tokens});
    return matmul(mu - x_t, pm);
  };
}

// The same for batches whose rows carry different masks or observed values (batched queries,
// conditional_sampling.h's sample_conditionals_standardised): consecutive rows that share their
// mask and observed values are scored together by exact_score.
inline MaskedScoreFunction exact_score_per_query(const JointGaussian& joint, const Sde& sde) {
  const MaskedScoreFunction one = exact_score(joint, sde);
  return [one](const Tensor& x_t, const Tensor& observed, double t) {
    const int64_t rows = x_t.size(0), tokens = x_t.size(1);
    const Tensor obs = observed.contiguous();
    const Tensor xv = x_t.detach().to(DType::F64).contiguous();
    auto same_query = [&](int64_t a, int64_t b) {
      for (int64_t j = 0; j < tokens; ++j) {
        const bool o = obs.data<bool>()[a * tokens + j];
        if (o != obs.data<bool>()[b * tokens + j]) return false;
        if (o && xv.data<double>()[a * tokens + j] != xv.data<double>()[b * tokens + j]) return false;
      }
      return true;
    };
    std::vector<Tensor> parts;
    for (int64_t start = 0; start < rows;) {
      int64_t end = start + 1;
      while (end < rows && same_query(start, end)) ++end;
      parts.push_back(one(x_t.slice(0, start, end), obs.slice(0, start, end), t));
      start = end;
    }
    return concat(parts, 0);
  };
}

}  // namespace amor::sbi::simformer::test
