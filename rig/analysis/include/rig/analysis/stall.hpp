#pragma once
// Stall protection (DESIGN.md §2): brake engaged -> needle motion ceases
// (stall onset) -> motor current below the cut-off threshold; then retry or
// latch.
//
// Definitions (part of the record's contract):
// - Still period: consecutive samples s..e, all at or after the brake time,
//   whose positions span at most stillness_band_mm (max - min <= band) and
//   with t[e] - t[s] >= min_still_time.
// - Stall onset: the timestamp of the first sample s of the earliest still
//   period, i.e. the sample right after the last one at which the needle was
//   still moving out of the band. It is a sample time (no interpolation).
// - Cut-off: the first downward crossing of current_threshold_a at or after
//   the onset (sample k-1 >= threshold, sample k < threshold). Its time is
//   interpolated linearly between samples k-1 and k, so it is within one
//   sample interval of the true crossing. If the current is already below the
//   threshold at the onset sample, the cut-off is the last downward crossing
//   between the brake and the onset (the drive was cut before the needle
//   stopped: the latency is then negative and reported as such).
// - Latency = cut-off - onset.
// - Retry: the first upward crossing of the threshold after the cut-off
//   (interpolated the same way); retry delay = retry - cut-off. No crossing
//   before the window's end: latched.
// - ERROR (invalid) when the window has a gap or an encoder/current fault, no
//   still period or no cut-off is found.
//
// Thread-safety: pure function.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "rig/analysis/trace.hpp"

namespace rig::analysis {

struct StallOptions {
    double current_threshold_a = 0.5;   // cut-off threshold
    double stillness_band_mm = 0.002;   // e.g. 2 encoder counts at 1 um/count
    std::chrono::nanoseconds min_still_time{std::chrono::milliseconds(20)};
    /// An interval longer than this is a gap. Not set: 1.5 x median interval.
    std::optional<std::chrono::nanoseconds> max_sample_interval;
};

struct StallResult {
    std::int64_t onset_ns = 0;        // stall onset (sample time)
    std::size_t onset_index = 0;
    double cutoff_ns = 0.0;           // interpolated threshold crossing
    std::size_t cutoff_index = 0;     // first sample below the threshold
    double latency_s = 0.0;           // cut-off - onset
    bool retried = false;
    double retry_ns = 0.0;            // interpolated upward crossing (retried only)
    double retry_delay_s = 0.0;       // retry - cut-off (retried only)
    bool latched = false;             // no retry before the window's end
    std::optional<std::string> invalid;
    [[nodiscard]] bool ok() const { return !invalid; }
};

/// Analyses samples in [t_brake_ns, t_end_ns).
StallResult analyze_stall(TraceView v, std::int64_t t_brake_ns, std::int64_t t_end_ns, const StallOptions& opt);

}  // namespace rig::analysis
