#pragma once
// Stroke detection and the per-window stroke measurements: puncture rate,
// protrusion depth, strike force, speed regulation (DESIGN.md §2).
//
// Definitions (part of the record's contract):
// - BDC (bottom dead centre) = the maximum protrusion of one needle cycle.
//   Peaks are found with hysteresis h: a running maximum is confirmed as a
//   peak once the position falls below it by more than h; the detector then
//   tracks the minimum and re-arms once the position rises above that minimum
//   by more than h. The minimum between two peaks is the stroke's trough.
// - A stroke runs trough to trough: [begin_index, end_index) with its BDC
//   inside, so the strike-force peak (at BDC) is never split between strokes.
//   Only complete strokes are reported: samples before the first confirmed
//   trough and after the last one belong to no stroke.
// - t_bdc_ns / depth_mm: vertex of the parabola through the sample before the
//   peak, the peak (the middle of a plateau of equal maxima) and the sample
//   after it, using their actual (non-uniform) timestamps.
// - puncture rate_i = 1e9 / (t_bdc[i+1] - t_bdc[i]) Hz over consecutive strokes.
//
// A stroke is invalid (its timing and depth must not be used) when it has
// fewer than min_samples_per_stroke samples, spans a gap, or contains an
// encoder fault. Window statistics are ERROR (invalid set, no value) when any
// stroke in the window is invalid or there are too few strokes.
//
// Thread-safety: pure functions. Performance: detect_strokes() is a single
// pass with no allocation per sample (the result vector is reserved once).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "rig/analysis/trace.hpp"

namespace rig::analysis {

struct StrokeOptions {
    double hysteresis_mm = 0.05;
    std::size_t min_samples_per_stroke = 20;
    /// An interval longer than this is a gap. Not set: 1.5 x the median
    /// interval of the analysed range (see gap_limit()).
    std::optional<std::chrono::nanoseconds> max_sample_interval;
};

/// Why a stroke cannot be used (bit set in Stroke::problems).
enum StrokeProblem : std::uint32_t {
    stroke_ok = 0,
    stroke_too_few_samples = 1u << 0,  // fewer than min_samples_per_stroke
    stroke_gap = 1u << 1,              // an interval inside the stroke is a gap
    stroke_encoder_fault = 1u << 2,    // position unreliable
    stroke_force_fault = 1u << 3,      // peak force unreliable (timing/depth still valid)
    stroke_current_fault = 1u << 4,    // peak current unreliable (timing/depth still valid)
};
/// Problems that make a stroke's timing and depth unusable.
inline constexpr std::uint32_t stroke_invalidating =
    stroke_too_few_samples | stroke_gap | stroke_encoder_fault;

struct Stroke {
    std::size_t begin_index = 0;   // first sample (the trough before the BDC)
    std::size_t end_index = 0;     // one past the last sample (= next stroke's trough)
    std::size_t bdc_index = 0;     // sample with the largest position (first of a plateau)
    double t_bdc_ns = 0.0;         // sub-sample BDC time, ns since t0
    double depth_mm = 0.0;         // protrusion at the parabola vertex, mm
    double peak_force_n = 0.0;     // max force_n converted during the stroke (see below)
    double t_peak_force_ns = 0.0;  // its conversion instant (t_ns - force_age_ns), ns since t0
    double peak_current_a = 0.0;   // max current_a converted during the stroke
    // Force and current are ADC conversions on their own time base: the values
    // of a stroke are those whose conversion instant lies in [t(begin),
    // t(end)), read at samples begin.. (up to the analysed range's end), not
    // the loop ticks [begin, end). With ages 0 it is the same thing.
    std::int64_t max_interval_ns = 0;  // longest sample interval in [t(begin), t(end)]
    std::uint32_t flags = 0;       // OR of sample flags over [begin, end); sample_after_gap
                                   // is taken from (begin, end] (a gap inside the stroke)
    std::uint32_t problems = stroke_ok;  // StrokeProblem bits

    [[nodiscard]] std::size_t samples() const { return end_index - begin_index; }
    [[nodiscard]] bool valid() const { return (problems & stroke_invalidating) == 0; }
};

/// Human-readable list of the problem bits ("too few samples, gap").
std::string describe_problems(std::uint32_t problems);

/// Detects complete strokes in samples [begin, end) (end is clamped to the
/// trace size). Needs v.has_measurement_columns() (else std::invalid_argument). Strokes are returned in time order and are contiguous
/// (strokes[i].end_index == strokes[i+1].begin_index).
std::vector<Stroke> detect_strokes(TraceView v, std::size_t begin, std::size_t end,
                                   const StrokeOptions& opt = {});

/// The strokes whose BDC time lies in `w` (strokes must be in time order).
std::span<const Stroke> strokes_in(std::span<const Stroke> strokes, TimeWindow w);

struct StatsOptions {
    std::size_t min_strokes = 5;   // fewer strokes in the window is an ERROR
};

struct RateStats {
    std::size_t count = 0;         // number of intervals (= strokes - 1)
    double mean_hz = 0.0;
    double sd_hz = 0.0;            // sample standard deviation (n - 1)
    double min_hz = 0.0;
    double max_hz = 0.0;
    std::optional<std::string> invalid;
    [[nodiscard]] bool ok() const { return !invalid; }
};

struct DepthStats {
    std::size_t count = 0;         // number of strokes
    double mean_mm = 0.0;
    double sd_mm = 0.0;
    double min_mm = 0.0;
    double max_mm = 0.0;
    std::optional<std::string> invalid;
    [[nodiscard]] bool ok() const { return !invalid; }
};

struct ForceStats {
    std::size_t count = 0;         // number of strokes
    double mean_n = 0.0;           // of the per-stroke peak force
    double sd_n = 0.0;
    double min_n = 0.0;
    double max_n = 0.0;
    std::optional<std::string> invalid;
    [[nodiscard]] bool ok() const { return !invalid; }
};

/// Puncture rate over consecutive strokes (e.g. strokes_in(all, window)).
/// The mean is the mean of the per-interval rates (not 1 / mean interval), as
/// DESIGN.md §2 defines the rate statistics.
/// ERROR when fewer than opt.min_strokes strokes, any stroke invalid, or the
/// strokes are not contiguous (a cycle was lost between them).
RateStats puncture_rate(std::span<const Stroke> strokes, const StatsOptions& opt = {});
/// Depth at BDC, same validity rules.
DepthStats depth_stats(std::span<const Stroke> strokes, const StatsOptions& opt = {});
/// Peak force per stroke, same rules plus: no force fault in any stroke.
ForceStats strike_force_stats(std::span<const Stroke> strokes, const StatsOptions& opt = {});

/// Everything measured over one window, as the run record stores it.
struct WindowMeasurement {
    TimeWindow window;
    WindowQuality quality;
    std::vector<Stroke> strokes;   // the strokes whose BDC lies in the window
    RateStats rate;
    DepthStats depth;
    ForceStats force;
};

/// Checks the window's data (check_window), detects strokes on its samples
/// and computes rate, depth and force statistics. A window-quality problem
/// makes all three invalid with the quality's reason.
WindowMeasurement measure_window(TraceView v, TimeWindow w, const StrokeOptions& stroke_opt = {},
                                 const StatsOptions& stats_opt = {});

struct SpeedRegulation {
    double regulation_pct = 0.0;   // (no_load - loaded) / loaded x 100 %
    std::optional<std::string> invalid;
    [[nodiscard]] bool ok() const { return !invalid; }
};
/// (no-load rate - loaded rate) / loaded rate x 100 %. Invalid when either
/// rate is invalid or the loaded rate is not positive.
SpeedRegulation speed_regulation(const RateStats& no_load, const RateStats& loaded);
SpeedRegulation speed_regulation(double no_load_rate_hz, double loaded_rate_hz);

}  // namespace rig::analysis
