#pragma once
// Uncertainty budgets (JCGM 100:2008, the GUM) and the decision rule
// (ISO 14253-1:2017, ILAC-G8:09/2019) for every measured value.
//
// Each measurement kind states its budget in its descriptor
// (MeasureKind::budget): the inputs its value depends on, each with its
// quoted figure, distribution and sensitivity, built with `Budget`. The
// combined standard uncertainty is the root-sum-square of the contributions
// |c_i| u(x_i) (GUM 5.1.2, inputs taken as uncorrelated; where two are not,
// the kind says so and adds them as one input), and U = k u_c with k = 2.
//
// The measurand of a per-stroke statistic is the statistic over the window's
// strokes (what the spec limits judge and what the sim's truth is): the
// pen's own stroke-to-stroke variation is part of it, not an error of it.
// Type A inputs are the instrument's scatter as the window's data show it.
//
// Thread-safety: pure functions; Budget is a value.

#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rig/analysis/analysis.hpp"
#include "rig/drivers/fixture_config.hpp"
#include "rig/record/measurement.hpp"

namespace rig {

struct MeasureContext;
struct MeasureKind;
namespace checks {
struct RunStartChecks;
}

/// One measurement's budget, input by input. `unit` is the input's unit; the
/// sensitivity converts it to the measurement's unit (result per input).
class Budget {
public:
    /// Type B, a bound +/- half_width with no value more likely (resolution, a tolerance): u = a / sqrt(3).
    Budget& rectangular(std::string name, double half_width, std::string unit, double sensitivity, std::string basis);
    /// Type B, a bound +/- half_width with the centre most likely (the
    /// difference of two rectangular inputs of the same width): u = a / sqrt(6).
    Budget& triangular(std::string name, double half_width, std::string unit, double sensitivity, std::string basis);
    /// Type B from a certificate or an earlier budget: its expanded U and k: u = U / k.
    Budget& certificate(std::string name, double U, double k, std::string unit, double sensitivity, std::string basis);
    /// Type A: a standard deviation of this window's data over `divisor`
    /// (sqrt(n) for the mean of n independent readings).
    Budget& type_a(std::string name, double sd, double divisor, std::string unit, double sensitivity, std::string basis);

    /// u_c and U = k u_c.
    [[nodiscard]] Uncertainty combine(double k = 2.0) const;

private:
    Budget& add(std::string name, const char* type, const char* distribution, double value, double divisor,
                std::string unit, double sensitivity, std::string basis);
    std::vector<UncertaintyComponent> components_;
};

/// What a kind's budget reads besides the context: the judged measurement
/// (value, stats, strokes) and the run-start checks (tare noise), if taken.
struct BudgetInput {
    const MeasureContext& c;
    const Measurement& r;
    const checks::RunStartChecks* run_start = nullptr;
};

// Inputs several kinds share (one place each).

/// The scale's calibration: the record's relative U (k = 2) times |value|.
void add_scale_calibration(Budget& b, const FixtureConfig& fx, std::string_view instrument, double value);
/// The time base: the fixture's clock tolerance (rectangular) times |value|
/// (a rate, or a duration: both scale with the clock's frequency error).
void add_time_base(Budget& b, const FixtureConfig& fx, double value);
/// A duration between two instants each found at the first sample past its
/// event: each lies up to one sample interval after the event (rectangular),
/// the difference triangular of half-width one interval (the window's longest
/// on-time interval: the timing rule's), plus the sample stamps' jitter (the
/// window's p99 lateness, rectangular, both ends). `to_unit`: result per second.
void add_instant_pair(Budget& b, const MeasureContext& c, double to_unit);

/// The per-interval rates of the window, strokes found from `lead` before it.
analysis::RateSamples window_rate_samples(const MeasureContext& c, std::chrono::nanoseconds lead);
/// The scatter (SD, Hz) of per-interval rates about their smooth course,
/// from their second differences (median-based: robust to a step).
double rate_scatter_hz(std::span<const double> rate_hz);

/// An instant where the per-interval rate crosses a level, interpolated
/// between the two rate samples around it: the rates' scatter (from their
/// second differences over the window, robust: a smooth response cancels)
/// over the rate's slope there, at most the interval between the two samples.
/// `what` names the crossing; `t_cross_ns` in the run's time base; strokes
/// are found from `lead` before the window. `to_unit`: result per second.
void add_rate_crossing(Budget& b, const MeasureContext& c, std::string what, double t_cross_ns,
                       std::chrono::nanoseconds lead, double to_unit);

/// States r's uncertainty with `kind`'s budget and applies the spec's decision
/// rule. Only a measurement with a value (PASS or FAIL) gets one: ERROR and a
/// FAIL without value carry none. Guarded: a PASS within U of a limit becomes
/// FAIL ("conditional"). Called for every measurement a kind returns, after
/// the instrument checks.
void state_uncertainty(const MeasureContext& c, const MeasureKind& kind, const checks::RunStartChecks* run_start,
                       Measurement& r);

}  // namespace rig
