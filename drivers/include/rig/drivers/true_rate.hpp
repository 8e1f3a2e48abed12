#pragma once
// Start-up and step-response truths from the model's own state: the cam
// phase the physics integrates (GroundTruth::rates), never the rig's stroke
// detection or its analysis.
//
// The true stroke rate at time t is the rate averaged over the one stroke
// centred on t: 1 / (t+ - t-) where the cam phase at t+ and t- is half a
// stroke after and before its value at t (linear interpolation of the
// phase between samples). It is the continuous-time form of the rig's
// per-interval rate (one stroke, placed at the interval's midpoint), so the
// same definitions (band, 10 %/90 %, 2 % settling) apply to it without any
// of the rig's measurement chain (encoder, sampling, BDC detection). A rate
// level over a span is the phase difference over the span divided by its
// length (strokes per second).
//
// All times are on the model clock (GroundTruth's); a truth that needs a
// phase sample the log did not keep (outside its spans, or a full log) is
// absent with the reason, never a guess.

#include <cstdint>
#include <optional>
#include <string>

#include "rig/drivers/ground_truth.hpp"

namespace rig {

struct TrueStartup {
    std::optional<double> time_s;      // power-on -> the true rate enters the band for good
    bool never_settled = false;        // outside the band at the window's end (time_s unset)
    std::optional<std::string> absent; // no truth (reason); time_s unset
};

/// Power-on at t_on_ns; the band is setpoint_hz x (1 +- band_fraction); the
/// rate is judged at centres t in [t_on_ns, t_end_ns] whose stroke lies in
/// the kept phase (a centre whose stroke is not complete, e.g. before the
/// rotor turns, is outside the band).
TrueStartup true_startup_time(const TruthLog<TrueRate>& log, std::int64_t t_on_ns, std::int64_t t_end_ns,
                              double setpoint_hz, double band_fraction);

struct TrueStep {
    double initial_hz = 0.0;       // mean true rate over [pre_ns, t_step_ns)
    double final_hz = 0.0;         // mean true rate over [tail_ns, t_end_ns)
    double rise_time_s = 0.0;      // 10 % -> 90 % of the step
    double overshoot_pct = 0.0;    // beyond the final rate, % of the step
    double settling_time_s = 0.0;  // t_step -> inside +-settle_fraction x step for good
    std::optional<std::string> absent;  // no truth (reason): the other fields mean nothing
};

TrueStep true_step_response(const TruthLog<TrueRate>& log, std::int64_t pre_ns, std::int64_t t_step_ns,
                            std::int64_t tail_ns, std::int64_t t_end_ns, double settle_fraction = 0.02);

}  // namespace rig
