#include "rig/reports/lot_stats.hpp"

#include <algorithm>
#include <cmath>

namespace rig {

namespace {
constexpr double kD2 = 1.128;      // E[range of 2 normal values] / sigma
constexpr double kZ95 = 1.6448536; // one-sided 95 % normal quantile

std::optional<double> capability(double mean, double sigma, const std::optional<double>& lo,
                                  const std::optional<double>& hi, bool k) {
    if (!(sigma > 0.0)) return std::nullopt;
    if (!k) {
        if (!lo || !hi) return std::nullopt;
        return (*hi - *lo) / (6.0 * sigma);
    }
    std::optional<double> best;
    if (hi) best = (*hi - mean) / (3.0 * sigma);
    if (lo) {
        const double c = (mean - *lo) / (3.0 * sigma);
        best = best ? std::min(*best, c) : c;
    }
    return best;
}
}  // namespace

std::optional<double> cpk_lower_bound_95(double cpk, std::size_t n) {
    if (n < 3) return std::nullopt;
    const double nn = static_cast<double>(n);
    return cpk - kZ95 * std::sqrt(1.0 / (9.0 * nn) + cpk * cpk / (2.0 * (nn - 1.0)));
}

LotStatistics lot_statistics(const std::vector<LotValue>& values) {
    LotStatistics s;
    s.units = values.size();
    if (values.empty()) return s;
    s.low = values.back().low;
    s.high = values.back().high;
    for (const auto& v : values) {
        if (v.low != s.low || v.high != s.high) s.limits_differ = true;
        if (v.outcome == "PASS") ++s.passed;
        if (v.value) s.values.push_back(*v.value);
    }
    s.valued = s.values.size();
    s.pass_rate = static_cast<double>(s.passed) / static_cast<double>(s.units);
    const auto& x = s.values;
    if (!x.empty()) {
        double sum = 0.0;
        for (double v : x) sum += v;
        const double mean = sum / static_cast<double>(x.size());
        s.mean = mean;
        s.min = *std::min_element(x.begin(), x.end());
        s.max = *std::max_element(x.begin(), x.end());
        if (x.size() >= 2) {
            double ss = 0.0, mr = 0.0;
            for (std::size_t i = 0; i < x.size(); ++i) {
                ss += (x[i] - mean) * (x[i] - mean);
                if (i > 0) mr += std::abs(x[i] - x[i - 1]);
            }
            s.sd = std::sqrt(ss / static_cast<double>(x.size() - 1));
            s.sigma_within = mr / static_cast<double>(x.size() - 1) / kD2;
            s.cp = capability(mean, *s.sigma_within, s.low, s.high, false);
            s.cpk = capability(mean, *s.sigma_within, s.low, s.high, true);
            s.pp = capability(mean, *s.sd, s.low, s.high, false);
            s.ppk = capability(mean, *s.sd, s.low, s.high, true);
            if (s.cpk) s.cpk_lower95 = cpk_lower_bound_95(*s.cpk, x.size());
        }
    }
    // Worst unit: the smallest margin to the nearer of its own limits, in half spans.
    for (const auto& v : values) {
        if (!v.value) continue;
        std::optional<double> margin;
        const double half = v.low && v.high ? 0.5 * (*v.high - *v.low) : 1.0;
        if (v.high) margin = (*v.high - *v.value) / half;
        if (v.low) {
            const double m = (*v.value - *v.low) / half;
            margin = margin ? std::min(*margin, m) : m;
        }
        if (margin && (!s.worst_margin || *margin < *s.worst_margin)) {
            s.worst_margin = margin;
            s.worst = v;
        }
    }
    return s;
}

}  // namespace rig
