#pragma once
// Instrument self-checks taken on the data of a measurement's own window: each
// says what was checked, the value, the limit and the outcome, and a failed
// one turns the measurements it corrupts into ERROR with a reason naming the
// instrument and the evidence (never a guess, never PASS on bad data).
//
// Record shape (Measurement::stats["checks"], an array, one object per check):
//   {"instrument": "encoder" | "load_cell", "check": "<name>", "value": v,
//    "limit": l, "unit": "mm" | "N", "outcome": "ok" | "failed", "reason": "..."}
//
// Checks:
// - encoder / top_position_drift: the retracted (top) position of the strokes
//   (parabola vertex, like the BDC), mean of the last quarter of the window's
//   strokes minus mean of the first, within kEncoderTopLimitCounts counts.
//   The cam returns the needle to the same top every stroke; a counter that
//   loses or gains counts walks away from it (1 % loss over 1 s at 150 Hz:
//   tens of counts). Hardware reads the LS7366R status too (drivers/hw).
// - encoder / stroke_length_drift: BDC - top per stroke, the same way and
//   limit (counts gained and lost within a stroke).
// - encoder / top_position_reference: each stroke's top against the reference
//   top for the same dial setting: the mean top of the first
//   kReferenceTopStrokes strokes after the face reference, or after the last
//   set_depth before the window when that came later (the dial moves the
//   top), however long before the window (rig/scenario/reference_top.hpp:
//   run-level state the recording keeps). The largest |top - reference top| of the window's strokes is within
//   kTopWalkLimitCounts counts. This is what bounds a counter that walks away
//   and back between two references: the drift checks compare strokes
//   within one window, the scale and closing checks see a loss only while it
//   is still there at a reference.
// - encoder / scale: the scale check of the reference the depth is measured
//   from (touch_off.hpp: the encoder's speed against the touch-off drive's
//   known speed), copied from the reference so the depth's record shows it;
//   a failed one has already made the reference, and so the depth, invalid.
// - load_cell / baseline_drift: the no-contact baseline of every stroke (mean
//   force while the needle is within kClearBandMm of its top, clear of the
//   phantom), max - min over the window, within kBaselineDriftFraction of the
//   force limit span (or kBaselineDriftN without limits). Force is reported
//   baseline-corrected (peak - the stroke's baseline): a load-cell zero that is
//   not where its calibration says is removed; a drift beyond the limit is
//   ERROR.
//
// Thread-safety: pure functions.

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "rig/analysis/strokes.hpp"
#include "rig/analysis/trace.hpp"
#include "rig/record/reference.hpp"
#include "rig/scenario/face_reference.hpp"

namespace rig::checks {

inline constexpr double kEncoderTopLimitCounts = 10.0;
/// Strokes whose mean top is the reference top (the sampling scatter of one
/// stroke's top averages over them).
inline constexpr std::size_t kReferenceTopStrokes = 8;
/// One stroke's top (the median of its deviation and its two neighbours')
/// may lie this many counts from the reference top.
/// Derivation: counts lost or gained walk the whole counter, so a stroke's
/// BDC reading (its depth) is off by the same counts as its top. The stated
/// depth accuracy is kDepthAccuracyCounts = 2 counts (face_reference.hpp,
/// README "Accuracy"): a walk beyond it puts that stroke's depth outside the
/// stated accuracy. One stroke's top is read to within kTopReadingCounts
/// (the parabola vertex through integer-count samples ~20 counts apart near
/// the top at 5 kHz: rounding moves the vertex by under half a count; the
/// reference top is a mean of 8 and adds less). Measured: at most 0.66
/// count (median of three) over every run of test_runner (the shipped
/// scenarios at several seeds among them). So the limit is 2 + 1 = 3 counts:
/// no nominal stroke reaches it, and a walk that passes is at most 3 + 0.66
/// counts on a stroke; the window mean, which the depth is judged on,
/// averages it with the others. The median of three makes one stroke's
/// misread top (a late sample at the top: ~16 counts seen with 110 us
/// lateness) no walk; a walk lasting one stroke moves the mean by walk / n.
inline constexpr double kTopReadingCounts = 1.0;
inline constexpr double kTopWalkLimitCounts = kDepthAccuracyCounts + kTopReadingCounts;
inline constexpr double kClearBandMm = 0.3;
inline constexpr double kBaselineDriftFraction = 0.05;
inline constexpr double kBaselineDriftN = 0.05;

struct CheckResult {
    nlohmann::json record = nlohmann::json::array();  // the checks, as written in the record
    std::optional<std::string> failure;               // reason of the first failed check
};

/// One check as the record writes it (outcome "failed" when `reason` is set).
nlohmann::json entry(const char* instrument, const char* check, double value, double limit, const char* unit,
                     const std::optional<std::string>& reason);

/// Encoder consistency over the strokes (count_mm: one count, mm).
CheckResult encoder_consistency(analysis::TraceView v, std::span<const analysis::Stroke> strokes, double count_mm);

/// encoder_consistency, the per-stroke top against `reference_top_mm`
/// (top_against_reference) and the scale check of `ref` (when it has one).
CheckResult depth_encoder_checks(analysis::TraceView v, std::span<const analysis::Stroke> strokes, double count_mm,
                                 const FaceReference* ref, std::optional<double> reference_top_mm);

/// The stroke's top (retracted) position: the vertex of the parabola through
/// the lowest sample and its neighbours on their real timestamps, as the BDC
/// is found (the cam's top is smooth): a sample minimum alone is biased by
/// the sampling (at 5 kHz and 200 Hz by up to ~12 um).
double top_of(analysis::TraceView v, const analysis::Stroke& s);

/// encoder / top_position_reference: each valid stroke's top against
/// `reference_top_mm` (no check without one: too few strokes to take it).
CheckResult top_against_reference(analysis::TraceView v, std::span<const analysis::Stroke> strokes,
                                  std::optional<double> reference_top_mm, double count_mm);

/// Per-stroke no-contact baselines (N), in stroke order; NaN for a stroke
/// without a sample near its top.
std::vector<double> force_baselines(analysis::TraceView v, std::span<const analysis::Stroke> strokes);

/// Load-cell baseline drift over the window against limit_n.
CheckResult load_cell_baseline(std::span<const double> baselines, double limit_n);

}  // namespace rig::checks
