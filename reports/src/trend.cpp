#include "rig/reports/trend.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

namespace rig {

std::vector<TrendSeries> build_trends(const std::vector<nlohmann::json>& records, const TrendOptions& opt) {
    std::vector<const nlohmann::json*> recs;
    for (const auto& r : records) {
        if (r.value("complete", false) && r.contains("measurements")) recs.push_back(&r);
    }
    // ISO 8601 UTC times sort as text.
    std::stable_sort(recs.begin(), recs.end(), [](const nlohmann::json* a, const nlohmann::json* b) {
        return a->value("started_utc", "") < b->value("started_utc", "");
    });
    std::map<std::pair<std::string, std::string>, TrendSeries> by_key;
    for (const auto* r : recs) {
        const std::string sid = (*r)["scenario"].value("id", "");
        for (const auto& m : (*r)["measurements"]) {
            auto& s = by_key[{sid, m.value("id", "")}];
            s.scenario_id = sid;
            s.measurement_id = m.value("id", "");
            s.name = m.value("name", "");
            s.unit = m.value("unit", "");
            s.low = m.contains("low") ? std::optional<double>(m["low"].get<double>()) : std::nullopt;
            s.high = m.contains("high") ? std::optional<double>(m["high"].get<double>()) : std::nullopt;
            TrendPoint p;
            p.run_id = r->value("run_id", "");
            p.started_utc = r->value("started_utc", "");
            p.commit = (*r)["software"].value("commit", "");
            p.dut = (*r)["dut"].value("serial", "");
            if (m.contains("value") && m["value"].is_number()) p.value = m["value"].get<double>();
            p.outcome = m.value("outcome", "");
            s.points.push_back(std::move(p));
        }
    }
    std::vector<TrendSeries> out;
    for (auto& [key, s] : by_key) {
        std::vector<double> v;
        for (const auto& p : s.points) {
            if (p.value) v.push_back(*p.value);
        }
        s.valued = v.size();
        if (!v.empty()) {
            double sum = 0.0;
            for (double x : v) sum += x;
            s.mean = sum / static_cast<double>(v.size());
            s.min = *std::min_element(v.begin(), v.end());
            s.max = *std::max_element(v.begin(), v.end());
        }
        const bool latest_valued = !s.points.empty() && s.points.back().value.has_value();
        if (s.low && s.high && *s.high > *s.low && latest_valued && v.size() >= opt.min_history + 1) {
            double sum = 0.0;
            for (std::size_t i = 0; i + 1 < v.size(); ++i) sum += v[i];
            const double earlier = sum / static_cast<double>(v.size() - 1);
            s.drift_band_fraction = std::abs(v.back() - earlier) / (*s.high - *s.low);
            s.drift = s.drift_band_fraction > opt.drift_fraction;
        }
        out.push_back(std::move(s));
    }
    return out;
}

std::string trends_csv(const std::vector<TrendSeries>& series) {
    std::ostringstream o;
    o.precision(17);
    o << "scenario_id,measurement_id,run_id,started_utc,commit,dut,value,unit,outcome\n";
    auto q = [](const std::string& s) {
        std::string r = "\"";
        for (char c : s) r += c == '"' ? std::string("\"\"") : std::string(1, c);
        return r + "\"";
    };
    for (const auto& s : series) {
        for (const auto& p : s.points) {
            o << q(s.scenario_id) << ',' << q(s.measurement_id) << ',' << q(p.run_id) << ',' << q(p.started_utc) << ','
              << q(p.commit) << ',' << q(p.dut) << ',';
            if (p.value) o << *p.value;
            o << ',' << q(s.unit) << ',' << q(p.outcome) << '\n';
        }
    }
    return o.str();
}

}  // namespace rig
