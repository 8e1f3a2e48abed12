#pragma once
// The kinds judged on one per-stroke statistic over the window
// (protrusion_depth, puncture_rate, strike_force): the same frame around a
// different statistic. The window's strokes come from
// MeasureContext::window_strokes(); an instrument's self-check over those
// strokes (instrument_checks.hpp) turns the value into ERROR when it fails;
// the truth is the same statistic over the sim's true strokes.
//
// Thread-safety: pure functions.

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "instrument_checks.hpp"
#include "rig/scenario/measure_kind.hpp"

namespace rig {

struct StrokeStatistic {
    std::string_view quantity;           // the kind's quantity (its unit comes from the descriptor)
    std::optional<double> value;         // the statistic judged against the limits
    std::optional<std::string> invalid;  // the statistic's own reason it has no valid value
    checks::CheckResult check;           // the instrument's self-check over the window's strokes
    nlohmann::json stats;                // what the record shows beside the value
    /// The statistic over true strokes (nullopt when it has none).
    std::function<std::optional<double>(std::span<const analysis::Stroke>)> of_truth;
};

/// The judged measurement: `s.value` against the limits, ERROR with no value
/// when the statistic, the timing rule or the check (in that order) says the
/// data are not valid; the stroke count, stats with the check's record under
/// "checks", and the truth on the sim.
Measurement judge_stroke_statistic(const MeasureContext& c, const analysis::WindowMeasurement& wm, StrokeStatistic s);

}  // namespace rig
