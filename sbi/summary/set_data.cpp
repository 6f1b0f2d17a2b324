#include "sbi/summary/set_data.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/ops.h"

namespace amor::sbi::summary {

SetBatch SetBatch::rows(const Tensor& index) const {
  SetBatch r;
  if (theta.defined()) r.theta = index_select(theta, 0, index);
  if (x.defined()) r.x = index_select(x, 0, index);
  if (mask.defined()) r.mask = index_select(mask, 0, index);
  if (conditions.defined()) r.conditions = index_select(conditions, 0, index);
  return r;
}

SetBatch SetBatch::to(Device device) const {
  SetBatch r;
  if (theta.defined()) r.theta = theta.to(device);
  if (x.defined()) r.x = x.to(device);
  if (mask.defined()) r.mask = mask.to(device);
  if (conditions.defined()) r.conditions = conditions.to(device);
  return r;
}

void SetBatch::check(const char* who, bool need_theta) const {
  AMOR_CHECK(x.defined(), ValueError, who, ": the batch has no data x");
  AMOR_CHECK(x.dim() == 3 && x.size(1) >= 1, ShapeError, who, ": x must be [B, N, F] with N >= 1, got ", x.shape());
  AMOR_CHECK(is_floating(x.dtype()), DTypeError, who, ": x must be float32 or float64, got ", x.dtype());
  const int64_t B = x.size(0);
  if (need_theta) AMOR_CHECK(theta.defined(), ValueError, who, ": the batch has no θ");
  if (theta.defined())
    AMOR_CHECK(theta.dim() == 2 && theta.size(0) == B, ShapeError, who, ": θ must be [", B, ", d], got ",
               theta.shape());
  if (mask.defined())
    AMOR_CHECK(mask.dtype() == DType::Bool && mask.shape() == (Shape{B, x.size(1)}), ShapeError, who,
               ": mask must be bool [", B, ", ", x.size(1), "], got ", mask.dtype(), " ", mask.shape());
  if (conditions.defined())
    AMOR_CHECK(conditions.dim() == 2 && conditions.size(0) == B, ShapeError, who, ": conditions must be [", B,
               ", c], got ", conditions.shape());
}

namespace {

Tensor as_columns(const Tensor& t, const std::string& name, const char* role) {
  if (t.dim() == 1) return t.reshape(Shape{t.size(0), 1});
  AMOR_CHECK(t.dim() == 2, ValueError, "BatchAdapter: ", role, " '", name, "' must be [B] or [B, k], got ", t.shape());
  return t;
}

Tensor apply_transform(const Tensor& t, const ConditionSpec& c) {
  if (c.transform == "identity") return t;
  const bool is_sqrt = c.transform == "sqrt";
  AMOR_CHECK(is_sqrt || c.transform == "log", ValueError, "BatchAdapter: condition '", c.name,
             "': unknown transform '", c.transform, "' (identity, sqrt or log)");
  const Tensor t64 = t.to(DType::F64).contiguous();
  for (double v : t64.to_vector<double>())
    AMOR_CHECK(is_sqrt ? v >= 0 : v > 0, ValueError, "BatchAdapter: condition '", c.name, "': ", c.transform,
               " of ", v);
  return is_sqrt ? sqrt(t64) : log(t64);
}

}  // namespace

SetBatch BatchAdapter::operator()(const Batch& batch) const {
  AMOR_CHECK(!inference_variables.empty() && !summary_variables.empty(), ValueError,
             "BatchAdapter: needs at least one inference variable and one summary variable");
  SetBatch out;
  std::vector<Tensor> th;
  for (const auto& n : inference_variables) th.push_back(as_columns(batch.at(n), n, "inference variable"));
  out.theta = concat(th, 1).to(dtype).contiguous();
  std::vector<Tensor> xs;
  for (const auto& n : summary_variables) {
    Tensor t = batch.at(n);
    if (t.dim() == 2) t = t.unsqueeze(2);
    AMOR_CHECK(t.dim() == 3, ValueError, "BatchAdapter: summary variable '", n, "' must be [B, N] or [B, N, k], got ",
               batch.at(n).shape());
    AMOR_CHECK(xs.empty() || xs[0].size(1) == t.size(1), ValueError, "BatchAdapter: summary variable '", n,
               "' has N = ", t.size(1), " but '", summary_variables[0], "' has N = ", xs[0].size(1));
    xs.push_back(t);
  }
  out.x = concat(xs, 2).to(dtype).contiguous();
  if (!conditions.empty()) {
    std::vector<Tensor> cs;
    for (const auto& c : conditions) cs.push_back(apply_transform(as_columns(batch.at(c.name), c.name, "condition"), c));
    out.conditions = concat(cs, 1).to(dtype).contiguous();
  }
  return out;
}

nlohmann::json BatchAdapter::to_json() const {
  nlohmann::json cs = nlohmann::json::array();
  for (const auto& c : conditions) cs.push_back({{"name", c.name}, {"transform", c.transform}});
  return {{"inference_variables", inference_variables}, {"summary_variables", summary_variables},
          {"conditions", cs}, {"dtype", dtype_name(dtype)}};
}

BatchAdapter BatchAdapter::from_json(const nlohmann::json& j) {
  BatchAdapter a;
  try {
    a.inference_variables = j.at("inference_variables").get<std::vector<std::string>>();
    a.summary_variables = j.at("summary_variables").get<std::vector<std::string>>();
    for (const auto& c : j.value("conditions", nlohmann::json::array()))
      a.conditions.push_back({c.at("name").get<std::string>(), c.value("transform", std::string("identity"))});
    const std::string dt = j.value("dtype", std::string("float32"));
    AMOR_CHECK(dt == "float32" || dt == "float64", ValueError, "BatchAdapter: dtype must be float32 or float64");
    a.dtype = dt == "float64" ? DType::F64 : DType::F32;
  } catch (const nlohmann::json::exception& e) {
    throw ValueError(std::string("BatchAdapter: malformed configuration: ") + e.what());
  }
  return a;
}

SetBatch concat_padded(const std::vector<SetBatch>& batches) {
  AMOR_CHECK(!batches.empty(), ValueError, "concat_padded: no batches");
  int64_t n_max = 0;
  for (const auto& b : batches) {
    b.check("concat_padded", false);
    n_max = std::max(n_max, b.x.size(1));
  }
  const SetBatch& first = batches[0];
  std::vector<Tensor> th, xs, ms, cs;
  for (const auto& b : batches) {
    AMOR_CHECK(b.theta.defined() == first.theta.defined() && b.conditions.defined() == first.conditions.defined(),
               ShapeError, "concat_padded: every batch needs the same fields (θ, conditions)");
    AMOR_CHECK(b.x.size(2) == first.x.size(2) && b.x.dtype() == first.x.dtype(), ShapeError,
               "concat_padded: x ", b.x.shape(), " does not match ", first.x.shape());
    const int64_t B = b.x.size(0), N = b.x.size(1), F = b.x.size(2);
    Tensor m = b.mask.defined() ? b.mask : ones(Shape{B, N}, {.dtype = DType::Bool, .device = b.x.device()});
    Tensor x = b.x;
    if (N < n_max) {
      x = concat({x, zeros(Shape{B, n_max - N, F}, {.dtype = x.dtype(), .device = x.device()})}, 1);
      m = concat({m, zeros(Shape{B, n_max - N}, {.dtype = DType::Bool, .device = x.device()})}, 1);
    }
    xs.push_back(x);
    ms.push_back(m);
    if (b.theta.defined()) th.push_back(b.theta);
    if (b.conditions.defined()) cs.push_back(b.conditions);
  }
  SetBatch out;
  out.x = concat(xs, 0);
  out.mask = concat(ms, 0);
  if (!th.empty()) out.theta = concat(th, 0);
  if (!cs.empty()) out.conditions = concat(cs, 0);
  return out;
}

SetBatch pad_sets(const std::vector<Tensor>& sets) {
  AMOR_CHECK(!sets.empty(), ValueError, "pad_sets: no sets");
  std::vector<SetBatch> b;
  for (const auto& s : sets) {
    AMOR_CHECK(s.dim() == 2, ShapeError, "pad_sets: every set must be [N, F], got ", s.shape());
    SetBatch one;
    one.x = s.unsqueeze(0);
    b.push_back(one);
  }
  return concat_padded(b);
}

SetBatch simulate_set_dataset(const GenerativeModel& model, const std::function<SetBatch(const Batch&)>& adapter,
                              int64_t num_batches, int64_t batch_size, uint64_t seed, uint64_t first_batch,
                              int num_threads) {
  AMOR_CHECK(num_batches >= 1, ValueError, "simulate_set_dataset: num_batches must be >= 1, got ", num_batches);
  std::vector<SetBatch> parts;
  for (int64_t i = 0; i < num_batches; ++i)
    parts.push_back(adapter(model.sample(batch_size, seed, first_batch + uint64_t(i), num_threads)));
  return concat_padded(parts);
}

}  // namespace amor::sbi::summary
