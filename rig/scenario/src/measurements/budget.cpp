// The budget builder, the inputs several kinds share, and the decision rule
// (uncertainty.hpp).
#include <algorithm>
#include <cmath>
#include <sstream>

#include "rig/scenario/measure_kind.hpp"
#include "rig/scenario/run_checks.hpp"
#include "rig/scenario/scenario.hpp"
#include "rig/scenario/uncertainty.hpp"

#include "kind_parts.hpp"

namespace rig {

namespace {
std::string num(double v) { return kind_parts::num(v, 4); }
}  // namespace

Budget& Budget::add(std::string name, const char* type, const char* distribution, double value, double divisor,
                    std::string unit, double sensitivity, std::string basis) {
    UncertaintyComponent x;
    x.name = std::move(name);
    x.type = type;
    x.distribution = distribution;
    x.value = std::abs(value);
    x.divisor = divisor;
    x.u = divisor > 0.0 ? x.value / divisor : 0.0;
    x.unit = std::move(unit);
    x.sensitivity = sensitivity;
    x.contribution = std::abs(sensitivity) * x.u;
    x.basis = std::move(basis);
    components_.push_back(std::move(x));
    return *this;
}

Budget& Budget::rectangular(std::string name, double half_width, std::string unit, double sensitivity,
                            std::string basis) {
    return add(std::move(name), "B", "rectangular", half_width, std::sqrt(3.0), std::move(unit), sensitivity,
               std::move(basis));
}

Budget& Budget::triangular(std::string name, double half_width, std::string unit, double sensitivity,
                           std::string basis) {
    return add(std::move(name), "B", "triangular", half_width, std::sqrt(6.0), std::move(unit), sensitivity,
               std::move(basis));
}

Budget& Budget::certificate(std::string name, double U, double k, std::string unit, double sensitivity,
                            std::string basis) {
    return add(std::move(name), "B", "normal", U, k, std::move(unit), sensitivity, std::move(basis));
}

Budget& Budget::type_a(std::string name, double sd, double divisor, std::string unit, double sensitivity,
                       std::string basis) {
    return add(std::move(name), "A", "normal", sd, divisor, std::move(unit), sensitivity, std::move(basis));
}

Uncertainty Budget::combine(double k) const {
    double ss = 0.0;
    for (const auto& x : components_) ss += x.contribution * x.contribution;
    const double u_c = std::sqrt(ss);
    // Made in one piece, the components copy-constructed: copy-assigning them
    // into a default-made Uncertainty draws GCC 12's -Wnull-dereference at -O3
    // for aarch64 (a false positive inside vector::operator=).
    return Uncertainty{components_, u_c, k, k * u_c};
}

void add_scale_calibration(Budget& b, const FixtureConfig& fx, std::string_view instrument, double value) {
    const auto* cal = fx.calibration_for(instrument);
    const double U = cal != nullptr ? cal->scale_uncertainty : 0.0;
    const std::string who = cal != nullptr ? cal->id : std::string("no record");
    b.certificate(std::string(instrument) + " calibration (scale)", U, 2.0, "1", std::abs(value),
                  "calibration record " + who + (U > 0.0 ? ": U (k = 2) of the scale" : ": states no uncertainty"));
}

void add_time_base(Budget& b, const FixtureConfig& fx, double value) {
    b.rectangular("time base (sample clock frequency)", fx.timing.clock_tolerance, "1", std::abs(value),
                  "fixture timing.clock_tolerance");
}

void add_instant_pair(Budget& b, const MeasureContext& c, double to_unit) {
    const double period_s = 1.0 / c.sc.fixture.sample_rate_hz;
    b.triangular("event instants at samples (both ends)", period_s, "s", to_unit,
                 "each instant found at the first sample after it: one sample period, " +
                     num(period_s * 1e6) + " us, at each end");
    const auto range = analysis::index_range(c.data.trace, c.window);
    double p99_s = 0.0;
    if (range.size() >= 2) {
        const auto h = analysis::timing_health(c.data.trace, range.begin, range.end, c.timing_budget());
        p99_s = static_cast<double>(h.p99_lateness_ns) * 1e-9;
    }
    b.rectangular("sample timing jitter (both ends)", p99_s * std::sqrt(2.0), "s", to_unit,
                  "the window's p99 wake-up lateness, " + num(p99_s * 1e6) + " us per instant");
}

double rate_scatter_hz(std::span<const double> rate_hz) {
    // Second differences: white scatter of SD s gives SD sqrt(6) s; the
    // median absolute value / 0.6745 is that SD, robust to a step or a ramp.
    const std::size_t n = rate_hz.size();
    if (n < 4) return 0.0;
    std::vector<double> d2;
    for (std::size_t k = 1; k + 1 < n; ++k) d2.push_back(std::abs(rate_hz[k + 1] - 2.0 * rate_hz[k] + rate_hz[k - 1]));
    std::nth_element(d2.begin(), d2.begin() + static_cast<std::ptrdiff_t>(d2.size() / 2), d2.end());
    return d2[d2.size() / 2] / 0.6745 / std::sqrt(6.0);
}

analysis::RateSamples window_rate_samples(const MeasureContext& c, std::chrono::nanoseconds lead) {
    const analysis::TimeWindow w{c.window.begin_ns - lead.count(), c.window.end_ns};
    const auto range = analysis::index_range(c.data.trace, w);
    const auto strokes = analysis::detect_strokes(c.data.trace, range.begin, range.end, c.stroke_options());
    return analysis::rate_samples(strokes, c.window);
}

void add_rate_crossing(Budget& b, const MeasureContext& c, std::string what, double t_cross_ns,
                       std::chrono::nanoseconds lead, double to_unit) {
    const auto rs = window_rate_samples(c, lead);
    const std::size_t n = rs.rate_hz.size();
    const double sigma = rate_scatter_hz(rs.rate_hz);
    double sens = 0.0;
    if (n >= 4) {
        std::size_t k = 1;
        while (k + 1 < n && rs.t_ns[k] < t_cross_ns) ++k;
        const double dt_s = (rs.t_ns[k] - rs.t_ns[k - 1]) * 1e-9;
        const double dr = std::abs(rs.rate_hz[k] - rs.rate_hz[k - 1]);
        // d(instant)/d(rate) = 1 / slope, capped: noise cannot move the
        // crossing past the interval it is interpolated in.
        const double per_hz_s = dr > 0.0 ? dt_s / dr : 0.0;
        sens = sigma > 0.0 ? std::min(per_hz_s, dt_s / sigma) * to_unit : 0.0;
    }
    b.type_a(what + " crossing (rate scatter / slope)", sigma, 1.0, "Hz", sens,
             "the per-interval rates' scatter (second differences) over the slope between the two rate samples around "
             "the crossing, at most that interval");
}

void state_uncertainty(const MeasureContext& c, const MeasureKind& kind, const checks::RunStartChecks* run_start,
                       Measurement& r) {
    r.decision_rule = c.sc.spec.decision_rule;
    r.conditional = false;
    r.uncertainty.reset();
    if (r.outcome == Outcome::error || !r.value || kind.budget == nullptr) return;
    r.uncertainty = kind.budget(BudgetInput{c, r, run_start});
    const double v = *r.value, U = r.uncertainty->U;
    const bool near_low = r.low && std::abs(v - *r.low) <= U;
    const bool near_high = r.high && std::abs(v - *r.high) <= U;
    r.conditional = near_low || near_high;
    if (r.conditional && r.outcome == Outcome::pass && r.decision_rule == DecisionRule::guarded) {
        // ILAC-G8 guarded acceptance: conformance is proven only for a value at
        // least U inside its limits. Not proven is not a pass: FAIL, marked
        // conditional, so a signed verdict never passes it silently.
        const double limit = near_low ? *r.low : *r.high;
        r.outcome = Outcome::fail;
        r.message = "conditional: " + num(v) + " " + r.unit + " is within U = " + num(U) + " " + r.unit +
                    " of the " + (near_low ? "low" : "high") + " limit " + num(limit) + " " + r.unit +
                    " (decision_rule: guarded; conformance not proven)";
    }
}

}  // namespace rig
