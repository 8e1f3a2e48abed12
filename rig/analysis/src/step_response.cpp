#include "rig/analysis/step_response.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace rig::analysis {
namespace {

// Time at which the straight line between (t0, y0) and (t1, y1) reaches
// `level` (y0 and y1 on either side of it, or y1 on it).
double cross(double t0, double y0, double t1, double y1, double level) {
    if (y1 == y0) return t1;
    return t0 + (t1 - t0) * (level - y0) / (y1 - y0);
}

// First time the normalised response reaches `frac` (upward in ynorm).
// Returns false if it never does.
bool first_reach(std::span<const double> t, std::span<const double> yn, std::size_t first, double frac,
                 double& when, std::size_t& index) {
    for (std::size_t k = first; k < yn.size(); ++k) {
        if (yn[k] >= frac) {
            index = k;
            when = (k == first) ? t[k] : cross(t[k - 1], yn[k - 1], t[k], yn[k], frac);
            return true;
        }
    }
    return false;
}

// First time T such that |y - yfinal| <= tol for all t >= T, on the
// piecewise-linear signal: the crossing into the band after the last sample
// outside it. Returns false if the last sample is outside the band.
bool settle_time(std::span<const double> t, std::span<const double> y, std::size_t first, double y_final, double tol,
                 double& when) {
    std::size_t last_out = y.size();
    for (std::size_t k = y.size(); k-- > first;) {
        if (std::abs(y[k] - y_final) > tol) {
            last_out = k;
            break;
        }
    }
    if (last_out == y.size()) {
        when = t[first];  // inside the band at every sample: cannot be shown to be earlier
        return true;
    }
    if (last_out + 1 == y.size()) return false;
    const double edge = y[last_out] > y_final ? y_final + tol : y_final - tol;
    when = cross(t[last_out], y[last_out], t[last_out + 1], y[last_out + 1], edge);
    return true;
}

}  // namespace

StepInfo stepinfo(std::span<const double> t_ns, std::span<const double> y, double t_step_ns, double y_initial,
                  double y_final, const StepInfoOptions& opt) {
    StepInfo r;
    const std::size_t n = std::min(t_ns.size(), y.size());
    t_ns = t_ns.first(n);
    y = y.first(n);
    const std::size_t first =
        static_cast<std::size_t>(std::lower_bound(t_ns.begin(), t_ns.end(), t_step_ns) - t_ns.begin());
    r.samples = n - first;
    if (!(y_final != y_initial) || !std::isfinite(y_final) || !std::isfinite(y_initial)) {
        r.invalid = "final and initial values must be finite and differ";
        return r;
    }
    if (r.samples < std::max<std::size_t>(opt.min_samples, 2)) {
        std::ostringstream m;
        m << "too few samples after the step (" << r.samples << ")";
        r.invalid = m.str();
        return r;
    }
    const double span = y_final - y_initial;
    auto rel_s = [&](double t) { return (t - t_step_ns) * 1e-9; };

    // Normalised response: rises from 0 to 1 whatever the step's direction.
    std::vector<double> yn(n);
    for (std::size_t k = first; k < n; ++k) yn[k] = (y[k] - y_initial) / span;

    double max_n = yn[first], min_n = yn[first];
    double peak = -1.0, emax = 0.0;
    std::size_t peak_k = first;
    for (std::size_t k = first; k < n; ++k) {
        max_n = std::max(max_n, yn[k]);
        min_n = std::min(min_n, yn[k]);
        const double dev = std::abs(y[k] - y_initial);
        if (dev > peak) {
            peak = dev;
            peak_k = k;
        }
        emax = std::max(emax, std::abs(y[k] - y_final));
    }
    r.overshoot_pct = std::max(0.0, 100.0 * (max_n - 1.0));
    r.undershoot_pct = std::max(0.0, -100.0 * min_n);
    r.peak = peak;
    r.peak_time_s = rel_s(t_ns[peak_k]);

    double t_low = 0.0, t_high = 0.0;
    std::size_t k_low = 0, k_high = 0;
    if (!first_reach(t_ns, yn, first, opt.rise_time_low, t_low, k_low) ||
        !first_reach(t_ns, yn, first, opt.rise_time_high, t_high, k_high)) {
        std::ostringstream m;
        m << "the response never reached " << opt.rise_time_high * 100.0 << " % of the step";
        r.never_settled = true;
        r.invalid = m.str();
        return r;
    }
    r.rise_time_s = (t_high - t_low) * 1e-9;
    r.settling_min = *std::min_element(y.begin() + static_cast<std::ptrdiff_t>(k_high), y.end());
    r.settling_max = *std::max_element(y.begin() + static_cast<std::ptrdiff_t>(k_high), y.end());

    double ts = 0.0, tt = 0.0;
    const double tol = opt.settling_time_threshold * std::abs(span);
    if (!settle_time(t_ns, y, first, y_final, tol, ts)) {
        std::ostringstream m;
        m << "the response did not settle within +-" << opt.settling_time_threshold * 100.0
          << " % of the step before the window's end";
        r.never_settled = true;
        r.invalid = m.str();
        return r;
    }
    r.settling_time_s = rel_s(ts);
    // TransientTime is informative only (SettlingTime is the spec'd figure):
    // when y ends outside ST x emax it stays unset rather than failing the step.
    if (settle_time(t_ns, y, first, y_final, opt.settling_time_threshold * emax, tt)) r.transient_time_s = rel_s(tt);
    return r;
}

RateSamples rate_samples(std::span<const Stroke> strokes, TimeWindow w) {
    RateSamples r;
    for (std::size_t i = 0; i + 1 < strokes.size(); ++i) {
        const double a = strokes[i].t_bdc_ns, b = strokes[i + 1].t_bdc_ns;
        const double mid = 0.5 * (a + b);
        if (!w.contains(mid)) continue;
        r.t_ns.push_back(mid);
        r.rate_hz.push_back(1e9 / (b - a));
        if (!strokes[i].valid() || !strokes[i + 1].valid()) r.any_invalid = true;
        if (strokes[i].end_index != strokes[i + 1].begin_index) r.contiguous = false;
    }
    return r;
}

StepInfo step_response_of_rate(std::span<const Stroke> strokes, std::int64_t t_step_ns, double y_initial_hz,
                               double y_final_hz, std::int64_t t_end_ns, const StepInfoOptions& opt) {
    const RateSamples rs = rate_samples(strokes, TimeWindow{t_step_ns, t_end_ns});
    StepInfo r = stepinfo(rs.t_ns, rs.rate_hz, static_cast<double>(t_step_ns), y_initial_hz, y_final_hz, opt);
    if (rs.any_invalid) r.invalid = "an invalid stroke (gap, too few samples or encoder fault) in the window";
    else if (!rs.contiguous) r.invalid = "strokes in the window are not contiguous: a cycle was not detected";
    return r;
}

StartupTime startup_time(std::span<const Stroke> strokes, std::int64_t t_power_on_ns, std::int64_t t_end_ns,
                         double target_rate_hz, const StartupOptions& opt) {
    StartupTime r;
    const RateSamples rs = rate_samples(strokes, TimeWindow{t_power_on_ns, t_end_ns});
    r.intervals = rs.t_ns.size();
    if (!(target_rate_hz > 0.0)) {
        r.invalid = "target rate must be positive";
        return r;
    }
    const std::size_t min_intervals = std::max<std::size_t>(opt.min_strokes, 2) - 1;
    if (r.intervals < min_intervals) {
        std::ostringstream m;
        m << "too few strokes after power-on (" << r.intervals + (r.intervals > 0 ? 1 : 0) << " < " << opt.min_strokes
          << ")";
        r.invalid = m.str();
        return r;
    }
    if (rs.any_invalid) {
        r.invalid = "an invalid stroke (gap, too few samples or encoder fault) in the window";
        return r;
    }
    if (!rs.contiguous) {
        r.invalid = "strokes in the window are not contiguous: a cycle was not detected";
        return r;
    }
    double when = 0.0;
    if (!settle_time(rs.t_ns, rs.rate_hz, 0, target_rate_hz, opt.band_fraction * target_rate_hz, when)) {
        std::ostringstream m;
        r.never_settled = true;
        r.lower_bound_s = static_cast<double>(t_end_ns - t_power_on_ns) * 1e-9;
        m << "the rate is not inside +-" << opt.band_fraction * 100.0 << " % of " << target_rate_hz
          << " Hz at the end of the window (never settled: > " << r.lower_bound_s * 1e3 << " ms, window end)";
        r.invalid = m.str();
        return r;
    }
    r.settled_at_ns = when;
    r.startup_time_s = (when - static_cast<double>(t_power_on_ns)) * 1e-9;
    return r;
}

}  // namespace rig::analysis
