#pragma once
// Instrument checks that are not taken on a measurement's own strokes: the
// run-start checks of the load cell and the current sense, and the ADC
// full-scale (clip) count of a measurement's window. Each check is written
// into the stats.checks array of every measurement whose kind depends on the
// instrument (MeasureKind::instruments), in the shape instrument_checks.hpp
// gives ({instrument, check, value, limit, unit, outcome, reason}); a failed
// check makes that measurement ERROR with a reason naming the instrument and
// the evidence (never a value, never PASS).
//
// Run-start window: the acquisition loop holds the run's first `power: on`
// step for kRunStartWindow with the pen still unpowered (rig/runner/loop.cpp)
// before it switches the pen on. The window is therefore, in the record's own
// terms, from the start of that power step (its span) to its power_on event:
// `rig analyze` finds it again in samples.bin and the record, nothing else is
// needed. Over that window:
//  - load_cell / tare: mean force with the needle still and clear of the
//    phantom (the pen has not moved yet). The readings are calibrated, so the
//    mean is how far the zero is from the calibration record's zero; beyond
//    kTareLimitN the calibration no longer describes the cell (a zero that
//    moved that far: overload, a damaged bridge, the needle resting on the
//    phantom): force is ERROR. Within it, force is accurate: each stroke's peak
//    is taken from its own no-contact baseline (instrument_checks.hpp), which
//    removes the zero error the tare measured and any drift since.
//  - load_cell / tare_noise: SD of those readings, within kTareNoiseLimitN
//    (half the stated force accuracy: noise beyond it makes a stroke's
//    baseline and peak unreliable).
//  - load_cell / needle_still: encoder range over the window, within
//    kStillLimitMm (a needle moving during the tare is not a no-load zero).
//  - current_sense / zero: mean current with the pen unpowered (true current
//    0), within kCurrentZeroLimitA: the stall analysis judges cut-off against
//    the spec's cut-off current (50 mA on the shipped pens), and a zero
//    offset shifts that threshold one for one.
//  - current_sense / zero_noise: SD, within kCurrentNoiseLimitA (the noise
//    the stall detector is tested to tolerate, tests/unit/analysis).
// Per measurement window:
//  - load_cell | current_sense / adc_full_scale: samples flagged at the ADC's
//    full-scale codes (sample_force_clipped / sample_current_clipped: the
//    ADS1256's 0x7FFFFF / 0x800000, the sim's modelled range), limit 0.
//
// Thread-safety: pure functions.

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "rig/analysis/trace.hpp"
#include "rig/core/samples.hpp"
#include "rig/record/measurement.hpp"

namespace rig {
struct StepSpan;
}

namespace rig::checks {

inline constexpr std::chrono::milliseconds kRunStartWindow{200};
/// At least this much of the window must be there (samples' time span).
inline constexpr std::chrono::milliseconds kRunStartMinWindow{150};
inline constexpr double kTareLimitN = 0.2;
inline constexpr double kTareNoiseLimitN = 0.025;
inline constexpr double kStillLimitMm = 0.005;  // 5 counts of a 1 um encoder
inline constexpr double kCurrentZeroLimitA = 0.010;
inline constexpr double kCurrentNoiseLimitA = 0.040;

/// The checks of one instrument, as written in the record, and the reason of
/// the first failed one.
struct InstrumentResult {
    nlohmann::json record = nlohmann::json::array();
    std::optional<std::string> failure;
};

struct RunStartChecks {
    bool taken = false;              // a run-start window was found
    std::int64_t begin_ns = 0, end_ns = 0;
    std::size_t samples = 0;
    double tare_n = 0.0, tare_sd_n = 0.0;
    double current_zero_a = 0.0, current_sd_a = 0.0;
    InstrumentResult load_cell;
    InstrumentResult current_sense;
};

/// The run-start checks, from the samples before the run's first power_on
/// event in its power step's span. `taken` is false when the run has no
/// power_on yet; a window shorter than kRunStartMinWindow is taken and fails.
RunStartChecks run_start_checks(analysis::TraceView v, std::span<const Event> events, std::span<const StepSpan> spans);

/// Adds the checks of the instruments in `instruments` ("load_cell",
/// "current_sense"; others are ignored) to m.stats["checks"] and makes m
/// ERROR on a failed one. `run_start` null: no run-start window before this
/// measurement (an instrument that needs one fails).
void apply_instrument_checks(Measurement& m, std::span<const std::string_view> instruments,
                             const RunStartChecks* run_start, analysis::TraceView v, analysis::TimeWindow w);

}  // namespace rig::checks
