#pragma once
// Rig timing health over a window (DESIGN.md §2): how well the acquisition
// loop kept its schedule, and whether the fixture's timing budget held.
//
// Definitions (part of the record's contract):
// - mean period = (t_last - t_first) / (samples - 1).
// - lateness percentiles: nearest-rank (the p-th percentile is the smallest
//   recorded lateness such that at least p % of the samples are <= it).
// - late sample: lateness_ns > lateness budget.
// - missed samples: for each interval dt > 1.5 x nominal period,
//   round(dt / nominal) - 1 (at least 1); an interval that looks normal but
//   whose sample is flagged sample_after_gap counts 1.
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

struct TimingBudgetParams {
    std::chrono::nanoseconds nominal_period{std::chrono::microseconds(100)};  // 1 / loop rate
    std::chrono::nanoseconds lateness_budget{std::chrono::microseconds(200)};
    double max_late_fraction = 0.001;
    std::uint64_t max_missed_samples = 0;
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
