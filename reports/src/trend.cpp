#include "rig/reports/trend.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

namespace rig {

std::vector<TrendSeries> build_trends(std::span<const run_record::RunRecord> records, const TrendOptions& opt) {
    std::vector<const run_record::RunRecord*> recs;
    for (const auto& r : records) {
        if (r.complete) recs.push_back(&r);
    }
    // ISO 8601 UTC times sort as text.
    std::stable_sort(recs.begin(), recs.end(), [](const run_record::RunRecord* a, const run_record::RunRecord* b) {
        return a->started_utc < b->started_utc;
    });
    std::map<std::pair<std::string, std::string>, TrendSeries> by_key;
    for (const auto* r : recs) {
        const std::string& sid = r->scenario.id;
        for (const auto& m : r->measurements) {
            auto& s = by_key[{sid, m.id}];
            s.scenario_id = sid;
            s.measurement_id = m.id;
            s.name = m.name;
            s.unit = m.unit;
            s.low = m.low;
            s.high = m.high;
            TrendPoint p;
            p.run_id = r->run_id;
            p.started_utc = r->started_utc;
            p.commit = r->software.commit;
            p.dut = r->dut.serial;
            p.value = m.value;
            p.outcome = to_string(m.outcome);
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

std::vector<TrendSeries> build_trends(const std::vector<nlohmann::json>& records, const TrendOptions& opt) {
    std::vector<run_record::RunRecord> typed;
    typed.reserve(records.size());
    for (const auto& r : records) typed.push_back(r.get<run_record::RunRecord>());
    return build_trends(typed, opt);
}

std::vector<LatestRun> latest_runs(std::span<const run_record::RunRecord> records) {
    std::map<std::string, LatestRun> by_scenario;
    for (const auto& r : records) {
        auto& l = by_scenario[r.scenario.id];
        // Latest start wins; equal times: the one that did not close wins (never hide a failure).
        const bool later = l.run_id.empty() || r.started_utc > l.started_utc ||
                           (r.started_utc == l.started_utc && !r.complete);
        if (!later) continue;
        l = LatestRun{r.scenario.id, r.run_id, r.started_utc, r.complete ? r.verdict : std::string("INCOMPLETE")};
    }
    std::vector<LatestRun> out;
    for (auto& [k, v] : by_scenario) out.push_back(std::move(v));
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
