#include "sbi/generative_model.h"

#include <cstring>

#include "core/error.h"
#include "sbi/parallel.h"

namespace amor::sbi {

namespace {

constexpr uint64_t kRowBits = 32;  // row index bits of a simulation's Rng index

std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s.empty() ? "(none)" : s;
}

}  // namespace

// ---- Value / Values -------------------------------------------------------------------------

Value::Value(std::vector<int64_t> shape_, std::vector<double> data_) : shape(std::move(shape_)), data(std::move(data_)) {
  int64_t n = 1;
  for (int64_t e : shape) {
    AMOR_CHECK(e >= 0, ValueError, "Value: negative extent in shape ", shape_str(shape));
    n *= e;
  }
  AMOR_CHECK(int64_t(data.size()) == n, ValueError, "Value: shape ", shape_str(shape), " needs ", n,
             " entries, got ", data.size());
}

double Value::item() const {
  AMOR_CHECK(data.size() == 1, ValueError, "Value::item: the value has shape ", shape_str(shape), " (",
             data.size(), " entries), not one entry");
  return data[0];
}

Values::Values(std::initializer_list<std::pair<std::string, Value>> items) {
  for (const auto& [name, v] : items) add(name, v);
}

void Values::add(const std::string& name, Value value) {
  AMOR_CHECK(!name.empty(), ValueError, "Values::add: empty variable name");
  AMOR_CHECK(!contains(name), ValueError, "Values::add: variable '", name, "' is already present");
  items_.emplace_back(name, std::move(value));
}

bool Values::contains(const std::string& name) const {
  for (const auto& [n, v] : items_)
    if (n == name) return true;
  return false;
}

const Value& Values::at(const std::string& name) const {
  for (const auto& [n, v] : items_)
    if (n == name) return v;
  throw ValueError(detail::concat("no variable '", name, "' (present: ", join(names()), ")"));
}

double Values::get(const std::string& name, int64_t i) const {
  const Value& v = at(name);
  AMOR_CHECK(i >= 0 && i < v.numel(), IndexError, "variable '", name, "': index ", i,
             " out of range for ", v.numel(), " entries");
  return v.data[size_t(i)];
}

std::vector<std::string> Values::names() const {
  std::vector<std::string> out;
  for (const auto& [n, v] : items_) out.push_back(n);
  return out;
}

// ---- Batch ----------------------------------------------------------------------------------

bool Batch::contains(const std::string& name) const {
  for (const auto& [n, t] : tensors)
    if (n == name) return true;
  return false;
}

const Tensor& Batch::at(const std::string& name) const {
  for (const auto& [n, t] : tensors)
    if (n == name) return t;
  std::vector<std::string> names;
  for (const auto& [n, t] : tensors) names.push_back(n);
  throw ValueError(detail::concat("Batch: no variable '", name, "' (present: ", join(names), ")"));
}

// ---- GenerativeModel ------------------------------------------------------------------------

namespace {

// Checks that `rows[i]` has the same names and shapes as rows[0] and stacks each variable into a
// [B, shape...] tensor appended to `out`.
void stack_rows(const std::vector<Values>& rows, const char* what, std::vector<std::pair<std::string, Tensor>>& out,
                std::vector<std::string>& names_out) {
  const auto b = int64_t(rows.size());
  const Values& ref = rows[0];
  for (int64_t i = 1; i < b; ++i) {
    const Values& r = rows[size_t(i)];
    AMOR_CHECK(r.size() == ref.size(), ValueError, "GenerativeModel: the ", what, " returned {",
               join(r.names()), "} in row ", i, " but {", join(ref.names()), "} in row 0");
    for (int64_t k = 0; k < ref.size(); ++k) {
      const auto& [name, v0] = ref.items()[size_t(k)];
      AMOR_CHECK(r.contains(name), ValueError, "GenerativeModel: the ", what, " returned no '", name,
                 "' in row ", i, " (row 0 has it)");
      const Value& v = r.at(name);
      AMOR_CHECK(v.shape == v0.shape, ValueError, "GenerativeModel: the ", what, " returned '", name,
                 "' with shape ", shape_str(v.shape), " in row ", i, " but ", shape_str(v0.shape),
                 " in row 0 (shapes must agree within a batch; draw varying sizes in meta)");
    }
  }
  for (const auto& [name, v0] : ref.items()) {
    std::vector<int64_t> shape{b};
    shape.insert(shape.end(), v0.shape.begin(), v0.shape.end());
    AMOR_CHECK(shape.size() <= size_t(kMaxDims), ValueError, "GenerativeModel: variable '", name,
               "' has ", v0.shape.size(), " axes; at most ", kMaxDims - 1, " are supported");
    Tensor t = Tensor::empty(Shape(shape), DType::F64);
    double* p = t.data<double>();
    const auto n = size_t(v0.numel());
    for (int64_t i = 0; i < b; ++i) {
      const Value& v = rows[size_t(i)].at(name);
      if (n) std::memcpy(p + size_t(i) * n, v.data.data(), n * sizeof(double));
    }
    out.emplace_back(name, std::move(t));
    names_out.push_back(name);
  }
}

void check_no_clash(const Values& a, const char* a_what, const Values& b, const char* b_what) {
  for (const auto& [name, v] : b.items())
    AMOR_CHECK(!a.contains(name), ValueError, "GenerativeModel: variable '", name, "' is returned by both the ",
               a_what, " and the ", b_what);
}

}  // namespace

GenerativeModel::GenerativeModel(PriorFn prior, LikelihoodFn likelihood, MetaFn meta)
    : prior_(std::move(prior)), likelihood_(std::move(likelihood)), meta_(std::move(meta)) {
  AMOR_CHECK(static_cast<bool>(prior_), ValueError, "GenerativeModel: the prior function is empty");
  AMOR_CHECK(static_cast<bool>(likelihood_), ValueError, "GenerativeModel: the likelihood function is empty");
}

Batch GenerativeModel::sample(int64_t batch_size, uint64_t seed, uint64_t batch_index, int num_threads) const {
  AMOR_CHECK(batch_size >= 1 && uint64_t(batch_size) < (uint64_t(1) << kRowBits), ValueError,
             "GenerativeModel::sample: batch_size must be in [1, 2^32), got ", batch_size);
  AMOR_CHECK(batch_index < (uint64_t(1) << kRowBits), ValueError,
             "GenerativeModel::sample: batch_index must be < 2^32, got ", batch_index);
  Batch batch;
  batch.batch_size = batch_size;
  if (meta_) {
    Rng rng(seed, kMetaStream, batch_index);
    batch.meta = meta_(rng);
  }
  std::vector<Values> prior_rows(static_cast<size_t>(batch_size)), lik_rows(static_cast<size_t>(batch_size));
  parallel_rows(batch_size, num_threads, true, [&](int64_t i) {
    const uint64_t index = (batch_index << kRowBits) | uint64_t(i);
    Rng prior_rng(seed, kPriorStream, index);
    Values p = prior_(prior_rng, batch.meta);
    check_no_clash(batch.meta, "meta function", p, "prior");
    // The likelihood sees meta and prior together.
    Values joint = batch.meta;
    for (const auto& [name, v] : p.items()) joint.add(name, v);
    Rng lik_rng(seed, kSimulatorStream, index);
    Values l = likelihood_(lik_rng, joint);
    check_no_clash(batch.meta, "meta function", l, "likelihood");
    check_no_clash(p, "prior", l, "likelihood");
    prior_rows[size_t(i)] = std::move(p);
    lik_rows[size_t(i)] = std::move(l);
  });
  // Meta: broadcast along the batch axis.
  std::vector<Values> meta_rows(size_t(batch_size), batch.meta);
  stack_rows(meta_rows, "meta function", batch.tensors, batch.meta_names);
  stack_rows(prior_rows, "prior", batch.tensors, batch.prior_names);
  stack_rows(lik_rows, "likelihood", batch.tensors, batch.likelihood_names);
  return batch;
}

}  // namespace amor::sbi
