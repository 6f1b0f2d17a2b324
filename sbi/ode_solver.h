// Adaptive Runge–Kutta solver for the ODE simulators (sir, lotka_volterra).
//
// Method: Tsitouras' 5(4) pair (Tsit5, Ch. Tsitouras, "Runge–Kutta pairs of order 5(4)
// satisfying only the first column simplifying assumption", Comput. Math. Appl. 62, 2011) —
// the method sbibm's tasks use through Julia (Tsit5, reltol = abstol = 1e-8). Seven stages with
// FSAL, an embedded 4th-order error estimate, and the method's free 4th-order dense output,
// which gives the state at the save points without stopping the integration there (as Julia's
// `saveat` does).
//
// Step-size control: the error of a step is the RMS over components of
// err_i / (atol + rtol · max(|y_i|, |y_new_i|)); a step is accepted when it is ≤ 1. The next step
// comes from a PI controller with Julia's Tsit5 defaults (β1 = 0.14, β2 = 0.08, safety 0.9,
// growth ≤ 10×, shrink ≥ 5×); the first step from Hairer's starting-step heuristic.
//
// A failed solve is a status, not an exception: step size underflow (a blow-up, a stiff
// region), a non-finite state that step rejection could not cure, or too many steps. The save
// points not reached are then NaN, so a simulator can write NaN rows (as sbibm does). Bad
// arguments (unsorted save points, negative tolerances, ...) throw ValueError.
//
// No heap allocation per step, and none at all for states of up to kOdeInlineDim components
// (the workspace then lives on the stack); no shared state, so any number of threads may solve
// at once.
#pragma once

#include <cstdint>
#include <type_traits>
#include <utility>

namespace amor::sbi {

enum class OdeStatus {
  Success,
  MaxStepsExceeded,   // options.max_steps attempted steps did not reach the last save point
  StepSizeUnderflow,  // the controller asked for a step below the resolution of t
  NonFiniteState,     // y0 or f(t0, y0) non-finite, or every retry of a step gave NaN/inf
};

const char* to_string(OdeStatus status);

struct OdeOptions {
  double rtol = 1e-8;  // relative tolerance (sbibm's setting)
  double atol = 1e-8;  // absolute tolerance
  // Attempted steps (accepted + rejected) before giving up; Julia's `maxiters` default.
  int64_t max_steps = 100000;
  double initial_step = 0.0;  // 0: Hairer's heuristic
  double max_step = 0.0;      // 0: no limit beyond the integration span
  // > 0: fixed steps of this size with no error control (the last one shortened to land on the
  // final save point). For convergence studies; the adaptive mode is what simulators use.
  double fixed_step = 0.0;
};

struct OdeResult {
  OdeStatus status = OdeStatus::Success;
  double t_reached = 0.0;     // time of the last accepted step
  int64_t saved = 0;          // leading save points written; the rest are NaN
  int64_t accepted_steps = 0;
  int64_t rejected_steps = 0;
  int64_t rhs_evaluations = 0;
  bool ok() const { return status == OdeStatus::Success; }
};

// States of up to this many components need no heap allocation at all.
inline constexpr int64_t kOdeInlineDim = 16;

// A non-owning reference to the right-hand side f(t, y, dydt), y and dydt of length dim.
// Costs one indirect call per evaluation and never allocates. The referenced callable must
// outlive the solve.
class OdeRhsRef {
 public:
  template <class F,
            class = std::enable_if_t<!std::is_same_v<std::remove_cvref_t<F>, OdeRhsRef>>>
  OdeRhsRef(F&& f)  // NOLINT(google-explicit-constructor): meant to bind lambdas implicitly
      : object_(const_cast<void*>(static_cast<const void*>(&f))),
        call_([](void* object, double t, const double* y, double* dydt) {
          (*static_cast<std::remove_reference_t<F>*>(object))(t, y, dydt);
        }) {}

  void operator()(double t, const double* y, double* dydt) const { call_(object_, t, y, dydt); }

 private:
  void* object_;
  void (*call_)(void*, double, const double*, double*);
};

// Integrates y' = f(t, y) from (t0, y0) and writes the state at each save point:
//   y0: [dim], t_save: [n_save] non-decreasing with t_save[0] >= t0, y_save: [n_save, dim]
// (row-major). The integration ends at t_save[n_save - 1]. Save points equal to t0 get y0.
OdeResult solve_ode(OdeRhsRef rhs, int64_t dim, double t0, const double* y0,
                    const double* t_save, int64_t n_save, double* y_save,
                    const OdeOptions& options = {});

}  // namespace amor::sbi
