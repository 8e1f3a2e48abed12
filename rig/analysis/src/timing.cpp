#include "rig/analysis/timing.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <vector>

namespace rig::analysis {
namespace {

// Nearest-rank percentile of sorted-on-demand values (p in (0, 100]).
std::int64_t nearest_rank(std::vector<std::int64_t>& v, double p) {
    const auto n = static_cast<double>(v.size());
    auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * n));
    rank = std::clamp<std::size_t>(rank, 1, v.size());
    const auto it = v.begin() + static_cast<std::ptrdiff_t>(rank - 1);
    std::nth_element(v.begin(), it, v.end());
    return *it;
}

}  // namespace

TimingRule timing_rule(std::chrono::nanoseconds period, std::chrono::nanoseconds lateness_budget) {
    return TimingRule{period, std::max(lateness_budget, std::chrono::nanoseconds{0})};
}

std::uint64_t TimingRule::samples_lost(std::chrono::nanoseconds interval) const {
    if (!gap(interval) || period.count() <= 0) return 0;
    const auto lost = std::llround(static_cast<double>(interval.count()) / static_cast<double>(period.count())) - 1;
    return static_cast<std::uint64_t>(std::max<long long>(lost, 1));
}

TimingHealth timing_health(TraceView v, std::size_t begin, std::size_t end, const TimingBudgetParams& budget) {
    TimingHealth h;
    end = std::min(end, v.size());
    begin = std::min(begin, end);
    h.samples = end - begin;
    if (v.lateness_ns.size() != v.size()) {
        h.invalid = "no lateness data recorded";
        return h;
    }
    if (h.samples < 2) {
        h.invalid = "fewer than two samples in the window";
        return h;
    }
    if (budget.nominal_period.count() <= 0) {
        h.invalid = "nominal period must be positive";
        return h;
    }
    h.mean_period_s =
        static_cast<double>(v.t_ns[end - 1] - v.t_ns[begin]) * 1e-9 / static_cast<double>(h.samples - 1);

    const TimingRule rule = budget.rule();
    const bool have_flags = v.flags.size() == v.size();
    std::vector<std::int64_t> late(v.lateness_ns.begin() + static_cast<std::ptrdiff_t>(begin),
                                   v.lateness_ns.begin() + static_cast<std::ptrdiff_t>(end));
    for (std::size_t i = begin; i < end; ++i) {
        const std::int64_t l = v.lateness_ns[i];
        if (rule.late(std::chrono::nanoseconds{l})) ++h.late_count;
        h.max_lateness_ns = std::max(h.max_lateness_ns, l);
        // Bin by the largest lower edge <= lateness (negative lateness, which a
        // correct loop never records, lands in the first bin).
        const std::int64_t us = l / 1000;
        std::size_t bin = 0;
        while (bin + 1 < lateness_bin_edges_us.size() && us >= lateness_bin_edges_us[bin + 1]) ++bin;
        ++h.lateness_histogram[bin];
        if (i > begin) {
            const std::chrono::nanoseconds dt{v.t_ns[i] - v.t_ns[i - 1]};
            if (rule.gap(dt)) {
                h.missed_samples += rule.samples_lost(dt);
                ++h.gaps;
            } else if (have_flags && (v.flags[i] & sample_after_gap) != 0) {
                h.missed_samples += 1;
                ++h.gaps;
            }
        }
    }
    h.p50_lateness_ns = nearest_rank(late, 50.0);
    h.p99_lateness_ns = nearest_rank(late, 99.0);
    h.late_fraction = static_cast<double>(h.late_count) / static_cast<double>(h.samples);

    std::ostringstream verdict;
    if (h.late_fraction > budget.max_late_fraction) {
        verdict << "late samples " << h.late_count << "/" << h.samples << " (" << h.late_fraction * 100.0
                << " %) exceed the budget of " << budget.max_late_fraction * 100.0 << " % late beyond "
                << budget.lateness_budget.count() / 1000 << " us";
        h.budget_broken = true;
    }
    if (h.missed_samples > budget.max_missed_samples) {
        if (h.budget_broken) verdict << "; ";
        verdict << h.missed_samples << " missed sample(s) exceed the budget of " << budget.max_missed_samples;
        h.budget_broken = true;
    }
    h.verdict = h.budget_broken ? verdict.str() : "within budget";
    return h;
}

}  // namespace rig::analysis
