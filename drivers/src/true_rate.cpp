// Start-up and step-response truths from the model's cam phase (true_rate.hpp).

#include "rig/drivers/true_rate.hpp"

#include <algorithm>
#include <cmath>
#include <span>
#include <vector>

namespace rig {
namespace {

// Two kept samples further apart than this are not one span: the phase
// between them is unknown (the log keeps every firmware tick inside a span).
constexpr std::int64_t kMaxGapNs = 5'000'000;

struct Centre {
    double t_ns;
    double rate_hz;
};

class Phase {
public:
    explicit Phase(const TruthLog<TrueRate>& log) : s_(log.begin(), log.size()) {}

    /// Whether the kept samples cover [a, b] without a gap. The model stops
    /// at the run's end, up to one sample period after a window that ends
    /// there: the last sample may fall short of b by less than a gap; use
    /// end(b) as the window's end then.
    [[nodiscard]] bool covers(std::int64_t a, std::int64_t b) const {
        if (s_.empty() || s_.front().t_ns > a || s_.back().t_ns < b - kMaxGapNs) return false;
        const std::size_t i = index_before(a), j = index_before(b);
        for (std::size_t k = i; k < j && k + 1 < s_.size(); ++k) {
            if (s_[k + 1].t_ns - s_[k].t_ns > kMaxGapNs) return false;
        }
        return true;
    }
    /// b, or the last sample when the log ends (just) before it.
    [[nodiscard]] std::int64_t end(std::int64_t b) const { return std::min(b, s_.back().t_ns); }
    /// The phase at t (linear between samples); t inside a covered span.
    [[nodiscard]] double at(std::int64_t t) const {
        const std::size_t k = index_before(t);
        if (k + 1 >= s_.size()) return s_[k].strokes;
        const auto& a = s_[k];
        const auto& b = s_[k + 1];
        const double f = static_cast<double>(t - a.t_ns) / static_cast<double>(b.t_ns - a.t_ns);
        return a.strokes + f * (b.strokes - a.strokes);
    }
    /// The centred one-stroke rates at every sample in [a, b] whose stroke
    /// (half a stroke either side) lies in the kept samples up to b; a sample
    /// with no whole stroke before it (the rotor not yet turning) has rate 0.
    [[nodiscard]] std::vector<Centre> centres(std::int64_t a, std::int64_t b) const {
        std::vector<Centre> out;
        if (s_.empty()) return out;
        const std::size_t lo = index_before(a), hi = index_before(b);
        for (std::size_t k = lo; k <= hi && k < s_.size(); ++k) {
            if (s_[k].t_ns < a) continue;
            const double p = s_[k].strokes;
            const auto up = reach(k, p + 0.5, +1, b);
            if (!up) break;  // the stroke ends past b: so do all later ones
            const auto down = reach(k, p - 0.5, -1, b);
            out.push_back({static_cast<double>(s_[k].t_ns), down ? 1e9 / (*up - *down) : 0.0});
        }
        return out;
    }

private:
    [[nodiscard]] std::size_t index_before(std::int64_t t) const {
        const auto it =
            std::upper_bound(s_.begin(), s_.end(), t, [](std::int64_t v, const TrueRate& r) { return v < r.t_ns; });
        return it == s_.begin() ? 0 : static_cast<std::size_t>(it - s_.begin()) - 1;
    }
    // The first instant, walking from sample k in direction dir (+1 later,
    // -1 earlier) inside one span and not past `limit` (later only), where the
    // phase reaches `target`.
    [[nodiscard]] std::optional<double> reach(std::size_t k, double target, int dir, std::int64_t limit) const {
        for (std::size_t j = k;;) {
            const std::size_t nj = dir > 0 ? j + 1 : j - 1;
            if ((dir > 0 && nj >= s_.size()) || (dir < 0 && j == 0)) return std::nullopt;
            const auto& a = s_[j];
            const auto& b = s_[nj];
            if (std::abs(b.t_ns - a.t_ns) > kMaxGapNs) return std::nullopt;
            if (dir > 0 && b.t_ns > limit + kMaxGapNs) return std::nullopt;
            const bool hit = dir > 0 ? b.strokes >= target : b.strokes <= target;
            if (hit) {
                const double f = b.strokes == a.strokes ? 1.0 : (target - a.strokes) / (b.strokes - a.strokes);
                const double t = static_cast<double>(a.t_ns) + f * static_cast<double>(b.t_ns - a.t_ns);
                if (dir > 0 && t > static_cast<double>(limit)) return std::nullopt;
                return t;
            }
            j = nj;
        }
    }

    std::span<const TrueRate> s_;
};

// Linear crossing of `level` between (t0, y0) and (t1, y1).
double cross(double t0, double y0, double t1, double y1, double level) {
    return y1 == y0 ? t1 : t0 + (t1 - t0) * (level - y0) / (y1 - y0);
}

// First instant after which |y - centre| <= tol for every later centre;
// nullopt when the last one is outside.
std::optional<double> settles(const std::vector<Centre>& c, double centre, double tol) {
    std::size_t last_out = c.size();
    for (std::size_t k = c.size(); k-- > 0;) {
        if (std::abs(c[k].rate_hz - centre) > tol) {
            last_out = k;
            break;
        }
    }
    if (last_out == c.size()) return c.front().t_ns;
    if (last_out + 1 == c.size()) return std::nullopt;
    const double edge = c[last_out].rate_hz > centre ? centre + tol : centre - tol;
    return cross(c[last_out].t_ns, c[last_out].rate_hz, c[last_out + 1].t_ns, c[last_out + 1].rate_hz, edge);
}

constexpr const char* kNotKept = "the model's phase log does not cover the window (outside its spans or full)";

}  // namespace

TrueStartup true_startup_time(const TruthLog<TrueRate>& log, std::int64_t t_on_ns, std::int64_t t_end_ns,
                              double setpoint_hz, double band_fraction) {
    TrueStartup r;
    const Phase ph(log);
    if (!ph.covers(t_on_ns, t_end_ns)) {
        r.absent = kNotKept;
        return r;
    }
    t_end_ns = ph.end(t_end_ns);
    const auto c = ph.centres(t_on_ns, t_end_ns);
    if (c.size() < 2) {
        r.absent = "no whole true stroke in the window";
        return r;
    }
    const auto when = settles(c, setpoint_hz, band_fraction * setpoint_hz);
    if (!when) {
        r.never_settled = true;
        return r;
    }
    r.time_s = (*when - static_cast<double>(t_on_ns)) * 1e-9;
    return r;
}

TrueStep true_step_response(const TruthLog<TrueRate>& log, std::int64_t pre_ns, std::int64_t t_step_ns,
                            std::int64_t tail_ns, std::int64_t t_end_ns, double settle_fraction) {
    TrueStep r;
    const Phase ph(log);
    if (!ph.covers(pre_ns, t_end_ns)) {
        r.absent = kNotKept;
        return r;
    }
    t_end_ns = ph.end(t_end_ns);
    r.initial_hz = (ph.at(t_step_ns) - ph.at(pre_ns)) * 1e9 / static_cast<double>(t_step_ns - pre_ns);
    r.final_hz = (ph.at(t_end_ns) - ph.at(tail_ns)) * 1e9 / static_cast<double>(t_end_ns - tail_ns);
    const double span = r.final_hz - r.initial_hz;
    // A step of less than a millionth of the rate is no step (rounding).
    if (!(std::abs(span) > 1e-6 * std::max(std::abs(r.initial_hz), std::abs(r.final_hz)))) {
        r.absent = "the true rate did not change across the step";
        return r;
    }
    const auto c = ph.centres(t_step_ns, t_end_ns);
    if (c.size() < 2) {
        r.absent = "no whole true stroke after the step";
        return r;
    }
    std::optional<double> t10, t90;
    double max_n = -1e300;
    for (std::size_t k = 0; k < c.size(); ++k) {
        const double yn = (c[k].rate_hz - r.initial_hz) / span;
        max_n = std::max(max_n, yn);
        auto reach = [&](double frac, std::optional<double>& t) {
            if (t || yn < frac) return;
            if (k == 0) {
                t = c[0].t_ns;
            } else {
                const double y_prev = (c[k - 1].rate_hz - r.initial_hz) / span;
                t = cross(c[k - 1].t_ns, y_prev, c[k].t_ns, yn, frac);
            }
        };
        reach(0.1, t10);
        reach(0.9, t90);
    }
    if (!t10 || !t90) {
        r.absent = "the true rate never reached 90 % of the step in the window";
        return r;
    }
    r.rise_time_s = (*t90 - *t10) * 1e-9;
    r.overshoot_pct = std::max(0.0, 100.0 * (max_n - 1.0));
    const auto ts = settles(c, r.final_hz, settle_fraction * std::abs(span));
    if (!ts) {
        r.absent = "the true rate was outside the settling band at the window's end";
        return r;
    }
    r.settling_time_s = (*ts - static_cast<double>(t_step_ns)) * 1e-9;
    return r;
}

}  // namespace rig
