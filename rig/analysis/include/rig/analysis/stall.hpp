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
// - Drive state (robust to current-sense noise): the current smoothed by a
//   centred moving mean over smoothing_window drives a Schmitt trigger with
//   the levels threshold (off below) and threshold + hysteresis (on above). A
//   change of state counts only once the new state has held for min_dwell
//   (the smoothed current has not crossed back over the other level), so
//   neither noise nor a ripple dip after the brake's release is a cut-off or
//   a retry.
// - Cut-off: the confirmed on -> off change whose off state contains the
//   onset (the drive was cut before the needle stopped: the latency is then
//   negative and reported as such), else the first one after the onset. Its
//   instant is the first raw downward crossing of current_threshold_a
//   (sample k-1 >= threshold, sample k < threshold) from half a smoothing
//   window before the last sample whose smoothed current was still on (the
//   centred mean sees an edge half a window early), interpolated linearly between k-1
//   and k: within one sample interval of the true crossing without noise.
// - Latency = cut-off - onset.
// - Retry: the first confirmed off -> on change after the cut-off; its instant
//   is the first raw upward crossing of the threshold from half a window
//   before the last sample whose smoothed current was still off (interpolated
//   the same way); retry
//   delay = retry - cut-off. None before the window's end: latched.
// - Noise tolerance (stated, tested): with noise sigma on the current, the
//   smoothed noise is sigma / sqrt(N), N = samples in smoothing_window. A
//   false change needs it beyond the hysteresis for min_dwell. At 10 kHz,
//   1 ms, a 50 mA threshold and 25 mA hysteresis, 30 mA RMS (the issue's
//   shunt amplifier next to a PWM driver) gives 9.5 mA smoothed: no false
//   change; tests run to 40 mA RMS. With noise an instant can be early by up
//   to one smoothing window (a noise crossing of the raw current just before
//   the edge); without noise it is within one sample interval.
// - ERROR (invalid) when the window has a gap or an encoder/current fault or
//   no still period is found (the rig's brake did not stop the needle). No
//   cut-off is the pen's behaviour, not the rig's: cut_off is false and
//   latency_lower_bound_s says how long the current stayed on after the onset
//   (to the window's end); `invalid` is set too, so that a caller that only
//   knows ok() never takes a value.
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
    /// Centred moving-mean width for the drive state (not for the instants).
    std::chrono::nanoseconds smoothing_window{std::chrono::milliseconds(1)};
    /// On level = threshold + hysteresis. Not set: half the threshold.
    std::optional<double> hysteresis_a;
    /// A change of drive state must hold this long to count.
    std::chrono::nanoseconds min_dwell{std::chrono::milliseconds(5)};
    /// An interval longer than this is a gap. Not set: 1.5 x median interval.
    std::optional<std::chrono::nanoseconds> max_sample_interval;
};

struct StallResult {
    std::int64_t onset_ns = 0;        // stall onset (sample time)
    std::size_t onset_index = 0;
    double cutoff_ns = 0.0;           // interpolated threshold crossing, on the current's conversion instants (TraceView::current_t_ns)
    std::size_t cutoff_index = 0;     // first sample below the threshold
    double latency_s = 0.0;           // cut-off - onset
    bool retried = false;
    double retry_ns = 0.0;            // interpolated upward crossing (retried only)
    double retry_delay_s = 0.0;       // retry - cut-off (retried only)
    bool latched = false;             // no retry before the window's end
    bool stall_seen = false;          // a stall onset was found (the rig's brake stopped the needle)
    bool cut_off = false;             // a confirmed cut-off was found
    double latency_lower_bound_s = 0.0;  // no cut-off: window end - onset (latency > this)
    std::optional<std::string> invalid;
    [[nodiscard]] bool ok() const { return !invalid; }
};

/// Analyses samples in [t_brake_ns, t_end_ns).
StallResult analyze_stall(TraceView v, std::int64_t t_brake_ns, std::int64_t t_end_ns, const StallOptions& opt);

}  // namespace rig::analysis
