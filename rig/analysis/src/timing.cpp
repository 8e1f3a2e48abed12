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

namespace {

std::size_t coarse_bin(std::int64_t lateness_ns) {
    // Bin by the largest lower edge <= lateness (negative lateness, which a
    // correct loop never records, lands in the first bin).
    const std::int64_t us = lateness_ns / 1000;
    std::size_t bin = 0;
    while (bin + 1 < lateness_bin_edges_us.size() && us >= lateness_bin_edges_us[bin + 1]) ++bin;
    return bin;
}

/// The budget verdict, from the counts (one text for windows and whole runs).
void judge_budget(TimingHealth& h, const TimingBudgetParams& budget) {
    h.late_fraction = h.samples > 0 ? static_cast<double>(h.late_count) / static_cast<double>(h.samples) : 0.0;
    std::ostringstream verdict;
    h.budget_broken = false;
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
}

constexpr std::size_t kFineBins = 100'000;  // 1 us each: 0 .. 100 ms

}  // namespace

TimingAccumulator::TimingAccumulator(const TimingBudgetParams& budget)
    : budget_(budget), rule_(budget.rule()), fine_(kFineBins + 1, 0) {}

void TimingAccumulator::add(std::int64_t t_ns, std::int64_t lateness_ns, std::uint32_t flags) {
    if (rule_.late(std::chrono::nanoseconds{lateness_ns})) ++h_.late_count;
    h_.max_lateness_ns = std::max(h_.max_lateness_ns, lateness_ns);
    ++h_.lateness_histogram[coarse_bin(lateness_ns)];
    const auto us = lateness_ns < 0 ? 0 : lateness_ns / 1000;
    ++fine_[static_cast<std::size_t>(std::min<std::int64_t>(us, static_cast<std::int64_t>(kFineBins)))];
    if (n_ == 0) {
        first_t_ = t_ns;
    } else {
        const std::chrono::nanoseconds dt{t_ns - last_t_};
        if (rule_.gap(dt)) {
            h_.missed_samples += rule_.samples_lost(dt);
            ++h_.gaps;
        } else if ((flags & sample_after_gap) != 0) {
            h_.missed_samples += 1;
            ++h_.gaps;
        }
    }
    last_t_ = t_ns;
    ++n_;
}

TimingHealth TimingAccumulator::health() const {
    TimingHealth h = h_;
    h.samples = n_;
    if (n_ < 2) {
        h.invalid = "fewer than two samples in the window";
        return h;
    }
    if (budget_.nominal_period.count() <= 0) {
        h.invalid = "nominal period must be positive";
        return h;
    }
    h.mean_period_s = static_cast<double>(last_t_ - first_t_) * 1e-9 / static_cast<double>(n_ - 1);
    auto rank = [&](double p) -> std::int64_t {
        auto r = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(n_)));
        r = std::clamp<std::size_t>(r, 1, n_);
        std::size_t seen = 0;
        for (std::size_t b = 0; b < fine_.size(); ++b) {
            seen += fine_[b];
            if (seen >= r) return b < kFineBins ? static_cast<std::int64_t>(b) * 1000 : h_.max_lateness_ns;
        }
        return h_.max_lateness_ns;
    };
    h.p50_lateness_ns = rank(50.0);
    h.p99_lateness_ns = rank(99.0);
    judge_budget(h, budget_);
    return h;
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
        ++h.lateness_histogram[coarse_bin(l)];
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
    judge_budget(h, budget);
    return h;
}

}  // namespace rig::analysis
