#include "instrument_checks.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

namespace rig::checks {
namespace {

double top_of(analysis::TraceView v, const analysis::Stroke& s) {
    double top = std::numeric_limits<double>::infinity();
    for (std::size_t k = s.begin_index; k < s.end_index; ++k) top = std::min(top, v.position_mm[k]);
    return top;
}

nlohmann::json entry(const char* instrument, const char* check, double value, double limit, const char* unit,
                     const std::optional<std::string>& reason) {
    nlohmann::json j = {{"instrument", instrument}, {"check", check}, {"value", value},
                        {"limit", limit},           {"unit", unit},   {"outcome", reason ? "failed" : "ok"}};
    if (reason) j["reason"] = *reason;
    return j;
}

}  // namespace

CheckResult encoder_consistency(analysis::TraceView v, std::span<const analysis::Stroke> strokes, double count_mm) {
    CheckResult r;
    double top_lo = 1e300, top_hi = -1e300, len_lo = 1e300, len_hi = -1e300;
    std::size_t n = 0;
    for (const auto& s : strokes) {
        if (!s.valid()) continue;
        const double top = top_of(v, s);
        top_lo = std::min(top_lo, top), top_hi = std::max(top_hi, top);
        len_lo = std::min(len_lo, s.depth_mm - top), len_hi = std::max(len_hi, s.depth_mm - top);
        ++n;
    }
    if (n < 2) return r;
    const double limit = kEncoderTopLimitCounts * count_mm;
    auto check = [&](const char* name, const char* what, double spread) {
        std::optional<std::string> reason;
        if (spread > limit) {
            std::ostringstream m;
            m << "encoder: the " << what << " moved " << spread * 1e3 << " um over " << n
              << " strokes (limit " << limit * 1e3 << " um, " << kEncoderTopLimitCounts
              << " counts): counts lost or gained";
            reason = m.str();
            if (!r.failure) r.failure = reason;
        }
        r.record.push_back(entry("encoder", name, spread, limit, "mm", reason));
    };
    check("top_position_spread", "stroke's top (retracted) position", top_hi - top_lo);
    check("stroke_length_spread", "stroke length", len_hi - len_lo);
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
