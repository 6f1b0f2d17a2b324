// See tests/support/gradcheck.h.
#include "tests/support/gradcheck.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/random.h"

namespace amor::testing {
namespace {

// Multi-index of row-major flat index `flat` in `shape`, as "[i, j, k]".
std::string index_str(const Shape& shape, int64_t flat) {
  std::vector<int64_t> idx(size_t(shape.size()), 0);
  for (int d = shape.size() - 1; d >= 0; --d) {
    idx[size_t(d)] = shape[d] ? flat % shape[d] : 0;
    flat = shape[d] ? flat / shape[d] : 0;
  }
  std::ostringstream os;
  os << "[";
  for (size_t d = 0; d < idx.size(); ++d) os << (d ? ", " : "") << idx[d];
  os << "]";
  return os.str();
}

// Storage offsets (in elements) of every element of `t`, in row-major order.
std::vector<int64_t> element_offsets(const Tensor& t) {
  const Shape& s = t.shape();
  const Strides& st = t.strides();
  std::vector<int64_t> out;
  out.reserve(size_t(t.numel()));
  std::vector<int64_t> idx(size_t(s.size()), 0);
  for (int64_t i = 0, n = t.numel(); i < n; ++i) {
    int64_t off = t.offset();
    for (int d = 0; d < s.size(); ++d) off += idx[size_t(d)] * st[d];
    out.push_back(off);
    for (int d = s.size() - 1; d >= 0; --d) {
      if (++idx[size_t(d)] < s[d]) break;
      idx[size_t(d)] = 0;
    }
  }
  return out;
}

bool overlaps(const Tensor& t) {
  for (int d = 0; d < t.dim(); ++d)
    if (t.shape()[d] > 1 && t.strides()[d] == 0) return true;
  return false;
}

std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }

// Σ_k Σ_j w_kj (p_kj - m_kj): the difference of the weighted losses, taken elementwise first so
// that outputs that do not move cancel exactly.
double weighted_difference(const std::vector<std::vector<double>>& w,
                           const std::vector<std::vector<double>>& plus,
                           const std::vector<std::vector<double>>& minus) {
  double acc = 0.0;
  for (size_t k = 0; k < w.size(); ++k)
    for (size_t j = 0; j < w[k].size(); ++j) acc += w[k][j] * (plus[k][j] - minus[k][j]);
  return acc;
}

}  // namespace

::testing::AssertionResult gradcheck(const MultiFn& fn, const std::vector<Tensor>& inputs,
                                     const GradcheckOptions& o) {
  using ::testing::AssertionFailure;
  std::ostringstream err;
  auto fail = [&]() { return AssertionFailure() << "gradcheck: " << err.str(); };

  // ---- which inputs, and are they usable ----
  AMOR_CHECK(o.wrt.empty() || o.wrt.size() == inputs.size(), ValueError, "gradcheck: wrt has ",
             o.wrt.size(), " entries for ", inputs.size(), " inputs");
  std::vector<size_t> wrt;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = inputs[i];
    if (!t.defined()) continue;
    const bool want = o.wrt.empty() ? t.dtype() == DType::F64 : bool(o.wrt[i]);
    if (t.dtype() == DType::F32 && (o.wrt.empty() || want)) {
      err << "input " << i << " " << t.str() << " is float32; gradcheck needs float64";
      return fail();
    }
    if (!want) continue;
    if (t.dtype() != DType::F64) {
      err << "input " << i << " " << t.str() << " asked for but not float64";
      return fail();
    }
    if (!t.is_leaf()) {
      err << "input " << i << " " << t.str() << " is not a leaf (produced by "
          << t.grad_fn()->name() << ")";
      return fail();
    }
    if (overlaps(t)) {
      err << "input " << i << " " << t.shape() << " with strides " << t.strides()
          << " overlaps itself in memory (expanded); pass a materialised tensor";
      return fail();
    }
    wrt.push_back(i);
  }
  if (wrt.empty()) {
    err << "no float64 input to differentiate";
    return fail();
  }

  std::vector<bool> had_requires_grad(inputs.size(), false);
  std::vector<std::vector<double>> original(inputs.size());
  for (size_t i : wrt) {
    Tensor t = inputs[i];
    had_requires_grad[i] = t.requires_grad();
    t.requires_grad_(true);
    t.zero_grad();
    original[i] = values(t);
  }
  // Restores the inputs' flags however we leave.
  struct Restore {
    const std::vector<Tensor>& in;
    const std::vector<size_t>& idx;
    const std::vector<bool>& flags;
    ~Restore() {
      for (size_t i : idx) {
        Tensor t = in[i];
        t.zero_grad();
        t.requires_grad_(flags[i]);
      }
    }
  } restore{inputs, wrt, had_requires_grad};

  std::vector<Tensor> wrt_tensors;
  for (size_t i : wrt) wrt_tensors.push_back(inputs[i]);

  // ---- outputs and the random upstream gradient ----
  auto eval = [&]() {
    std::vector<Tensor> outs = fn(inputs);
    AMOR_CHECK(!outs.empty(), ValueError, "gradcheck: fn returned no outputs");
    return outs;
  };
  std::vector<Tensor> outs;
  {
    EnableGradGuard grad_on;
    outs = eval();
  }
  std::vector<Tensor> upstream;
  std::vector<std::vector<double>> w;
  std::vector<Tensor> roots, root_grads;
  for (size_t k = 0; k < outs.size(); ++k) {
    const Tensor& y = outs[k];
    if (!y.defined() || y.dtype() != DType::F64) {
      err << "output " << k << " is " << y.str() << "; outputs must be float64";
      return fail();
    }
    Generator gen(o.seed, k);
    Tensor wk = randn(y.shape(), gen, {.dtype = DType::F64});
    upstream.push_back(wk);
    w.push_back(values(wk));
    if (y.requires_grad()) {
      roots.push_back(y);
      root_grads.push_back(wk);
    }
  }

  // ---- analytic gradients, twice ----
  std::vector<Tensor> analytic(wrt.size()), via_backward(wrt.size());
  if (!roots.empty()) {
    std::vector<Tensor> g = amor::grad(roots, wrt_tensors, root_grads, /*retain_graph=*/false,
                                       /*allow_unused=*/true);
    for (size_t j = 0; j < wrt.size(); ++j) {
      if (inputs[wrt[j]].grad().defined()) {
        err << "amor::grad wrote into input " << wrt[j] << "'s .grad";
        return fail();
      }
      analytic[j] = g[j];
    }
    std::vector<Tensor> outs2;
    {
      EnableGradGuard grad_on;
      outs2 = eval();
    }
    std::vector<Tensor> roots2;
    for (size_t k = 0; k < outs2.size(); ++k)
      if (outs2[k].requires_grad()) roots2.push_back(outs2[k]);
    if (roots2.size() != roots.size()) {
      err << "fn's outputs changed which of them require grad between two calls";
      return fail();
    }
    amor::backward(roots2, root_grads);
    for (size_t j = 0; j < wrt.size(); ++j) via_backward[j] = inputs[wrt[j]].grad();
  }
  for (size_t j = 0; j < wrt.size(); ++j) {
    const Tensor& x = inputs[wrt[j]];
    for (Tensor* g : {&analytic[j], &via_backward[j]}) {
      if (!g->defined()) *g = zeros(x.shape(), {.dtype = DType::F64});
      if (g->shape() != x.shape() || g->dtype() != x.dtype()) {
        err << "gradient of input " << wrt[j] << " is " << g->str() << " but the input is "
            << x.str();
        return fail();
      }
    }
    if (auto r = all_close(analytic[j], via_backward[j], 1e-12, 1e-12); !r) {
      err << "input " << wrt[j] << ": amor::grad and .backward() disagree: " << r.message();
      return fail();
    }
  }

  // ---- numeric gradients ----
  NoGradGuard no_grad;
  {
    std::vector<Tensor> again = eval();
    for (size_t k = 0; k < outs.size(); ++k)
      if (auto r = all_equal(again[k], outs[k]); !r) {
        err << "output " << k << " differs between grad mode and NoGradGuard: " << r.message();
        return fail();
      }
  }
  for (size_t j = 0; j < wrt.size(); ++j) {
    const size_t i = wrt[j];
    const Tensor& x = inputs[i];
    double* base = static_cast<double*>(x.storage()->data());
    const std::vector<int64_t> offsets = element_offsets(x);
    const std::vector<double> a = values(analytic[j]);
    int bad = 0;
    double worst = 0.0;
    std::ostringstream report;
    for (size_t e = 0; e < offsets.size(); ++e) {
      double& slot = base[offsets[e]];
      const double x0 = slot;
      // Outputs are read out before the next write: a view output aliases the input.
      bool reshaped = false;
      auto snapshot = [&]() {
        std::vector<Tensor> y = eval();
        std::vector<std::vector<double>> v;
        for (size_t k = 0; k < outs.size(); ++k) {
          reshaped = reshaped || y.size() != outs.size() || y[k].shape() != outs[k].shape();
          v.push_back(reshaped ? std::vector<double>(w[k].size(), 0.0) : values(y[k]));
        }
        return v;
      };
      slot = x0 + o.eps;
      const std::vector<std::vector<double>> plus = snapshot();
      slot = x0 - o.eps;
      const std::vector<std::vector<double>> minus = snapshot();
      slot = x0;
      if (reshaped) {
        err << "fn's outputs changed number or shape under perturbation";
        return fail();
      }
      const double numeric = weighted_difference(w, plus, minus) / (2 * o.eps);
      const double diff = std::abs(a[e] - numeric);
      const double tol = o.atol + o.rtol * std::abs(numeric);
      if (!(diff <= tol)) {  // also catches NaN
        if (bad < o.max_reported)
          report << "\n  input " << i << " " << x.shape() << " (strides " << x.strides()
                 << ") element " << e << " " << index_str(x.shape(), int64_t(e))
                 << ": analytic " << a[e] << " vs numeric " << numeric << " (|diff| " << diff
                 << " > tol " << tol << ")";
        ++bad;
        worst = std::max(worst, diff);
      }
    }
    if (values(x) != original[i]) {
      err << "input " << i << " was modified by fn or not restored";
      return fail();
    }
    if (bad) {
      err.precision(10);
      err << bad << " of " << offsets.size() << " gradient entries of input " << i << " "
          << x.shape() << " mismatch (eps " << o.eps << ", atol " << o.atol << ", rtol " << o.rtol
          << ", worst |diff| " << worst << "):" << report.str();
      return fail();
    }
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult gradcheck(const Fn& fn, const std::vector<Tensor>& inputs,
                                     const GradcheckOptions& options) {
  return gradcheck(MultiFn([&fn](const std::vector<Tensor>& x) { return std::vector<Tensor>{fn(x)}; }),
                   inputs, options);
}

// ---- random inputs ------------------------------------------------------------------------------

Tensor randn_f64(const Shape& shape, uint64_t seed, double mean, double std) {
  Generator gen(seed);
  return normal(shape, mean, std, gen, {.dtype = DType::F64});
}

Tensor uniform_f64(const Shape& shape, uint64_t seed, double lo, double hi) {
  Generator gen(seed);
  return uniform(shape, lo, hi, gen, {.dtype = DType::F64});
}

Tensor uniform_avoiding(const Shape& shape, uint64_t seed, double lo, double hi,
                        const std::vector<double>& kinks, double margin) {
  Generator gen(seed);
  const int64_t n = shape.numel();
  std::vector<double> out;
  out.reserve(size_t(n));
  for (int round = 0; int64_t(out.size()) < n; ++round) {
    AMOR_CHECK(round < 1000, ValueError, "uniform_avoiding: [", lo, ", ", hi,
               ") has almost no room away from the kinks");
    for (double v : uniform(Shape{std::max<int64_t>(n, 16)}, lo, hi, gen, {.dtype = DType::F64})
                        .to_vector<double>()) {
      bool ok = true;
      for (double k : kinks) ok = ok && std::abs(v - k) >= margin;
      if (ok && int64_t(out.size()) < n) out.push_back(v);
    }
  }
  return from_vector(out, shape);
}

Tensor distinct_f64(const Shape& shape, uint64_t seed, double start, double spacing) {
  Generator gen(seed);
  std::vector<int64_t> perm = randperm(shape.numel(), gen).to_vector<int64_t>();
  std::vector<double> v(perm.size());
  for (size_t i = 0; i < v.size(); ++i) v[i] = start + spacing * double(perm[i]);
  return from_vector(v, shape);
}

Tensor random_mask(const Shape& shape, uint64_t seed, double p) {
  Generator gen(seed);
  return bernoulli(shape, p, gen);
}

Tensor random_index(const Shape& shape, uint64_t seed, int64_t lo, int64_t hi) {
  Generator gen(seed);
  return randint(lo, hi, shape, gen);
}

Tensor make_noncontiguous(const Tensor& t) {
  NoGradGuard no_grad;
  const int n = t.dim();
  Tensor base, view;
  if (n == 0) {
    base = Tensor::empty(Shape{3}, t.dtype());
    view = base.select(0, 1);
  } else {
    Shape reversed, order;
    for (int d = n - 1; d >= 0; --d) {
      reversed.push_back(2 * t.shape()[d]);
      order.push_back(d);
    }
    base = Tensor::empty(reversed, t.dtype());
    view = base.permute(order);  // shape [2 s0, ..., 2 s_{n-1}], strides reversed
    for (int d = 0; d < n; ++d) view = view.slice(d, 1, 2 * t.shape()[d], 2);
  }
  base.fill_(is_floating(t.dtype()) ? NAN : 0.0);  // stray reads of the gaps show up as NaN
  view.copy_(t);
  Tensor out = view.detach();
  if (t.requires_grad()) out.requires_grad_(true);
  return out;
}

// ---- comparisons --------------------------------------------------------------------------------

::testing::AssertionResult all_close(const Tensor& a, const Tensor& b, double atol, double rtol) {
  if (a.shape() != b.shape())
    return ::testing::AssertionFailure() << "shapes differ: " << a.shape() << " vs " << b.shape();
  const std::vector<double> x = values(a), y = values(b);
  int bad = 0;
  std::ostringstream os;
  os.precision(17);
  for (size_t i = 0; i < x.size(); ++i) {
    bool ok;
    if (std::isnan(y[i])) ok = std::isnan(x[i]);
    else if (std::isinf(y[i])) ok = x[i] == y[i];
    else ok = std::abs(x[i] - y[i]) <= atol + rtol * std::abs(y[i]);
    if (!ok) {
      if (bad < 5)
        os << "\n  element " << i << " " << index_str(a.shape(), int64_t(i)) << ": " << x[i]
           << " vs expected " << y[i] << " (|diff| " << std::abs(x[i] - y[i]) << ")";
      ++bad;
    }
  }
  if (bad)
    return ::testing::AssertionFailure() << bad << " of " << x.size() << " elements of "
                                         << a.shape() << " differ beyond atol " << atol
                                         << ", rtol " << rtol << ":" << os.str();
  return ::testing::AssertionSuccess();
}

void expect_close(const Tensor& a, const Tensor& b, double atol, double rtol,
                  std::source_location where) {
  if (auto r = all_close(a, b, atol, rtol); !r)
    ADD_FAILURE_AT(where.file_name(), int(where.line())) << r.message();
}

::testing::AssertionResult all_equal(const Tensor& a, const Tensor& b) {
  return all_close(a, b, 0.0, 0.0);
}

}  // namespace amor::testing
