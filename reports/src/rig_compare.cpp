#include "rig/reports/rig_compare.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "rig/reports/median.hpp"

namespace rig {

bool RigComparisonResult::any_drift() const {
    return std::any_of(measurements.begin(), measurements.end(), [](const MeasurementComparison& m) {
        return std::any_of(m.rigs.begin(), m.rigs.end(), [](const RigBias& r) { return r.drift; });
    });
}

RigComparison::RigComparison(RigCompareOptions opt) : opt_(std::move(opt)) {
    if (opt_.last_n == 0) throw std::invalid_argument("rig comparison: last N must be at least 1");
    if (!(opt_.drift_fraction > 0.0)) throw std::invalid_argument("rig comparison: the drift threshold must be > 0");
}

void RigComparison::add(const RigPoint& p) {
    const bool valid = p.complete && (p.verdict == "PASS" || p.verdict == "FAIL") && p.value && std::isfinite(*p.value);
    if (!valid) {
        ++ignored_;
        return;
    }
    auto& m = by_[p.measurement_id];
    if (p.started_utc >= m.latest_utc) {  // ISO 8601 UTC text sorts as time
        m.latest_utc = p.started_utc;
        m.name = p.name;
        m.unit = p.unit;
        m.low = p.low;
        m.high = p.high;
    }
    auto& s = m.rigs[p.rig_id].last;
    s.push_back(p);
    if (s.size() > opt_.last_n) s.pop_front();
}

RigComparisonResult RigComparison::result() const {
    RigComparisonResult out;
    out.ignored_points = ignored_;
    for (const auto& [id, m] : by_) {
        MeasurementComparison c;
        c.measurement_id = id;
        c.name = m.name;
        c.unit = m.unit;
        c.low = m.low;
        c.high = m.high;
        std::vector<double> rig_values;
        for (const auto& [rig, s] : m.rigs) {
            RigBias b;
            b.rig_id = rig;
            b.n = s.last.size();
            std::vector<double> v;
            for (const auto& p : s.last) v.push_back(*p.value);
            b.value = median(v);
            b.latest_run_id = s.last.back().run_id;
            b.latest_utc = s.last.back().started_utc;
            rig_values.push_back(b.value);
            c.rigs.push_back(std::move(b));
        }
        if (opt_.reference_rig.empty()) {
            c.reference = median(rig_values);
            c.reference_kind = "median of " + std::to_string(rig_values.size()) + " rig(s)";
        } else {
            const auto ref = m.rigs.find(opt_.reference_rig);
            if (ref == m.rigs.end()) {
                throw std::invalid_argument("reference rig " + opt_.reference_rig + " has no valid point of " + id);
            }
            const auto it = std::find_if(c.rigs.begin(), c.rigs.end(),
                                         [&](const RigBias& b) { return b.rig_id == opt_.reference_rig; });
            c.reference = it->value;
            c.reference_kind = "rig " + opt_.reference_rig;
        }
        const std::optional<double> span =
            c.low && c.high && *c.high > *c.low ? std::optional<double>(*c.high - *c.low) : std::nullopt;
        for (auto& b : c.rigs) {
            b.bias = b.value - c.reference;
            if (span) {
                b.bias_fraction = b.bias / *span;
                b.drift = std::abs(*b.bias_fraction) > opt_.drift_fraction;
            }
        }
        out.measurements.push_back(std::move(c));
    }
    return out;
}

}  // namespace rig
