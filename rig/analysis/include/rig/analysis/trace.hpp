#pragma once
// Sample arrays as the analysis functions see them, plus windows and the
// data-quality check every measurement runs first.
//
// Layout: struct-of-arrays. The acquisition loop records rig::Sample (AoS,
// 64 bytes); analysis reads one or two columns at a time, so a Trace copies
// the samples once into contiguous columns and every function takes a
// non-owning TraceView of them.
//
// Time: every column is indexed by sample; t_ns holds the REAL timestamp of
// each sample (ns since the run's t0, strictly increasing). Nothing here
// assumes a nominal period: timestamps may be jittered and samples may be
// missing.
//
// Thread-safety: all functions are pure (no hidden state); a TraceView may be
// read from any number of threads while nobody writes the Trace it views.
// Ownership: Trace owns its vectors; a TraceView is valid as long as the
// Trace (or whatever storage its spans point to) lives and is not resized.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "rig/core/samples.hpp"

namespace rig::analysis {

/// Non-owning view of sample columns. All spans have the same length
/// (lateness_ns and step_index may be empty when a caller has no such data;
/// functions that need them say so and report an invalid result).
struct TraceView {
    std::span<const std::int64_t> t_ns;          // sample timestamp, ns since t0
    std::span<const double> position_mm;         // needle protrusion, mm
    std::span<const double> force_n;             // load-cell force, N
    std::span<const double> current_a;           // motor current, A
    std::span<const double> setpoint_hz;         // commanded rate, Hz
    std::span<const std::uint32_t> flags;        // rig::SampleFlag bits
    std::span<const std::int64_t> lateness_ns;   // loop wake-up lateness, ns
    std::span<const std::uint32_t> step_index;   // scenario step
    // Each ADC value's age at t_ns (its conversion completed at t_ns - age):
    // force and current are placed at their own instants (force_t_ns(),
    // current_t_ns()). May be empty: every value then belongs at t_ns.
    std::span<const std::int32_t> force_age_ns;
    std::span<const std::int32_t> current_age_ns;

    [[nodiscard]] std::size_t size() const { return t_ns.size(); }
    [[nodiscard]] bool empty() const { return t_ns.empty(); }
    /// True when the measurement columns (position, force, current, flags)
    /// are as long as t_ns. Stroke and stall analysis need them and throw
    /// std::invalid_argument otherwise (a programming error, not bad data).
    [[nodiscard]] bool has_measurement_columns() const {
        const std::size_t n = t_ns.size();
        return position_mm.size() == n && force_n.size() == n && current_a.size() == n && flags.size() == n;
    }
    /// The instant sample i's force / current value was converted (ns since t0).
    [[nodiscard]] std::int64_t force_t_ns(std::size_t i) const {
        return t_ns[i] - (force_age_ns.empty() ? 0 : force_age_ns[i]);
    }
    [[nodiscard]] std::int64_t current_t_ns(std::size_t i) const {
        return t_ns[i] - (current_age_ns.empty() ? 0 : current_age_ns[i]);
    }
};

/// Owning struct-of-arrays copy of a recording.
struct Trace {
    std::vector<std::int64_t> t_ns;
    std::vector<double> position_mm;
    std::vector<double> force_n;
    std::vector<double> current_a;
    std::vector<double> setpoint_hz;
    std::vector<std::uint32_t> flags;
    std::vector<std::int64_t> lateness_ns;
    std::vector<std::uint32_t> step_index;
    std::vector<std::int32_t> force_age_ns;
    std::vector<std::int32_t> current_age_ns;

    /// Copies the samples column by column (one pass, one allocation per column).
    static Trace from_samples(std::span<const Sample> samples);
    /// The samples again, in recording order (inverse of from_samples).
    [[nodiscard]] std::vector<Sample> to_samples() const;
    /// Appends one sample to every column.
    void push_back(const Sample& s);
    /// Appends consecutive samples (one resize per column).
    void append(std::span<const Sample> samples);
    void reserve(std::size_t n);
    /// Removes the first n samples from every column.
    void drop_front(std::size_t n);
    [[nodiscard]] std::size_t size() const { return t_ns.size(); }
    [[nodiscard]] TraceView view() const;
};

/// A half-open time window [begin_ns, end_ns) on the run's clock.
struct TimeWindow {
    std::int64_t begin_ns = 0;
    std::int64_t end_ns = 0;
    [[nodiscard]] bool contains(double t_ns) const {
        return t_ns >= static_cast<double>(begin_ns) && t_ns < static_cast<double>(end_ns);
    }
    [[nodiscard]] double duration_s() const { return static_cast<double>(end_ns - begin_ns) * 1e-9; }
};

/// Sample index range [begin, end) of the samples whose timestamps lie in
/// `w` (binary search; t_ns must be increasing).
struct IndexRange {
    std::size_t begin = 0;
    std::size_t end = 0;
    [[nodiscard]] std::size_t size() const { return end > begin ? end - begin : 0; }
};
IndexRange index_range(TraceView v, TimeWindow w);

/// Median sample interval of [begin, end), from at most 4095 intervals taken
/// at evenly spaced positions (deterministic; O(1) memory in the window
/// size). Returns 0 ns when the range holds fewer than two samples.
std::chrono::nanoseconds estimate_sample_period(TraceView v, std::size_t begin, std::size_t end);

/// The longest interval that is still "no sample missing" for a window:
/// `explicit_limit` if given, else 1.5 x estimate_sample_period().
std::chrono::nanoseconds gap_limit(TraceView v, std::size_t begin, std::size_t end,
                                   std::optional<std::chrono::nanoseconds> explicit_limit);

/// What check_window() counts as unusable data.
struct QualityOptions {
    /// An interval longer than this is a gap (samples missing). Not set:
    /// 1.5 x the window's median interval (see gap_limit()).
    std::optional<std::chrono::nanoseconds> max_sample_interval;
    /// Flags that make a sample unusable for the measurement at hand
    /// (sample_after_gap is always treated as a gap, whatever this mask says).
    std::uint32_t fault_flags = sample_encoder_fault;
    /// Fewer samples than this in the window is an error.
    std::size_t min_samples = 2;
};

/// Data quality of one window. `invalid` explains the first problem found
/// (the counts describe all of them).
struct WindowQuality {
    std::size_t begin_index = 0;
    std::size_t end_index = 0;
    std::size_t samples = 0;
    std::size_t gaps = 0;                 // intervals > limit or samples flagged sample_after_gap
    std::size_t faulty_samples = 0;       // samples with any of QualityOptions::fault_flags
    std::uint32_t flags_seen = 0;         // OR of every sample's flags
    std::int64_t max_interval_ns = 0;     // longest interval between consecutive samples
    std::int64_t gap_limit_ns = 0;        // the limit that was applied
    std::optional<std::string> invalid;   // set: the window cannot give a valid measurement
    [[nodiscard]] bool ok() const { return !invalid.has_value(); }
};

/// Checks [begin, end) for gaps, faulty samples and too few samples. Used by
/// every window measurement before it reports a value. The interval into the
/// first sample (from begin-1) is not part of the window.
WindowQuality check_window(TraceView v, std::size_t begin, std::size_t end, const QualityOptions& opt = {});

/// First event of `kind` at or after `from_ns`, or nullptr. Events must be in
/// time order (as the recorder writes them).
const Event* find_event(std::span<const Event> events, EventKind kind, std::int64_t from_ns = std::numeric_limits<std::int64_t>::min());

}  // namespace rig::analysis
