#pragma once
// Rig timing health over a window (DESIGN.md §2): how well the acquisition
// loop kept its schedule, and whether the fixture's timing budget held.
//
// Definitions (part of the record's contract):
// - mean period = (t_last - t_first) / (samples - 1).
// - lateness percentiles: nearest-rank (the p-th percentile is the smallest
//   recorded lateness such that at least p % of the samples are <= it).
// - the timing rule (TimingRule below, from timing_rule()) decides what is
//   late, what is a gap and how many samples an interval lost; the loop's
//   flags, the measurements' gap rule and this function all use it.
// - late sample: lateness_ns > lateness budget.
// - missed samples: for each interval dt > period + budget (a gap),
//   round(dt / period) - 1 (at least 1); an interval within the rule whose
//   sample is flagged sample_after_gap counts 1.
// - histogram: lateness in us, fixed 1-2-5 bins (lateness_bin_edges_us):
//   bin i holds edges[i] <= lateness < edges[i+1]; the last bin is open.
// - verdict: budget broken when late fraction > max_late_fraction or missed
//   samples > max_missed_samples.
//
// Thread-safety: pure function.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "rig/analysis/trace.hpp"

namespace rig::analysis {

/// Lower edges of the lateness histogram bins, us. The last bin is >= 10 ms.
inline constexpr std::array<std::int64_t, 11> lateness_bin_edges_us = {0,   10,   20,   50,   100,  200,
                                                                        500, 1000, 2000, 5000, 10000};

/// The one timing rule: what a fixture's sample period and lateness budget
/// mean for the acquisition loop's flags, the measurements' gap rule and the
/// missed-sample count of timing_health(). A wake may be up to `budget` late
/// without anything being lost (DESIGN §1: a PREEMPT kernel is budgeted, not
/// punctual), so:
///  - late: lateness > budget (the loop sets sample_late);
///  - deadlines skipped by the loop: none within the budget (the loop catches
///    up on its fixed schedule); beyond it, the whole periods slept through
///    (the loop skips them, no burst of catch-up samples, and sets
///    sample_after_gap on the next sample);
///  - gap: an interval between consecutive samples longer than
///    period + budget, or a sample flagged sample_after_gap;
///  - samples lost in a gap of dt: round(dt / period) - 1, at least 1.
/// Example (Pi 4 reference fixture, 200 us period, 200 us budget): a wake
/// 110 us late is not late, skips nothing, and the interval of at most
/// 310 us is not a gap.
struct TimingRule {
    std::chrono::nanoseconds period{std::chrono::microseconds(100)};
    std::chrono::nanoseconds budget{std::chrono::microseconds(200)};

    [[nodiscard]] constexpr bool late(std::chrono::nanoseconds lateness) const { return lateness > budget; }
    /// Deadlines a wake `lateness` late slept through and the loop skips.
    [[nodiscard]] constexpr std::int64_t deadlines_skipped(std::chrono::nanoseconds lateness) const {
        return late(lateness) && period.count() > 0 ? lateness.count() / period.count() : 0;
    }
    /// The longest interval between consecutive samples that is not a gap.
    [[nodiscard]] constexpr std::chrono::nanoseconds max_interval() const { return period + budget; }
    [[nodiscard]] constexpr bool gap(std::chrono::nanoseconds interval) const { return interval > max_interval(); }
    /// Samples lost in an interval (0 when it is not a gap).
    [[nodiscard]] std::uint64_t samples_lost(std::chrono::nanoseconds interval) const;
};

/// The timing rule of a loop with this sample period and lateness budget.
/// The one place the rule is made: the loop, the measurements and
/// timing_health() all call it.
TimingRule timing_rule(std::chrono::nanoseconds period, std::chrono::nanoseconds lateness_budget);

struct TimingBudgetParams {
    std::chrono::nanoseconds nominal_period{std::chrono::microseconds(100)};  // 1 / loop rate
    std::chrono::nanoseconds lateness_budget{std::chrono::microseconds(200)};
    double max_late_fraction = 0.001;
    std::uint64_t max_missed_samples = 0;
    [[nodiscard]] TimingRule rule() const { return timing_rule(nominal_period, lateness_budget); }
};

struct TimingHealth {
    std::size_t samples = 0;
    double mean_period_s = 0.0;
    std::int64_t p50_lateness_ns = 0;
    std::int64_t p99_lateness_ns = 0;
    std::int64_t max_lateness_ns = 0;
    std::size_t late_count = 0;          // lateness > budget
    double late_fraction = 0.0;          // late_count / samples
    std::uint64_t missed_samples = 0;    // estimated, see header
    std::size_t gaps = 0;                // intervals that lost samples
    std::array<std::uint64_t, lateness_bin_edges_us.size()> lateness_histogram{};
    bool budget_broken = false;
    std::string verdict;                 // "within budget" or what was exceeded
    std::optional<std::string> invalid;  // not enough data to judge
    [[nodiscard]] bool ok() const { return !invalid; }
};

/// Timing health of samples [begin, end). Needs lateness_ns (invalid if the
/// view has none) and at least two samples.
TimingHealth timing_health(TraceView v, std::size_t begin, std::size_t end, const TimingBudgetParams& budget);

}  // namespace rig::analysis
