#pragma once
// Start-up time and step response (DESIGN.md §2) on irregularly sampled
// signals.
//
// Step response follows MATLAB Control System Toolbox `stepinfo(y, t, yfinal,
// yinit)` (reference page "stepinfo", section Algorithms, and "lsiminfo",
// https://www.mathworks.com/help/control/ref/dynamicsystem.stepinfo.html):
// - RiseTime: time for the response to go from RT(1) = 10 % to RT(2) = 90 %
//   of the way from yinit to yfinal (crossings linearly interpolated).
// - SettlingTime: the first time T such that |y(t) - yfinal| <= ST x
//   |yfinal - yinit| for all t >= T (ST = SettlingTimeThreshold = 0.02).
// - TransientTime: the first time T such that |y(t) - yfinal| <= ST x emax
//   for all t >= T, emax = max |y(t) - yfinal| (the pre-R2021b "SettlingTime").
// - Overshoot: with ynorm = (y - yinit) / (yfinal - yinit), the larger of 0
//   and 100 x max(ynorm - 1) %.  Undershoot: the larger of 0 and
//   -100 x min(ynorm) %.
// - Peak: max |y(t) - yinit|; PeakTime: time of that sample.
// - SettlingMin / SettlingMax: min / max of y from the first sample at which
//   the response reached RT(2) on.
// Sampled data: y is taken as linear between samples (that is how the band
// crossings are interpolated); peak values are sample values. All times are
// relative to the step instant t_step and use only samples with t >= t_step.
//
// Thread-safety: pure functions.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "rig/analysis/strokes.hpp"

namespace rig::analysis {

struct StepInfoOptions {
    double settling_time_threshold = 0.02;  // ST, fraction
    double rise_time_low = 0.10;             // RT(1), fraction of yfinal - yinit
    double rise_time_high = 0.90;            // RT(2)
    std::size_t min_samples = 3;             // fewer samples after t_step is an ERROR
};

/// stepinfo results; y quantities are in the unit of y (Hz for the rate).
struct StepInfo {
    std::size_t samples = 0;          // samples used (t >= t_step)
    double rise_time_s = 0.0;
    double settling_time_s = 0.0;     // relative to t_step
    std::optional<double> transient_time_s;  // relative to t_step; unset if y ends outside ST x emax
    double settling_min = 0.0;
    double settling_max = 0.0;
    double overshoot_pct = 0.0;
    double undershoot_pct = 0.0;
    double peak = 0.0;                // max |y - yinit|
    double peak_time_s = 0.0;         // relative to t_step
    /// The response never reached RT(2) or was still outside the settling
    /// band at the last sample: the system's behaviour (a FAIL for a pen), with
    /// `invalid` set too.
    bool never_settled = false;
    std::optional<std::string> invalid;  // e.g. never reached 90 %, did not settle
    [[nodiscard]] bool ok() const { return !invalid; }
};

/// stepinfo on samples (t_ns[k], y[k]); t_ns increasing (double: may be
/// sub-ns, e.g. interval midpoints). Invalid when yfinal == yinit, fewer than
/// opt.min_samples samples at or after t_step, the response never reaches
/// RT(2), or it is still outside the settling band at the last sample.
StepInfo stepinfo(std::span<const double> t_ns, std::span<const double> y, double t_step_ns,
                  double y_initial, double y_final, const StepInfoOptions& opt = {});

/// Per-interval rate samples: rate_i = 1e9 / (t_bdc[i+1] - t_bdc[i]) Hz at the
/// interval midpoint (for a linearly changing rate this is exactly the
/// instantaneous rate at the midpoint). Only intervals whose midpoint lies in
/// `w` are returned; `any_invalid` tells whether one of their strokes was invalid.
struct RateSamples {
    std::vector<double> t_ns;
    std::vector<double> rate_hz;
    bool any_invalid = false;
    bool contiguous = true;
};
RateSamples rate_samples(std::span<const Stroke> strokes, TimeWindow w);

/// Step response of the puncture rate after a setpoint change at t_step:
/// stepinfo on rate_samples() over [t_step, t_end). ERROR when a stroke in
/// the window is invalid or cycles are missing, in addition to stepinfo's rules.
StepInfo step_response_of_rate(std::span<const Stroke> strokes, std::int64_t t_step_ns,
                               double y_initial_hz, double y_final_hz, std::int64_t t_end_ns,
                               const StepInfoOptions& opt = {});

struct StartupOptions {
    double band_fraction = 0.02;   // +-2 % of the target rate
    std::size_t min_strokes = 5;   // fewer strokes in the window is an ERROR
};

struct StartupTime {
    double startup_time_s = 0.0;   // power-on -> rate enters the band for good
    double settled_at_ns = 0.0;    // absolute time of that entry
    std::size_t intervals = 0;     // rate samples examined
    /// The rate was still outside the band at the window's end: the pen's
    /// behaviour (FAIL, start-up time > lower_bound_s), with `invalid` set too.
    bool never_settled = false;
    double lower_bound_s = 0.0;    // window end - power-on
    std::optional<std::string> invalid;
    [[nodiscard]] bool ok() const { return !invalid; }
};

/// Start-up time: from t_power_on to the time at which the per-interval rate
/// (rate_samples() over [t_power_on, t_end)) enters target +- band and stays
/// inside until the end of the window. The entry is interpolated linearly
/// between the last rate sample outside the band and the next one (the
/// stepinfo settling-time rule with an absolute band). If every sample is in
/// the band, the entry is the first sample's time. ERROR when the rate is
/// outside the band at the window's last interval (never settled), too few
/// strokes, or an invalid stroke / missing cycle in the window.
StartupTime startup_time(std::span<const Stroke> strokes, std::int64_t t_power_on_ns, std::int64_t t_end_ns,
                         double target_rate_hz, const StartupOptions& opt = {});

}  // namespace rig::analysis
