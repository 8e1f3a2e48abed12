#include "instrument_checks.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <sstream>

namespace rig::checks {

double top_of(analysis::TraceView v, const analysis::Stroke& s) {
    std::size_t m = s.begin_index;
    for (std::size_t k = s.begin_index; k < s.end_index; ++k) {
        if (v.position_mm[k] < v.position_mm[m]) m = k;
    }
    const double x1 = v.position_mm[m];
    if (m == 0 || m + 1 >= v.t_ns.size()) return x1;
    const double a = static_cast<double>(v.t_ns[m - 1] - v.t_ns[m]);
    const double c = static_cast<double>(v.t_ns[m + 1] - v.t_ns[m]);
    if (!(a < 0.0) || !(c > 0.0)) return x1;
    const double d0 = (v.position_mm[m - 1] - x1) / a;
    const double d2 = (v.position_mm[m + 1] - x1) / c;
    const double curv = (d0 - d2) / (a - c);
    if (!(curv > 0.0)) return x1;
    const double slope = d0 - curv * a;
    const double tau = std::clamp(-slope / (2.0 * curv), a, c);
    return x1 + slope * tau + curv * tau * tau;
}

nlohmann::json entry(const char* instrument, const char* check, double value, double limit, const char* unit,
                     const std::optional<std::string>& reason) {
    nlohmann::json j = {{"instrument", instrument}, {"check", check}, {"value", value},
                        {"limit", limit},           {"unit", unit},   {"outcome", reason ? "failed" : "ok"}};
    if (reason) j["reason"] = *reason;
    return j;
}

CheckResult encoder_consistency(analysis::TraceView v, std::span<const analysis::Stroke> strokes, double count_mm) {
    CheckResult r;
    std::vector<double> tops, lengths;
    for (const auto& s : strokes) {
        if (!s.valid()) continue;
        const double top = top_of(v, s);
        tops.push_back(top);
        lengths.push_back(s.depth_mm - top);
    }
    const std::size_t n = tops.size();
    if (n < 8) return r;
    // Drift between the first and the last quarter of the window's strokes:
    // sampling scatters a stroke's top by a few um either way (averaged out
    // over a quarter), lost or gained counts accumulate.
    auto drift = [&](const std::vector<double>& x) {
        const std::size_t q = n / 4;
        double a = 0.0, b = 0.0;
        for (std::size_t i = 0; i < q; ++i) a += x[i], b += x[n - 1 - i];
        return std::abs(b - a) / static_cast<double>(q);
    };
    const double limit = kEncoderTopLimitCounts * count_mm;
    auto check = [&](const char* name, const char* what, double d) {
        std::optional<std::string> reason;
        if (d > limit) {
            std::ostringstream m;
            m << "encoder: the " << what << " moved " << d * 1e3 << " um between the first and the last quarter of "
              << n << " strokes (limit " << limit * 1e3 << " um, " << kEncoderTopLimitCounts
              << " counts): counts lost or gained";
            reason = m.str();
            if (!r.failure) r.failure = reason;
        }
        r.record.push_back(entry("encoder", name, d, limit, "mm", reason));
    };
    check("top_position_drift", "stroke's top (retracted) position", drift(tops));
    check("stroke_length_drift", "stroke length", drift(lengths));
    return r;
}

CheckResult top_against_reference(analysis::TraceView v, std::span<const analysis::Stroke> strokes,
                                  std::optional<double> reference_top_mm, double count_mm) {
    CheckResult r;
    if (!reference_top_mm) return r;
    // Each stroke's deviation, then the median over it and its neighbours: a
    // walk is an offset of the counter that stays until counts come back, so
    // it shows on consecutive strokes; one stroke's top read wrong does not
    // (a late sample at the top: the parabola through three unevenly timed
    // samples can miss the vertex by ~15 um, seen with 110 us lateness).
    std::vector<double> dev;
    std::vector<std::size_t> at;
    for (std::size_t k = 0; k < strokes.size(); ++k) {
        if (!strokes[k].valid()) continue;
        dev.push_back(top_of(v, strokes[k]) - *reference_top_mm);
        at.push_back(k + 1);
    }
    if (dev.empty()) return r;
    double worst = 0.0, worst_dev = 0.0;
    std::size_t worst_k = 0;
    for (std::size_t i = 0; i < dev.size(); ++i) {
        double d = dev[i];
        if (dev.size() >= 3) {
            const std::size_t c = std::clamp<std::size_t>(i, 1, dev.size() - 2);
            std::array<double, 3> w{dev[c - 1], dev[c], dev[c + 1]};
            std::sort(w.begin(), w.end());
            d = w[1];
        }
        if (std::abs(d) > worst) worst = std::abs(d), worst_dev = d, worst_k = at[i];
    }
    const double limit = kTopWalkLimitCounts * count_mm;
    std::optional<std::string> reason;
    if (worst > limit) {
        std::ostringstream m;
        m << "encoder: stroke " << worst_k << " of " << strokes.size() << " in the window has its top (retracted) "
          << "position (median with its neighbours) " << (worst_dev > 0 ? "+" : "") << worst_dev * 1e3 << " um ("
          << worst_dev / count_mm << " counts) from the reference top taken after the face reference / dial "
          << "setting (limit " << limit * 1e3 << " um, " << kTopWalkLimitCounts
          << " counts): the counter lost or gained counts";
        reason = m.str();
        r.failure = reason;
    }
    r.record.push_back(entry("encoder", "top_position_reference", worst, limit, "mm", reason));
    return r;
}

CheckResult depth_encoder_checks(analysis::TraceView v, std::span<const analysis::Stroke> strokes, double count_mm,
                                 const FaceReference* ref, std::optional<double> reference_top_mm) {
    CheckResult r = encoder_consistency(v, strokes, count_mm);
    auto walk = top_against_reference(v, strokes, reference_top_mm, count_mm);
    for (auto& e : walk.record) r.record.push_back(std::move(e));
    if (!r.failure) r.failure = walk.failure;
    if (ref == nullptr || !ref->scale_error || !ref->scale_limit) return r;
    std::optional<std::string> reason;
    if (std::abs(*ref->scale_error) > *ref->scale_limit) {
        reason = ref->reason.empty() ? "encoder: scale error beyond its limit at " + ref->id : ref->reason;
        if (!r.failure) r.failure = reason;
    }
    r.record.push_back(entry("encoder", "scale", *ref->scale_error, *ref->scale_limit, "ratio", reason));
    return r;
}

std::vector<double> force_baselines(analysis::TraceView v, std::span<const analysis::Stroke> strokes) {
    std::vector<double> out;
    out.reserve(strokes.size());
    for (const auto& s : strokes) {
        const double top = top_of(v, s);
        double sum = 0.0;
        std::size_t n = 0;
        for (std::size_t k = s.begin_index; k < s.end_index; ++k) {
            if (v.position_mm[k] <= top + kClearBandMm && std::isfinite(v.force_n[k])) sum += v.force_n[k], ++n;
        }
        out.push_back(n > 0 ? sum / static_cast<double>(n) : std::nan(""));
    }
    return out;
}

CheckResult load_cell_baseline(std::span<const double> baselines, double limit_n) {
    CheckResult r;
    double lo = 1e300, hi = -1e300;
    std::size_t n = 0;
    for (double b : baselines) {
        if (!std::isfinite(b)) continue;
        lo = std::min(lo, b), hi = std::max(hi, b);
        ++n;
    }
    if (n < 2) return r;
    std::optional<std::string> reason;
    if (hi - lo > limit_n) {
        std::ostringstream m;
        m << "load cell: the no-contact baseline moved " << (hi - lo) * 1e3 << " mN over " << n
          << " strokes (limit " << limit_n * 1e3 << " mN): zero drift";
        reason = m.str();
        r.failure = reason;
    }
    r.record.push_back(entry("load_cell", "baseline_drift", hi - lo, limit_n, "N", reason));
    return r;
}

}  // namespace rig::checks
